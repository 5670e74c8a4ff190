import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeRoutes, explainsGrowth } from '../src/monitor/analysis.js';
import { foldPath, RouteCounter } from '../src/monitor/routes.js';

// Synthetic traffic with known per-route rates: the heap after GC is the sum of what each route
// keeps per request, plus measurement noise (garbage in flight, heavy-tailed). The regression must
// give each route back its rate, and give the routes that keep nothing (almost) nothing.

interface Scenario {
  rates: number[];
  n: number;
  phases: number[][];
  noise: number[];
  outliers: boolean[];
}

const scenario = fc
  .record({
    routes: fc.integer({ min: 2, max: 4 }),
    n: fc.integer({ min: 30, max: 60 }),
    leakRate: fc.integer({ min: 50, max: 2000 }),
    secondRate: fc.oneof(fc.constant(0), fc.integer({ min: 50, max: 2000 })),
    seed: fc.integer(),
  })
  .chain(({ routes, n, leakRate, secondRate }) =>
    fc.record({
      rates: fc.constant([leakRate, secondRate, ...new Array<number>(routes - 2).fill(0)]),
      n: fc.constant(n),
      // Requests per route per reading: one route hot at a time, as traffic shifts.
      phases: fc.array(
        fc.array(fc.integer({ min: 20, max: 800 }), { minLength: routes, maxLength: routes }),
        {
          minLength: n,
          maxLength: n,
        },
      ),
      noise: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
      // One reading in twenty is an outlier.
      outliers: fc.array(
        fc.integer({ min: 0, max: 19 }).map((v) => v === 0),
        { minLength: n, maxLength: n },
      ),
    }),
  ) as fc.Arbitrary<Scenario>;

function simulate(s: Scenario) {
  const k = s.rates.length;
  const times = new Float64Array(s.n);
  const heap = new Float64Array(s.n);
  const counts = s.rates.map(() => new Float64Array(s.n));
  const cumulative = new Array<number>(k).fill(0);
  let kept = 0;
  for (let i = 0; i < s.n; i++) {
    times[i] = i * 1000;
    for (let r = 0; r < k; r++) {
      const served = s.phases[i]![r]!;
      cumulative[r]! += served;
      kept += served * s.rates[r]!;
      counts[r]![i] = cumulative[r]!;
    }
    // Noise of a few kB (objects in flight at the collection), sometimes ten times that.
    const scale = s.outliers[i] ? 40_000 : 4000;
    heap[i] = 5e6 + kept + s.noise[i]! * scale;
  }
  return { times, heap, routes: counts.map((c, r) => ({ route: `GET /r${r}`, counts: c })) };
}

describe('attributeRoutes()', () => {
  it('recovers known per-route rates from synthetic counts', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { times, heap, routes } = simulate(s);
        const out = attributeRoutes(times, heap, routes, 0, s.n);
        const byRoute = new Map(out.map((r) => [r.route, r]));
        const top = Math.max(...s.rates);
        s.rates.forEach((rate, r) => {
          const est = byRoute.get(`GET /r${r}`)!;
          expect(est).toBeDefined();
          // Within 25% (or 15 B) of the truth; routes that keep nothing get under a tenth of the top rate.
          if (rate > 0)
            expect(Math.abs(est.bytesPerRequest - rate)).toBeLessThanOrEqual(Math.max(15, 0.25 * rate));
          else expect(est.bytesPerRequest).toBeLessThan(Math.max(15, 0.1 * top));
        });
        // The shares add up to the growth they explain.
        const total = out.reduce((sum, r) => sum + r.share, 0);
        expect(total).toBeGreaterThan(0.8);
        expect(total).toBeLessThan(1.2);
      }),
      { seed: 20261125, numRuns: 150 },
    );
  });

  it('gives a step of the monitor’s own (a heap series) to no route when told where it was', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 200_000, max: 2_000_000 }), fc.boolean(), (s, size, down) => {
        const { times, heap, routes } = simulate(s);
        // Six readings left out from a third of the way in, and the heap a step higher (or lower)
        // afterwards: the captures' own garbage and code, which the correction never gets exactly.
        const k = Math.floor(s.n / 3);
        for (let i = k; i < k + 6; i++) heap[i] = Number.NaN;
        for (let i = k + 6; i < s.n; i++) heap[i]! += down ? -size : size;
        const out = attributeRoutes(times, heap, routes, 0, s.n, undefined, [times[k - 1]!]);
        const byRoute = new Map(out.map((r) => [r.route, r]));
        const top = Math.max(...s.rates);
        s.rates.forEach((rate, r) => {
          const est = byRoute.get(`GET /r${r}`)!;
          if (rate > 0)
            expect(Math.abs(est.bytesPerRequest - rate)).toBeLessThanOrEqual(Math.max(15, 0.25 * rate));
          else expect(est.bytesPerRequest).toBeLessThan(Math.max(15, 0.1 * top));
        });
      }),
      { seed: 5, numRuns: 100 },
    );
  });

  it('names no route when the heap does not follow the requests', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { times, heap, routes } = simulate({ ...s, rates: s.rates.map(() => 0) });
        for (const r of attributeRoutes(times, heap, routes, 0, s.n)) {
          expect(r.bytesPerRequest < 3 * r.stderr || r.bytesPerRequest < 15).toBe(true);
        }
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});

