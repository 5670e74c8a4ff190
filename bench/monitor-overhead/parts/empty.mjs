// Nothing: what `node --import <module>` costs by itself, next to the monitor's zero-code attach.
