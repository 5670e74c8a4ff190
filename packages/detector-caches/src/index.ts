export { caches } from './caches.js';
export type { CachesOptions, IgnorePattern, ScanOptions, WatchTarget } from './options.js';
export type { CachePattern } from './patterns.js';
