// A timing registry like the seed's `TimerMetrics`: every timed call appends its duration, meant to
// be aggregated and cleared once a minute. The aggregation runs; the clear was forgotten.
// biome-ignore lint/complexity/noStaticOnlyClass: the seed's registry is a class holding static state
export class TimerMetrics {
  static timers = [];

  static add(name, elapsed) {
    TimerMetrics.timers.push({ name, elapsed }); // the leak: appended per request, never cleared
  }

  static aggregate() {
    const totals = {};
    for (const t of TimerMetrics.timers) totals[t.name] = (totals[t.name] ?? 0) + t.elapsed;
    // TimerMetrics.timers.length = 0;   <- the missing line
    return totals;
  }
}

/** Times `fn` into the registry under `name`. */
export function timed(name, fn) {
  const started = performance.now();
  try {
    return fn();
  } finally {
    TimerMetrics.add(name, performance.now() - started);
  }
}
