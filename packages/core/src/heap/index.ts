export { LeakkitError } from '../errors.js';
export type { HeapGraphData } from './data.js';
export { HeapGraph } from './graph.js';
