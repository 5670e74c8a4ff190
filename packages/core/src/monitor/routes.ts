import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Resolves a request to its route pattern (`/users/:id`), or undefined to let the monitor decide. */
export type RouteResolver = (request: IncomingMessage, response: ServerResponse) => string | undefined;

// Where a framework's route is kept on Node's request object until the response finishes.
const ROUTE = Symbol('leakkit.route');
const OTHER = '(other)';

const NUMBER = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]{8,}$/i;
const TOKEN = /^[\w-]{16,}$/;
const HAS_DIGIT = /\d/;

/** Whether a path segment is an id rather than a name: numbers, UUIDs, hashes, long tokens with digits. */
function isId(segment: string): boolean {
  if (NUMBER.test(segment) || UUID.test(segment)) return true;
  if (!HAS_DIGIT.test(segment)) return false;
  return HEX.test(segment) || TOKEN.test(segment);
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
  const path = end === url.length ? url : url.slice(0, end);
  if (path === '' || path === '/') return '/';
  // Most paths have no id: check before allocating the split.
  const segments = path.split('/');
  let changed = false;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s !== '' && isId(s)) {
      segments[i] = ':id';
      changed = true;
    }
  }
  // Long paths are cut: route names are gauge names and must stay short.
  const folded = changed ? segments.join('/') : path;
  return folded.length > 120 ? `${folded.slice(0, 117)}...` : folded;
}

interface ExpressLike {
  route?: { path?: unknown };
  baseUrl?: unknown;
}

/** The route of a finished request: the framework's pattern when it left one, else the folded path. */
function routeOf(request: IncomingMessage): string {
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
    const map = this.#counters;
    const name = `${method} ${route}`;
    let c = map.get(name);
    if (c === undefined) {
      const key = map.size < this.maxRoutes ? name : `${method} ${OTHER}`;
      c = map.get(key);
      if (c === undefined) {
        c = { key, count: 0 };
        map.set(key, c);
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
