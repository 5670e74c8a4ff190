// Application-wide event bus for order updates.
const { EventEmitter } = require('node:events');

const bus = new EventEmitter();
bus.setMaxListeners(0); // "we have lots of subscribers"

module.exports = { bus };
