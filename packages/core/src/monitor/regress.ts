/**
 * Robust non-negative regression of heap growth on per-route request counts: which route explains
 * the growth, and how many bytes the heap keeps per request of it.
 *
 * Model, per heap-after-GC reading: `heap = α + Σ β_r · requests_r + γ · t + ε`, with the requests
 * each route served and the time since the window began, β ≥ 0 and γ ≥ 0 (growth that follows time,
 * not requests, goes to γ). Levels, not differences: the noise of a reading (garbage that was still
 * in flight when the collection ran) does not accumulate, so differencing would only double it.
 * What tells routes apart is that their traffic mix varies over time. ε is heavy-tailed, so the fit
 * is iteratively reweighted with Huber weights on a robust scale (1.4826 × MAD of the residuals),
 * each step a Lawson–Hanson non-negative least squares.
 *
 * Level shifts the program did not make (the monitor's own heap captures leave a step in the heap
 * after GC, never known exactly) can be given as `shifts` columns (0 before, 1 after): each gets a
 * coefficient of its own, of either sign, so a step is not blamed on the route that happened to be
 * busy while it was taken.
 */

/** The fit: one coefficient per column, in the columns' units. */
export interface GrowthRegression {
  /** Bytes per request, one per route column. */
  perRequest: number[];
  /**
   * Bytes per request of each route fitted on that route and time alone: what its own departures
   * from a steady rate explain.
   */
  unique: number[];
  /** Standard errors of `unique` (Infinity where undetermined). */
  stderr: number[];
  /** Bytes per ms of growth that follows time, not requests. */
  perMs: number;
  /** Readings used. */
  n: number;
  /** Robust scale of the residuals, bytes. */
  scale: number;
}

const HUBER = 1.345;
const ITERATIONS = 8;

function medianOf(values: Float64Array): number {
  const a = Float64Array.from(values).sort();
  const m = a.length >> 1;
  return a.length === 0 ? 0 : a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/**
 * Solves `A x = b` for a small symmetric positive (semi)definite `A` (row-major, k × k) by Gaussian
 * elimination with partial pivoting; returns null when singular. Also returns the inverse's diagonal.
 */
function solve(
  a: Float64Array,
  b: Float64Array,
  k: number,
): { x: Float64Array; invDiag: Float64Array } | null {
  // Augment with the identity to get the inverse's diagonal in the same pass.
  const w = k + 1 + k;
  const m = new Float64Array(k * w);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) m[i * w + j] = a[i * k + j]!;
    m[i * w + k] = b[i]!;
    m[i * w + k + 1 + i] = 1;
  }
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++)
      if (Math.abs(m[r * w + col]!) > Math.abs(m[pivot * w + col]!)) pivot = r;
    const p = m[pivot * w + col]!;
    if (!(Math.abs(p) > 1e-12)) return null;
    if (pivot !== col) {
      for (let j = 0; j < w; j++) {
        const t = m[col * w + j]!;
        m[col * w + j] = m[pivot * w + j]!;
        m[pivot * w + j] = t;
      }
    }
    for (let j = 0; j < w; j++) m[col * w + j]! /= p;
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = m[r * w + col]!;
      if (f === 0) continue;
      for (let j = 0; j < w; j++) m[r * w + j]! -= f * m[col * w + j]!;
    }
  }
  const x = new Float64Array(k);
  const invDiag = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    x[i] = m[i * w + k]!;
    invDiag[i] = m[i * w + k + 1 + i]!;
  }
  return { x, invDiag };
}

/**
 * Lawson–Hanson non-negative least squares on the normal equations `G = XᵀWX`, `h = XᵀWy` (columns
 * already centred, so the intercept is out of the problem): columns enter the solution one at a
 * time, the one the residual points to most first, and leave when their coefficient would turn
 * negative. A column that adds nothing the chosen ones do not already explain never enters, so
 * collinear columns (under a steady total rate, time and the sum of the routes' requests) do not
 * share the growth between them at random. Returns the coefficients and the passive set.
 */
