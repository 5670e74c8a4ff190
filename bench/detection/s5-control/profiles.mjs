import { randomBytes } from 'node:crypto';
import { LruCache } from './lru.mjs';

const cache = new LruCache(500);
export function loadProfile(id) {
  let p = cache.get(id);
  if (p === undefined) {
    // "database" fetch
    p = {
      id,
      name: `user-${id}`,
      bio: randomBytes(512).toString('hex'),
      tags: ['a', 'b', 'c'],
      loadedAt: new Date(),
    };
    cache.set(id, p);
  }
  return p;
}
export const cacheStats = () => ({ size: cache.map.size, hits: cache.hits, misses: cache.misses });
