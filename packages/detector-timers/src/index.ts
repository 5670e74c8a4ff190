export type { TimersOptions } from './options.js';
export { timers } from './timers.js';
