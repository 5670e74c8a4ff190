export { LeakkitError } from '../errors.js';