function nnls(g: Float64Array, h: Float64Array, p: number): { x: Float64Array; passive: boolean[] } {
  const x = new Float64Array(p);
  const passive = new Array<boolean>(p).fill(false);
  const excluded = new Array<boolean>(p).fill(false);
  let scale = 0;
  for (let j = 0; j < p; j++) scale = Math.max(scale, Math.abs(h[j]!));
  const tol = 1e-10 * Math.max(1, scale);
  const gradient = (j: number) => {
    let v = h[j]!;
    for (let k = 0; k < p; k++) v -= g[j * p + k]! * x[k]!;
    return v;
  };
  const solvePassive = (): Float64Array | null => {
    const idx: number[] = [];
    for (let j = 0; j < p; j++) if (passive[j]) idx.push(j);
    const k = idx.length;
    const a = new Float64Array(k * k);
    const b = new Float64Array(k);
    for (let u = 0; u < k; u++) {
      b[u] = h[idx[u]!]!;
      for (let v = 0; v < k; v++) a[u * k + v] = g[idx[u]! * p + idx[v]!]!;
    }
    const solved = solve(a, b, k);
    if (solved === null) return null;
    const out = new Float64Array(p);
    for (let u = 0; u < k; u++) out[idx[u]!] = solved.x[u]!;
    return out;
  };
  for (let outer = 0; outer < 3 * p + 3; outer++) {
    let best = -1;
    let bestW = tol;
    for (let j = 0; j < p; j++) {
      if (passive[j] || excluded[j]) continue;
      const w = gradient(j);
      if (w > bestW) {
        bestW = w;
        best = j;
      }
    }
    if (best === -1) break;
    passive[best] = true;
    for (let inner = 0; inner < 3 * p + 3; inner++) {
      const z = solvePassive();
      if (z === null) {
        // What it brings is already explained by the columns in the solution.
        passive[best] = false;
        excluded[best] = true;
        break;
      }
      let feasible = true;
      for (let j = 0; j < p; j++) if (passive[j] && z[j]! <= 0) feasible = false;
      if (feasible) {
        x.set(z);
        break;
      }
      let alpha = 1;
      for (let j = 0; j < p; j++) {
        if (passive[j] && z[j]! <= 0) alpha = Math.min(alpha, x[j]! / (x[j]! - z[j]!));
      }
      for (let j = 0; j < p; j++) {
        x[j] = x[j]! + alpha * (z[j]! - x[j]!);
        if (passive[j] && x[j]! <= tol) {
          passive[j] = false;
          x[j] = 0;
        }
      }
    }
  }
  return { x, passive };
}

/**
 * Fits `y ≈ α + Σ β_r · routes[r] + γ · t + Σ δ_s · shifts[s]` robustly with β, γ ≥ 0 (α and δ free).
 *
 * @param y - heap after GC per reading, bytes.
 * @param routes - cumulative requests per reading, one array per route (same length as `y`).
 * @param t - time of each reading in ms; omit to fit on requests only.
 * @param shifts - level-shift columns (0 before a step, 1 after), fitted with either sign.
 * @returns coefficients and standard errors, or undefined with too few readings (fewer than columns + 3).
 */
