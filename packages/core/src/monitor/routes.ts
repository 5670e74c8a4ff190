import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Resolves a request to its route pattern (`/users/:id`), or undefined to let the monitor decide. */
export type RouteResolver = (request: IncomingMessage, response: ServerResponse) => string | undefined;

// Where a framework's route is kept on Node's request object until the response finishes.
const ROUTE = Symbol('leakkit.route');
const OTHER = '(other)';

// Character classes of a path segment, as bits: what an id is made of.
const DIGIT = 1;
const HEX = 2;
const WORD = 4;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/\d/.test(ch)) CLASS[c]! |= DIGIT | HEX | WORD;
  else if (/[a-f]/i.test(ch)) CLASS[c]! |= HEX | WORD;
  else if (/[\w-]/.test(ch)) CLASS[c]! |= WORD;
}

/**
 * Whether `s[start, end)` is an id rather than a name: a number, a UUID, a hex hash (8+ characters),
 * a long token with digits (16+ of `[\w-]`), or a name with a number in it (`t20`, `user42`,
 * `sku-1234`: two digits or more in a row) other than an API version (`v2`, `v10`). Scans character
 * codes: this runs for every request, and allocates nothing.
 */
function isIdAt(s: string, start: number, end: number): boolean {
  const length = end - start;
  if (length <= 0) return false;
  let all = DIGIT | HEX | WORD;
  let digits = false;
  let run = 0;
  let longestRun = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const k = c < 128 ? CLASS[c]! : 0;
    if ((k & DIGIT) !== 0) {
      digits = true;
      if (++run > longestRun) longestRun = run;
    } else run = 0;
    all &= k;
    if (all === 0 && length !== 36) return false;
  }
  if ((all & DIGIT) !== 0) return true;
  if (length === 36 && isUuidAt(s, start)) return true;
  if (!digits) return false;
  if ((all & HEX) !== 0 && length >= 8) return true;
  if ((all & WORD) === 0) return false;
  if (length >= 16) return true;
  // `v2`, `v10`: a version, which names an API, not a record.
  const version = (s.charCodeAt(start) | 32) === 118 && longestRun === length - 1;
  return longestRun >= 2 && !version;
}

/** Whether the 36 characters at `start` are a UUID (8-4-4-4-12 hex digits). */
function isUuidAt(s: string, start: number): boolean {
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(start + i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (c >= 128 || (CLASS[c]! & HEX) === 0) return false;
  }
  return true;
}

/**
 * The route of a path when the framework does not say: the query left out and segments that are ids
 * (numbers, UUIDs, hex hashes, long tokens with digits) replaced by `:id`, so `/users/42?x=1` and
 * `/users/7` count as one route, `/users/:id`.
 *
 * @example
 * ```ts
 * foldPath('/users/42/orders/9f1c2e7a-0b1d-4c5e-8f00-1234567890ab?page=2'); // '/users/:id/orders/:id'
 * ```
 */
export function foldPath(url: string): string {
  let end = url.length;
  const q = url.indexOf('?');
  if (q !== -1) end = q;
  const h = url.indexOf('#');
  if (h !== -1 && h < end) end = h;
  if (end === 0 || (end === 1 && url.charCodeAt(0) === 47)) return '/';
  // Most paths have no id: scanned in place, and sliced (or rebuilt) only when they must be.
  let folded: string | undefined;
  let copied = 0;
  let start = 0;
  while (start <= end) {
    let stop = url.indexOf('/', start);
    if (stop === -1 || stop > end) stop = end;
    if (isIdAt(url, start, stop)) {
      folded = `${folded ?? ''}${url.slice(copied, start)}:id`;
      copied = stop;
    }
    start = stop + 1;
  }
  let path: string;
  if (folded === undefined) path = end === url.length ? url : url.slice(0, end);
  else path = `${folded}${url.slice(copied, end)}`;
  // Long paths are cut: route names are gauge names and must stay short.
  return path.length > 120 ? `${path.slice(0, 117)}...` : path;
}

interface ExpressLike {
  route?: { path?: unknown };
  baseUrl?: unknown;
}

/** The route of a request: the framework's pattern when it left one, else the folded path. */
export function routeOf(request: IncomingMessage): string {
  const tagged = (request as unknown as { [ROUTE]?: string })[ROUTE];
  if (tagged !== undefined) return tagged;
  // Express puts the matched route on the request (and the router's mount point in baseUrl).
  const r = (request as unknown as ExpressLike).route;
  if (r !== undefined && r !== null && typeof r.path === 'string') {
    const base = (request as unknown as ExpressLike).baseUrl;
    return `${typeof base === 'string' ? base : ''}${r.path}`;
  }
  return foldPath(request.url ?? '/');
}

