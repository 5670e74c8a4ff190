import type { Cap } from './patterns.js';
import { isCapName } from './patterns.js';

// Where a cache keeps its settings: `this.options.max`, `this.config.limit`.
const SETTINGS = /^(?:options|opts|config|configuration|settings|limits?)$/i;

/** Whether `name` names a settings object a cap may sit in. */
export function isSettingsName(name: string): boolean {
  return SETTINGS.test(name);
}

// Generic caps say nothing about which collection they cap; other names must name it.
const GENERIC_REST = new Set([
  '',
  'size',
  'entries',
  'items',
  'keys',
  'count',
  'elements',
  'length',
  'cache',
]);

/**
 * Whether a cap found in a shared scope (a module's variables, the global object) is about this
 * collection: a generic name (`MAX`, `MAX_SIZE`, `LIMIT`) or one that names it (`MAX_SESSIONS` for
 * `sessions`, `sessionLimit` for `sessionCache`). A cap on an object that holds the collection
 * (`this.max` next to `this.map`) needs no such relation: the object is the cache.
 */
export function capRelates(capName: string, collectionName: string): boolean {
  const rest = capName
    .toLowerCase()
    .replace(/[_$-]/g, '')
    .replace(/^max(?:imum)?/, '')
    .replace(/(?:limit|capacity|cap)$/, '')
    .replace(/^num(?:ber)?(?:of)?/, '');
  if (GENERIC_REST.has(rest)) return true;
  const stem = (s: string) => s.replace(/(?:cache|map|set|list|store|registry|table|es|s)$/, '');
  const a = stem(rest);
  const b = stem(collectionName.toLowerCase().replace(/[_$-]/g, ''));
  if (a.length < 3 || b.length < 3) return false;
  return b.includes(a) || a.includes(b);
}

/** The most lenient of several caps (a cache is over its cap only when it is over all of them). */
export function largestCap(caps: readonly Cap[]): Cap | undefined {
  let best: Cap | undefined;
  for (const c of caps) if (best === undefined || c.value > best.value) best = c;
  return best;
}

/**
 * Cap-like numbers among an object's own data properties and those of its settings objects, read
 * without calling a getter (no user code runs) and skipping proxies.
 */
export function capsOf(
  holder: object,
  collectionName: string,
  shared: boolean,
  isProxy: (v: unknown) => boolean,
): Cap[] {
  const out: Cap[] = [];
  const visit = (o: object, depth: number) => {
    if (isProxy(o)) return;
    let names: string[];
    try {
      names = Object.getOwnPropertyNames(o);
    } catch {
      return;
    }
    // An object with many keys is data, not a cache's settings.
    if (names.length > 256) return;
    for (const name of names) {
      let d: PropertyDescriptor | undefined;
      try {
        d = Object.getOwnPropertyDescriptor(o, name);
      } catch {
        continue;
      }
      if (d === undefined || !('value' in d)) continue;
      const v: unknown = d.value;
      if (typeof v === 'number') {
        if (
          Number.isFinite(v) &&
          v >= 1 &&
          isCapName(name) &&
          (!shared || capRelates(name, collectionName))
        ) {
          out.push({ name, value: v });
        }
      } else if (depth === 0 && typeof v === 'object' && v !== null && isSettingsName(name)) {
        visit(v, 1);
      }
    }
  };
  visit(holder, 0);
  return out;
}