export function regressGrowth(
  y: ArrayLike<number>,
  routes: readonly ArrayLike<number>[],
  t?: ArrayLike<number>,
  shifts: readonly ArrayLike<number>[] = [],
): GrowthRegression | undefined {
  const n = y.length;
  // A shift of either sign under non-negative least squares: a column and its negation.
  const negated = shifts.map((c) => Float64Array.from(c as ArrayLike<number>, (v) => -v));
  const raw: ArrayLike<number>[] = [...routes, ...(t === undefined ? [] : [t]), ...shifts, ...negated];
  const p = raw.length;
  if (routes.length === 0 || n < p + 3) return undefined;
  // Scale the columns to unit RMS: counts (thousands) and ms (tens of thousands) then sit in one range.
  const scales = new Float64Array(p);
  const cols: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    const c = raw[j]!;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += c[i]! * c[i]!;
    const rms = Math.sqrt(ss / n);
    scales[j] = rms > 0 ? rms : 1;
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = c[i]! / scales[j]!;
    cols.push(col);
  }
  const ys = Float64Array.from(y as ArrayLike<number>);
  const weights = new Float64Array(n).fill(1);
  const residuals = new Float64Array(n);
  const g = new Float64Array(p * p);
  const h = new Float64Array(p);
  const means = new Float64Array(p);
  let ymean = 0;
  let fit: { x: Float64Array; passive: boolean[] } = { x: new Float64Array(p), passive: [] };
  const solveWeighted = () => {
    // Weighted centring takes the free intercept out of the problem.
    let wsum = 0;
    ymean = 0;
    means.fill(0);
    for (let i = 0; i < n; i++) {
      wsum += weights[i]!;
      ymean += weights[i]! * ys[i]!;
      for (let j = 0; j < p; j++) means[j]! += weights[i]! * cols[j]![i]!;
    }
    ymean /= wsum;
    for (let j = 0; j < p; j++) means[j]! /= wsum;
    g.fill(0);
    h.fill(0);
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      const yc = ys[i]! - ymean;
      for (let j = 0; j < p; j++) {
        const cj = cols[j]![i]! - means[j]!;
        h[j]! += w * cj * yc;
        for (let k = j; k < p; k++) g[j * p + k]! += w * cj * (cols[k]![i]! - means[k]!);
      }
    }
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) g[j * p + k] = g[k * p + j]!;
    fit = nnls(g, h, p);
  };
  const residualsNow = () => {
    for (let i = 0; i < n; i++) {
      let pred = ymean;
      for (let j = 0; j < p; j++) pred += fit.x[j]! * (cols[j]![i]! - means[j]!);
      residuals[i] = ys[i]! - pred;
    }
  };
  solveWeighted();
  let scale = 0;
  for (let iter = 0; iter < ITERATIONS; iter++) {
    residualsNow();
    const abs = residuals.map(Math.abs);
    scale = 1.4826 * medianOf(abs);
    if (!(scale > 0)) break;
    for (let i = 0; i < n; i++) {
      const r = Math.abs(residuals[i]!) / scale;
      weights[i] = r <= HUBER ? 1 : HUBER / r;
    }
    solveWeighted();
  }
  residualsNow();
  // How well each route's own rate is pinned: the same data fitted on that route and time alone
  // (with the final robust weights). Only the route's departures from its steady rate tell it apart
  // from time and from the other routes, so a route whose traffic only ever rose in step with the
  // rest gets a large error here, whatever share the joint fit gave it.
  const routeCount = routes.length;
  const unique = new Array<number>(routeCount).fill(0);
  const stderr = new Array<number>(routeCount).fill(Number.POSITIVE_INFINITY);
  const timeCol = t === undefined ? undefined : cols[routeCount]!;
  const shiftCols = cols.slice(
    routeCount + (t === undefined ? 0 : 1),
    routeCount + (t === undefined ? 0 : 1) + shifts.length,
  );
  for (let r = 0; r < routeCount; r++) {
    const one = single(ys, cols[r]!, timeCol, weights, shiftCols);
    if (one === undefined) continue;
    unique[r] = one.coef / scales[r]!;
    stderr[r] = one.se / scales[r]!;
  }
  const coef = Array.from(fit.x, (c, j) => c / scales[j]!);
  return {
    perRequest: coef.slice(0, routeCount),
    unique,
    stderr,
    perMs: t === undefined ? 0 : coef[routeCount]!,
    n,
    scale,
  };
}

/**
 * Weighted least squares of `y` on an intercept, one column, (when given) time and level shifts: the
 * column's coefficient and its standard error, inflated for autocorrelated residuals.
 */
function single(
  y: Float64Array,
  col: Float64Array,
  time: Float64Array | undefined,
  weights: Float64Array,
  shifts: readonly Float64Array[],
): { coef: number; se: number } | undefined {
  const n = y.length;
  const first = time === undefined ? 2 : 3;
  const k = first + shifts.length;
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    row[0] = 1;
    row[1] = col[i]!;
    if (time !== undefined) row[2] = time[i]!;
    for (let s = 0; s < shifts.length; s++) row[first + s] = shifts[s]![i]!;
    const w = weights[i]!;
    for (let u = 0; u < k; u++) {
      b[u]! += w * row[u]! * y[i]!;
      for (let v = 0; v < k; v++) a[u * k + v]! += w * row[u]! * row[v]!;
    }
  }
  const solved = solve(a, b, k);
  if (solved === null) return undefined;
  let rss = 0;
  let wsum = 0;
  let num = 0;
  let den = 0;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    let pred = solved.x[0]! + solved.x[1]! * col[i]!;
    if (time !== undefined) pred += solved.x[2]! * time[i]!;
    for (let s = 0; s < shifts.length; s++) pred += solved.x[first + s]! * shifts[s]![i]!;
    const r = y[i]! - pred;
    rss += weights[i]! * r * r;
    wsum += weights[i]!;
    den += r * r;
    if (i > 0) num += r * previous;
    previous = r;
  }
  const rho = den > 0 ? Math.min(0.9, Math.max(0, num / den)) : 0;
  const sigma2 = (rss / Math.max(1, wsum - k)) * ((1 + rho) / (1 - rho));
  return { coef: solved.x[1]!, se: Math.sqrt(Math.max(0, sigma2 * solved.invDiag[1]!)) };
}
