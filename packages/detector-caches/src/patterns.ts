import { pathCode } from '@leakkit/core/heap';

/**
 * What a growing collection is. `object` is a plain object used as a map; `size` is a watched size
 * function, whose collection is not known.
 */
export type CollectionKind = 'map' | 'set' | 'array' | 'object' | 'size';

/**
 * The leak patterns caches() tells apart, each with its own advice:
 * - `cap-not-enforced`: a cache with a cap (`max`, `limit`, `capacity`…) that holds more than it;
 * - `listeners`: an EventEmitter's listeners (its `_events`) that are added and never removed;
 * - `object-keys`: a Map or Set keyed by objects, which a WeakMap / WeakSet would let go;
 * - `memo`: memoisation (a collection in a function's scope or on a function) keyed by unbounded input;
 * - `unbounded`: a Map, Set, array or object that only grows.
 */
export type CachePattern = 'cap-not-enforced' | 'listeners' | 'object-keys' | 'memo' | 'unbounded';

// An EventEmitter's own table of listeners (`_events`: per event name a function, or an array of
// them from the second on): what grows there is listeners added and never removed.
const LISTENERS = /(?:^|[.\s])_events(?=$|[.[])/;

/** The emitter and the event of a path through `_events`: `bus` and `"order:update"`. */
export function listenerPlace(path: string): { emitter: string; event: string | undefined } | undefined {
  const m = LISTENERS.exec(path);
  if (m === null) return undefined;
  const at = m.index + m[0].indexOf('_events');
  const before = path.slice(0, Math.max(0, at - 1));
  const cut = before.lastIndexOf(' › ');
  const emitter = (cut < 0 ? before : before.slice(cut + 3)) || 'emitter';
  const rest = path.slice(at + '_events'.length);
  const event = /^\[(.+)\]$/.exec(rest)?.[1] ?? /^\.([\p{ID_Start}$_][\p{ID_Continue}$]*)$/u.exec(rest)?.[1];
  return { emitter, event: event === undefined ? undefined : event.replace(/^<[^<>]*>$/, 'event') };
}

/** A cap-like number found next to a collection: its name and value. */
export interface Cap {
  name: string;
  value: number;
}

/** What the classification looks at. */
export interface CollectionFacts {
  kind: CollectionKind;
  /** The path as it prints. */
  path: string;
  /** Entries now. */
  count: number | undefined;
  /** Kind of the newest keys of a Map (members of a Set). */
  keys: 'string' | 'number' | 'object' | 'symbol' | 'mixed' | undefined;
  /** The collection lives in a function's scope or on a function (`memoize() › cache`, `fn.cache`). */
  inFunction: boolean;
  /** The largest cap-like number next to it. */
  cap: Cap | undefined;
}

// Names of numbers that cap a collection's size: `max`, `maxSize`, `MAX_ENTRIES`, `limit`,
// `sizeLimit`, `capacity`, `cap`. Not durations or byte sizes, which count something else.
const NOT_A_COUNT = /age|ttl|time|ms$|delay|wait|retr|interval|concurren|listener|depth|bytes/;

/** Whether a property or variable name reads as a cap on the number of entries. */
export function isCapName(name: string): boolean {
  const n = name.toLowerCase().replace(/[_$-]/g, '');
  if (n === '' || NOT_A_COUNT.test(n)) return false;
  return n === 'cap' || n.startsWith('max') || n.endsWith('limit') || n.endsWith('capacity');
}

/** The pattern of a growing collection. */
export function classify(f: CollectionFacts): CachePattern {
  if (f.cap !== undefined && f.count !== undefined && f.count > f.cap.value) return 'cap-not-enforced';
  if (listenerPlace(f.path) !== undefined) return 'listeners';
  if ((f.kind === 'map' || f.kind === 'set') && f.keys === 'object') return 'object-keys';
  const last = lastName(f.path);
  if ((f.kind === 'map' || f.kind === 'object') && (f.inFunction || /memo/i.test(last))) return 'memo';
  return 'unbounded';
}

/** The last name of a path: `cache` of `memoize() › cache`, `history` of `app.sessions.alice.history`. */
export function lastName(path: string): string {
  const tail = path.slice(path.lastIndexOf(' › ') + 1);
  const names = tail.match(/[\p{ID_Start}$_][\p{ID_Continue}$]*/gu);
  return names?.[names.length - 1] ?? tail;
}

/**
 * The expression to call a fix on, for advice: the last name of a path (`handlers` in
 * `app.state.handlers`), or, when the path ends in a lookup (a collection inside a collection),
 * the lookup with a key the snapshot hid (or `*`, every key) written as `key`:
 * `visitorsByRoute.get(key)`, not a name made of the hidden key's hash.
 */
export function receiverOf(path: string): string {
  return /[)\]]$/.test(path) ? pathCode(path) : lastName(path);
}

const NOUN: Record<CollectionKind, string> = {
  map: 'Map',
  set: 'Set',
  array: 'Array',
  object: 'Object used as a map',
  size: 'Collection',
};
const UNIT: Record<CollectionKind, [string, string]> = {
  map: ['entry', 'entries'],
  set: ['member', 'members'],
  array: ['element', 'elements'],
  object: ['key', 'keys'],
  size: ['entry', 'entries'],
};

