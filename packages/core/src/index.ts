export type { LeakkitErrorCode, LeakkitErrorDetails } from './errors.js';
export { LeakkitError } from './errors.js';
export { parseDuration, parseSize } from './options.js';