describe('explainsGrowth()', () => {
  const route = {
    route: 'GET /quote/TECH',
    requests: 1190,
    bytesPerRequest: 1284,
    unique: 1200,
    stderr: 300,
    share: 0.92,
  };
  it('takes a route whose rate stands out in the joint fit and given time alone', () => {
    expect(explainsGrowth(route)).toBe(true);
    expect(explainsGrowth({ ...route, unique: 901 })).toBe(true);
  });

  it('refuses one the joint fit gave time’s slope to: its own rate given time is no more than noise', () => {
    // s12-poller: a refresher's growth that follows time, handed to a route by the joint fit.
    expect(explainsGrowth({ ...route, unique: -130, stderr: 307, bytesPerRequest: 1284 })).toBe(false);
    expect(explainsGrowth({ ...route, unique: 850 })).toBe(false);
    // And the older rules: significant in the joint fit, a tenth of the growth.
    expect(explainsGrowth({ ...route, bytesPerRequest: 800 })).toBe(false);
    expect(explainsGrowth({ ...route, share: 0.05 })).toBe(false);
    expect(explainsGrowth({ ...route, stderr: Number.POSITIVE_INFINITY })).toBe(false);
  });
});

describe('foldPath()', () => {
  it('folds ids and leaves names', () => {
    expect(foldPath('/users/42/orders/9f1c2e7a-0b1d-4c5e-8f00-1234567890ab?page=2')).toBe(
      '/users/:id/orders/:id',
    );
    expect(foldPath('/files/5d41402abc4b2a76b9719d911017c592')).toBe('/files/:id');
    expect(foldPath('/api/v2/health')).toBe('/api/v2/health');
    expect(foldPath('/')).toBe('/');
    expect(foldPath('/search?q=1')).toBe('/search');
    expect(foldPath('/t/eyJhbGciOiJIUzI1NiJ9abc123')).toBe('/t/:id');
    // Names with a number in them are records; one digit, or a version, is a name.
    expect(foldPath('/tenants/t20/config')).toBe('/tenants/:id/config');
    expect(foldPath('/users/user42/sku-1234')).toBe('/users/:id/:id');
    expect(foldPath('/api/v10/oauth2/ipv6')).toBe('/api/v10/oauth2/ipv6');
  });

  it('folds exactly the segments the id patterns match (a reference with regular expressions)', () => {
    const reference = (url: string): string => {
      const path = url.split(/[?#]/)[0]!;
      if (path === '' || path === '/') return '/';
      const isId = (s: string) =>
        /^\d+$/.test(s) ||
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) ||
        (/\d/.test(s) && (/^[0-9a-f]{8,}$/i.test(s) || /^[\w-]{16,}$/.test(s))) ||
        (/^[\w-]+$/.test(s) && /\d\d/.test(s) && !/^v\d+$/i.test(s));
      const folded = path
        .split('/')
        .map((s) => (s !== '' && isId(s) ? ':id' : s))
        .join('/');
      return folded.length > 120 ? `${folded.slice(0, 117)}...` : folded;
    };
    const segment = fc.oneof(
      fc.stringMatching(/^[a-z]{1,12}$/),
      fc.nat().map(String),
      fc.uuid(),
      fc.stringMatching(/^[0-9a-fA-F]{6,40}$/),
      fc.stringMatching(/^[\w-]{10,30}$/),
      fc.string({ maxLength: 8 }),
      fc.stringMatching(/^[a-zA-Z_-]{0,6}\d{1,5}[a-z]{0,3}$/),
    );
    const url = fc
      .tuple(fc.array(segment, { maxLength: 6 }), fc.constantFrom('', '/', '?x=1/2', '#h', '?a#b'))
      .map(([segments, tail]) => `/${segments.join('/')}${tail}`);
    fc.assert(
      fc.property(url, (u) => {
        expect(foldPath(u)).toBe(reference(u));
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('always gives a short path without a query', () => {
    fc.assert(
      fc.property(fc.webPath(), fc.webQueryParameters(), (path, query) => {
        const folded = foldPath(`${path}?${query}`);
        expect(folded.includes('?')).toBe(false);
        expect(folded.length).toBeLessThanOrEqual(120);
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});

describe('RouteCounter', () => {
  it('counts per method and route, and keeps no more than maxRoutes however many routes come', () => {
    const counter = new RouteCounter(3);
    for (let i = 0; i < 1000; i++) {
      counter.add('GET', '/a');
      counter.add('POST', '/a');
      // A scan of random URLs: past the cap, they all count as one route.
      counter.add('GET', `/scan-${i}`);
    }
    expect(counter.total).toBe(3000);
    expect(counter.counts()).toEqual([
      { route: 'GET /a', count: 1000 },
      { route: 'POST /a', count: 1000 },
      { route: 'GET /scan-0', count: 1 },
      { route: 'GET (other)', count: 999 },
    ]);
    expect(counter.count('GET /a')).toBe(1000);
  });
});
