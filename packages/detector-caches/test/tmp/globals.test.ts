import { createRequire } from 'node:module';
import vm from 'node:vm';
import { it } from 'vitest';
it('globals', () => {
  const fresh = new Set(vm.runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[]);
  console.log('EXTRA', Object.getOwnPropertyNames(globalThis).filter((n) => !fresh.has(n)).join(' '));
  const cache = createRequire(import.meta.url).cache;
  console.log('MODS', Object.keys(cache).length, Object.keys(cache).slice(0, 10).join('\n'));
});
