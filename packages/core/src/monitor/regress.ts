/**
 * Robust non-negative regression of heap growth on per-route request counts: which route explains
 * the growth, and how many bytes the heap keeps per request of it.
 *
 * Model, per heap-after-GC reading: `heap = α + Σ β_r · requests_r + γ · t + ε`, with the requests
 * each route served and the time since the window began, β ≥ 0 and γ ≥ 0 (growth that follows time,
 * not requests, goes to γ). Levels, not differences: the noise of a reading (garbage that was still
 * in flight when the collection ran) does not accumulate, so differencing would only double it.
 * What tells routes apart is that their traffic mix varies over time. ε is heavy-tailed, so the fit
 * is iteratively reweighted with Huber weights on a robust scale (1.4826 × MAD of the residuals).
 * Negative coefficients leave the active set one at a time, the most negative first.
 */

/** The fit: one coefficient per column, in the columns' units. */
export interface GrowthRegression {
  /** Bytes per request, one per route column. */
  perRequest: number[];
  /** Standard errors of `perRequest` (Infinity where a column was dropped or undetermined). */
  stderr: number[];
  /** Bytes per ms of growth that follows time, not requests. */
  perMs: number;
  /** Standard error of `perMs`. */
  perMsStderr: number;
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
 * Weighted least squares on the active columns, non-negative by elimination. `cols` are already
 * scaled. Returns coefficients for every column (0 for inactive) and the inverse diagonal.
 */
function fitNonNegative(
  y: Float64Array,
  cols: Float64Array[],
  weights: Float64Array,
  usable: boolean[],
  free: boolean[],
): { coef: Float64Array; invDiag: Float64Array; active: boolean[] } {
  const p = cols.length;
  const n = y.length;
  const active = usable.slice();
  const coef = new Float64Array(p);
  const invDiag = new Float64Array(p).fill(Number.POSITIVE_INFINITY);
  for (;;) {
    const idx: number[] = [];
    for (let j = 0; j < p; j++) if (active[j]) idx.push(j);
    coef.fill(0);
    invDiag.fill(Number.POSITIVE_INFINITY);
    const k = idx.length;
    if (k === 0) return { coef, invDiag, active };
    const a = new Float64Array(k * k);
    const b = new Float64Array(k);
    for (let u = 0; u < k; u++) {
      const cu = cols[idx[u]!]!;
      let sb = 0;
      for (let i = 0; i < n; i++) sb += weights[i]! * cu[i]! * y[i]!;
      b[u] = sb;
      for (let v = u; v < k; v++) {
        const cv = cols[idx[v]!]!;
        let s = 0;
        for (let i = 0; i < n; i++) s += weights[i]! * cu[i]! * cv[i]!;
        a[u * k + v] = s;
        a[v * k + u] = s;
      }
    }
    const solved = solve(a, b, k);
    if (solved === null) {
      // Collinear columns: drop the last constrained one (the time column, or the smallest route).
      let drop = -1;
      for (let u = k - 1; u >= 0 && drop === -1; u--) if (!free[idx[u]!]) drop = idx[u]!;
      if (drop === -1) return { coef, invDiag, active };
      active[drop] = false;
      continue;
    }
    let worst = -1;
    let worstValue = 0;
    for (let u = 0; u < k; u++) {
      if (!free[idx[u]!] && solved.x[u]! < worstValue) {
        worstValue = solved.x[u]!;
        worst = idx[u]!;
      }
    }
    if (worst !== -1) {
      active[worst] = false;
      continue;
    }
    for (let u = 0; u < k; u++) {
      coef[idx[u]!] = solved.x[u]!;
      invDiag[idx[u]!] = solved.invDiag[u]!;
    }
    return { coef, invDiag, active };
  }
}

/**
 * Fits `y ≈ α + Σ β_r · routes[r] + γ · t` robustly with β, γ ≥ 0 (α free).
 *
 * @param y - heap after GC per reading, bytes.
 * @param routes - cumulative requests per reading, one array per route (same length as `y`).
 * @param t - time of each reading in ms; omit to fit on requests only.
 * @returns coefficients and standard errors, or undefined with too few readings (fewer than columns + 3).
 */
export function regressGrowth(
  y: ArrayLike<number>,
  routes: readonly ArrayLike<number>[],
  t?: ArrayLike<number>,
): GrowthRegression | undefined {
  const n = y.length;
  const ones = new Float64Array(n).fill(1);
  const raw: ArrayLike<number>[] = t === undefined ? [ones, ...routes] : [ones, ...routes, t];
  const p = raw.length;
  if (routes.length === 0 || n < p + 2) return undefined;
  // Centre the regressors (the intercept takes the mean) and scale them to unit RMS: counts
  // (thousands) and ms (tens of thousands) then sit in one range and the normal equations stay sound.
  const scales = new Float64Array(p);
  const cols: Float64Array[] = [];
  const usable: boolean[] = [];
  const free: boolean[] = [];
  for (let j = 0; j < p; j++) {
    const c = raw[j]!;
    const col = new Float64Array(n);
    let mean = 0;
    if (j > 0) {
      for (let i = 0; i < n; i++) mean += c[i]!;
      mean /= n;
    }
    let ss = 0;
    for (let i = 0; i < n; i++) {
      col[i] = c[i]! - mean;
      ss += col[i]! * col[i]!;
    }
    const rms = Math.sqrt(ss / n);
    scales[j] = rms > 0 ? rms : 1;
    usable.push(rms > 0);
    free.push(j === 0);
    for (let i = 0; i < n; i++) col[i]! /= scales[j]!;
    cols.push(col);
  }
  const ys = Float64Array.from(y as ArrayLike<number>);
  const weights = new Float64Array(n).fill(1);
  const residuals = new Float64Array(n);
  let fit = fitNonNegative(ys, cols, weights, usable, free);
  let scale = 0;
  for (let iter = 0; iter < ITERATIONS; iter++) {
    for (let i = 0; i < n; i++) {
      let pred = 0;
      for (let j = 0; j < p; j++) pred += fit.coef[j]! * cols[j]![i]!;
      residuals[i] = ys[i]! - pred;
    }
    const abs = residuals.map(Math.abs);
    scale = 1.4826 * medianOf(abs);
    if (!(scale > 0)) break;
    for (let i = 0; i < n; i++) {
      const r = Math.abs(residuals[i]!) / scale;
      weights[i] = r <= HUBER ? 1 : HUBER / r;
    }
    fit = fitNonNegative(ys, cols, weights, usable, free);
  }
  // Residual variance with the final weights, on the active columns' degrees of freedom.
  let k = 0;
  for (const a of fit.active) if (a) k++;
  let rss = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    let pred = 0;
    for (let j = 0; j < p; j++) pred += fit.coef[j]! * cols[j]![i]!;
    const r = ys[i]! - pred;
    rss += weights[i]! * r * r;
    wsum += weights[i]!;
  }
  const dof = Math.max(1, wsum - k);
  // Readings close in time share their noise (garbage in flight, a hash table between two resizes):
  // residuals are autocorrelated, and with them the plain standard errors too small. Inflate them by
  // the AR(1) factor sqrt((1 + ρ) / (1 − ρ)), ρ the lag-1 autocorrelation of the residuals.
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    let pred = 0;
    for (let j = 0; j < p; j++) pred += fit.coef[j]! * cols[j]![i]!;
    residuals[i] = ys[i]! - pred;
    den += residuals[i]! * residuals[i]!;
    if (i > 0) num += residuals[i]! * residuals[i - 1]!;
  }
  const rho = den > 0 ? Math.min(0.9, Math.max(0, num / den)) : 0;
  const sigma2 = (rss / dof) * ((1 + rho) / (1 - rho));
  const coef = Array.from(fit.coef, (c, j) => c / scales[j]!);
  const se = Array.from(fit.invDiag, (d, j) =>
    Number.isFinite(d) ? Math.sqrt(Math.max(0, sigma2 * d)) / scales[j]! : Number.POSITIVE_INFINITY,
  );
  const routeCount = routes.length;
  return {
    perRequest: coef.slice(1, 1 + routeCount),
    stderr: se.slice(1, 1 + routeCount),
    perMs: t === undefined ? 0 : coef[1 + routeCount]!,
    perMsStderr: t === undefined ? 0 : se[1 + routeCount]!,
    n,
    scale,
  };
}