/** A count for a person: `1`, `2.5`, `0.01`, `12,400`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const rounded = Number(n.toFixed(digits));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: digits });
}

function units(kind: CollectionKind, n: number): string {
  const [one, many] = UNIT[kind];
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** How fast it grows, as a person reads it: "by 1 entry per iteration". */
export interface Rate {
  /** Entries (or bytes, for `unit: 'bytes'`) per `per`. */
  value: number;
  per: 'iteration' | 'minute' | 'step';
  unit: 'entries' | 'bytes';
}

function rateText(kind: CollectionKind, rate: Rate): string {
  const amount = rate.unit === 'bytes' ? `${formatCount(rate.value)} bytes` : units(kind, rate.value);
  return `by ${amount} per ${rate.per === 'step' ? 'snapshot' : rate.per}`;
}

/** Title and advice for a finding, specific to its pattern. */
export function describeFinding(
  f: CollectionFacts,
  pattern: CachePattern,
  rate: Rate,
  instances = 1,
): { title: string; advice: string } {
  const noun = NOUN[f.kind];
  const grows = rateText(f.kind, rate);
  const many = instances > 1 ? `, ${instances} instances` : '';
  const now =
    f.count === undefined
      ? many === ''
        ? ''
        : ` (${instances} instances)`
      : ` (${units(f.kind, f.count)} now${many})`;
  const p = `\`${f.path}\``;
  switch (pattern) {
    case 'cap-not-enforced': {
      const cap = f.cap!;
      return {
        title: `Cache ${p} holds ${units(f.kind, f.count ?? 0)}, past its cap (\`${cap.name} = ${formatCount(cap.value)}\`), and grows ${grows}`,
        advice:
          `The cache's cap (\`${cap.name} = ${formatCount(cap.value)}\`) is not enforced: it holds ` +
          `${units(f.kind, f.count ?? 0)} and grows ${grows}. Check the eviction: once the size passes ` +
          `the cap it must delete an existing key (for a Map in insertion order, ` +
          `\`map.delete(map.keys().next().value)\`), or use an LRU library with \`max\`.`,
      };
    }
    case 'listeners': {
      const { emitter, event } = listenerPlace(f.path)!;
      const on = event === undefined ? '' : ` for ${/^["'`]/.test(event) ? event : `\`${event}\``}`;
      const code = lastName(emitter) || 'emitter';
      const what = (n: number) =>
        f.kind === 'object' ? (n === 1 ? 'event name' : 'event names') : n === 1 ? 'listener' : 'listeners';
      const per = rate.per === 'step' ? 'snapshot' : rate.per;
      const amount =
        rate.unit === 'bytes'
          ? `${formatCount(rate.value)} bytes`
          : `${formatCount(rate.value)} ${what(rate.value)}`;
      const held = f.count === undefined ? now : ` (${formatCount(f.count)} ${what(f.count)} now${many})`;
      return {
        title: `Listeners on \`${emitter}\`${on} pile up: ${amount} more per ${per}${held}`,
        advice:
          `A listener is added to \`${emitter}\`${on} (per request, per job…) and never removed, and each ` +
          `keeps what its closure captured. Remove it when its work ends (\`${code}.off(event, listener)\`, ` +
          `or \`${code}.once(…)\` for a single event; \`{ signal }\` with an AbortController), or subscribe ` +
          `once at startup and look the work up by id. Node warns past 10 listeners per event unless ` +
          `\`setMaxListeners\` raised the limit; a raised limit only hides this.`,
      };
    }
    case 'object-keys': {
      const weak = f.kind === 'map' ? 'WeakMap' : 'WeakSet';
      return {
        title: `${noun} ${p} keyed by objects grows ${grows}${now}`,
        advice:
          `Keyed by objects: use a ${weak} so entries die with their keys. ${noun} ${p} grows ${grows} ` +
          `and its ${f.kind === 'map' ? 'keys' : 'members'} (objects) stay alive with it; if you need ` +
          `to iterate it, delete each entry when its object is done with.`,
      };
    }
    case 'memo':
      return {
        title: `Memoisation cache ${p} grows ${grows}${now}`,
        advice:
          `Memoisation keyed by unbounded input: ${p} gains a new entry for (nearly) every call and ` +
          `never forgets one. Bound it (an LRU with \`max\`), or key it by a bounded domain ` +
          `(normalise or bucket the input), or memoise only the inputs that repeat.`,
      };
    default: {
      const name = receiverOf(f.path);
      const fix: Record<CollectionKind, string> = {
        map: `delete entries when the work they belong to ends (\`${name}.delete(key)\`), or bound it (an LRU with \`max\`)`,
        set: `delete members when they are done with (\`${name}.delete(value)\`), or bound it`,
        array: `drop old elements (\`splice\`/\`shift\`, or a fixed-size ring buffer), or empty it after you flush it`,
        object: `\`delete ${name}[key]\` when the work the key belongs to ends, or use a bounded Map (an LRU with \`max\`)`,
        size: 'remove entries when the work they belong to ends, or bound it (an LRU with `max`, a ring buffer)',
      };
      const never =
        f.kind === 'array'
          ? 'is never trimmed'
          : f.kind === 'object'
            ? 'keys are never deleted'
            : f.kind === 'size'
              ? 'never shrinks'
              : 'is never deleted from';
      return {
        title: `${noun} ${p} grows ${grows}${now}`,
        advice: `${noun} ${p} grows ${grows} and ${never}: ${fix[f.kind]}.`,
      };
    }
  }
}
