// What the benches that compare servers under load share: medians, ratios printed as changes, and
// the alternating rounds (every server loaded once per round, the order rotated each round, so the
// load of a shared machine falls on all of them alike; ratios are to the `off` server of the same
// round).

/** The median of the finite values, NaN for none. */
export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** `0.961× (-3.9%)`. */
export const pct = (r) => `${r.toFixed(3)}× (${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%)`;

export const log = (s) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

/**
 * Warms every server up, then runs `rounds` alternating rounds of `load(server, seconds, '0.5')`.
 * `servers` are `{ mode, port }`, one of them with mode `off`; `name(mode)` labels the log lines.
 * Returns every measurement per mode and the per-round ratios (rps, p99, CPU per request) to `off`.
 */
export async function alternatingRounds({ servers, rounds, seconds, load, name = (m) => m }) {
  const modes = servers.map((s) => s.mode);
  for (const s of servers) await load(s, '3', '1');
  const runs = Object.fromEntries(modes.map((m) => [m, []]));
  const ratios = Object.fromEntries(modes.map((m) => [m, { rps: [], p99: [], cpu: [] }]));
  for (let r = 0; r < rounds; r++) {
    const order = servers.map((_, i) => servers[(i + r) % servers.length]);
    const got = {};
    for (const s of order) {
      got[s.mode] = await load(s, seconds, '0.5');
      runs[s.mode].push(got[s.mode]);
    }
    for (const m of modes) {
      ratios[m].rps.push(got[m].rps / got.off.rps);
      ratios[m].p99.push(got[m].p99Ms / got.off.p99Ms);
      ratios[m].cpu.push(got[m].cpuUsPerRequest / got.off.cpuUsPerRequest);
    }
    log(
      `round ${r + 1}/${rounds}: ${modes.map((m) => `${name(m)} ${got[m].rps} rps p99 ${got[m].p99Ms} ms cpu ${got[m].cpuUsPerRequest} µs/req`).join(' | ')}`,
    );
  }
  return { runs, ratios };
}

/** Medians per mode of what {@link alternatingRounds} measured. */
export function summarize(modes, { runs, ratios }, name = (m) => m) {
  return modes.map((m) => ({
    mode: name(m),
    rps: median(runs[m].map((x) => x.rps)),
    p50Ms: median(runs[m].map((x) => x.p50Ms)),
    p99Ms: median(runs[m].map((x) => x.p99Ms)),
    cpuUsPerRequest: median(runs[m].map((x) => x.cpuUsPerRequest)),
    errors: runs[m].reduce((a, x) => a + x.errors, 0),
    rpsRatio: +median(ratios[m].rps).toFixed(4),
    p99Ratio: +median(ratios[m].p99).toFixed(4),
    cpuRatio: +median(ratios[m].cpu).toFixed(4),
  }));
}
