export const packageName = '@leakkit/detector-timers';
