export type { MatcherResult } from './matcher.js';
export { leakkitMatchers, toStayBounded } from './matcher.js';
export type { LeakkitMatchers } from './types.js';