/**
 * `METHOD route` as RouteCounter counts it: the app's `resolve` first (a throw or a non-string falls
 * back), then the framework's pattern, then the folded path.
 */
export function requestRoute(
  request: IncomingMessage,
  response: ServerResponse,
  resolve: RouteResolver | undefined,
): string {
  let route: string | undefined;
  if (resolve !== undefined) {
    try {
      route = resolve(request, response);
    } catch {
      route = undefined;
    }
  }
  return `${request.method ?? 'GET'} ${typeof route === 'string' ? route : routeOf(request)}`;
}

/** One route's running count. */
interface Counter {
  key: string;
  count: number;
}

/**
 * Counts HTTP requests per method and route from `diagnostics_channel`, with no middleware: Node
 * publishes `http.server.response.finish` for every response of every `http` server. The route is
 * the framework's pattern where the app exposes one (Express's `req.route`, Fastify's
 * `tracing:fastify.request.handler:start` channel, or a `resolve` function), else the path with ids
 * folded (`/users/:id`). At most `maxRoutes` distinct routes are kept; the rest count as
 * `METHOD (other)`, so a scan of random URLs cannot grow the monitor.
 */
export class RouteCounter {
  readonly maxRoutes: number;
  readonly #resolve: RouteResolver | undefined;
  readonly #counters = new Map<string, Counter>();
  // By method, then route: the request's own strings are the keys, so counting a request known
  // before builds no string.
  readonly #byMethod = new Map<string, Map<string, Counter>>();
  #total = 0;
  #subscribed = false;

  constructor(maxRoutes: number, resolve?: RouteResolver) {
    this.maxRoutes = maxRoutes;
    this.#resolve = resolve;
  }

  /** Requests counted, all routes. */
  get total(): number {
    return this.#total;
  }

  /** Subscribes to the channels; idempotent. */
  start(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    diagnostics.subscribe('http.server.response.finish', this.#onFinish);
    diagnostics.subscribe('tracing:fastify.request.handler:start', this.#onFastify);
  }

  /** Unsubscribes; idempotent. Counts stay readable. */
  stop(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    diagnostics.unsubscribe('http.server.response.finish', this.#onFinish);
    diagnostics.unsubscribe('tracing:fastify.request.handler:start', this.#onFastify);
  }

  /** Counts per route, in first-seen order. The array is a copy; the numbers are cumulative. */
  counts(): { route: string; count: number }[] {
    const out: { route: string; count: number }[] = [];
    for (const c of this.#counters.values()) out.push({ route: c.key, count: c.count });
    return out;
  }

  /** The count of one route (0 when unknown). */
  count(route: string): number {
    return this.#counters.get(route)?.count ?? 0;
  }

  /** Counts one request of `method` on `route` (what the channel handler does). */
  add(method: string, route: string): void {
    this.#total++;
    let routes = this.#byMethod.get(method);
    let c = routes?.get(route);
    if (c === undefined) {
      const map = this.#counters;
      const name = `${method} ${route}`;
      c = map.get(name);
      if (c === undefined) {
        const key = map.size < this.maxRoutes ? name : `${method} ${OTHER}`;
        c = map.get(key);
        if (c === undefined) {
          c = { key, count: 0 };
          map.set(key, c);
        }
      }
      // Routes past the cap are not remembered one by one (they all count as `(other)`): a scan of
      // random URLs must not grow the monitor.
      if (c.key === name) {
        if (routes === undefined) {
          // Methods are few, but a client can send any token: capped like the routes.
          if (this.#byMethod.size >= this.maxRoutes) {
            c.count++;
            return;
          }
          routes = new Map();
          this.#byMethod.set(method, routes);
        }
        routes.set(route, c);
      }
    }
    c.count++;
  }

  // Arrow functions: the same function objects must go to subscribe and unsubscribe.
  readonly #onFinish = (message: unknown): void => {
    try {
      const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
      let route: string | undefined;
      if (this.#resolve !== undefined) {
        try {
          route = this.#resolve(request, response);
        } catch {
          route = undefined;
        }
      }
      this.add(request.method ?? 'GET', typeof route === 'string' ? route : routeOf(request));
    } catch {
      // A message of an unexpected shape (another Node version): counting is best effort.
    }
  };

  readonly #onFastify = (message: unknown): void => {
    try {
      const { request, route } = message as { request?: { raw?: object }; route?: { url?: unknown } };
      const raw = request?.raw;
      if (raw !== undefined && typeof route?.url === 'string')
        (raw as { [ROUTE]?: string })[ROUTE] = route.url;
    } catch {
      // Best effort, as above.
    }
  };
}
