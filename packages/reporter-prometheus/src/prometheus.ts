import type {
  Finding,
  MonitorForecast,
  MonitorInfo,
  MonitorReport,
  MonitorSample,
  MonitorTrend,
  Reporter,
  Severity,
} from '@leakkit/core';
import { invalidOption, LeakkitError } from '@leakkit/core';
import type { OpenMetricsContentType, PrometheusContentType, Registry } from 'prom-client';
import { Gauge, register } from 'prom-client';

/** A prom-client registry: the global `register` or one of the app's own (`new Registry()`). */
export type PrometheusRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** Options of {@link prometheusReporter}. Every field is optional. */
export interface PrometheusReporterOptions {
  /**
   * The registry to expose the metrics in: the one your `/metrics` endpoint already serves.
   * @defaultValue prom-client's global `register`
   */
  registry?: PrometheusRegistry;
  /**
   * Prepended to every metric name; letters, digits, `_` and `:`, not starting with a digit.
   * @defaultValue `'leakkit_'`
   */
  prefix?: string;
  /**
   * Findings exported one series each (`<prefix>finding_confidence`), most severe and most
   * confident first; the others are still counted in `<prefix>findings`. Keeps the label
   * cardinality bounded whatever the program does. 0 to 1000.
   * @defaultValue 20
   */
  maxFindings?: number;
}

/** The reporter {@link prometheusReporter} returns: a `Reporter` that can also be closed by hand. */
export interface PrometheusReporter extends Reporter {
  readonly name: 'prometheus';
  /**
   * Removes the metrics from the registry now (the monitor's `stop()` does it too). Idempotent;
   * the next monitor `start()` with this reporter registers them again.
   */
  close(): void;
}

const DEFAULT_PREFIX = 'leakkit_';
const DEFAULT_MAX_FINDINGS = 20;
const MAX_MAX_FINDINGS = 1000;
// Label values are cut here: a path through deep nesting can be long, and Prometheus stores every
// label value in its index.
const MAX_LABEL_LENGTH = 200;
// Active findings remembered between events. The monitor itself keeps at most 200; this only
// guards against a misbehaving caller.
const MAX_TRACKED = 1000;
const SEVERITIES: readonly Severity[] = ['leak', 'warning', 'info'];
const SEVERITY_RANK: Record<string, number> = { leak: 0, warning: 1, info: 2 };
const VERDICTS: readonly MonitorTrend['verdict'][] = ['leak', 'maybe-leak', 'not-leak'];
const PREFIX_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const FINDING_LABELS = ['id', 'detector', 'severity', 'path', 'site', 'route'] as const;
type FindingLabel = (typeof FINDING_LABELS)[number];

/** What the reporter keeps of a finding: its labels and two numbers, not the finding (its evidence can be large). */
interface TrackedFinding {
  labels: Record<FindingLabel, string>;
  severity: string;
  detector: string;
  confidence: number;
  bytesPerSecond: number | undefined;
}

/** What the reporter keeps of the latest tick. */
interface State {
  detectors: string[];
  heapAfterGC: number | undefined;
  heapUsed: number | undefined;
  heapLimit: number | undefined;
  cgroupLimit: number | null;
  rss: number | undefined;
  external: number | undefined;
  time: number | undefined;
  trend: MonitorTrend | undefined;
  forecast: MonitorForecast | undefined;
  findings: Map<string, TrackedFinding>;
}

function emptyState(): State {
  return {
    detectors: [],
    heapAfterGC: undefined,
    heapUsed: undefined,
    heapLimit: undefined,
    cgroupLimit: null,
    rss: undefined,
    external: undefined,
    time: undefined,
    trend: undefined,
    forecast: undefined,
    findings: new Map(),
  };
}

function label(value: string | undefined): string {
  if (value === undefined) return '';
  return value.length > MAX_LABEL_LENGTH ? `${value.slice(0, MAX_LABEL_LENGTH - 1)}…` : value;
}

function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

function track(f: Finding): TrackedFinding {
  const perMinute = f.growth?.bytesPerMinute;
  return {
    labels: {
      id: label(f.id),
      detector: label(f.detector),
      severity: f.severity,
      // Paths come rendered by core, with Map keys hashed: nothing here reads heap strings.
      path: label(f.path),
      site: f.site === undefined ? '' : label(`${f.site.file}:${f.site.line}`),
      route: label(f.route),
    },
    severity: f.severity,
    detector: f.detector,
    confidence: f.confidence,
    bytesPerSecond: typeof perMinute === 'number' && Number.isFinite(perMinute) ? perMinute / 60 : undefined,
  };
}

function isRegistry(value: unknown): value is PrometheusRegistry {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.registerMetric === 'function' &&
    typeof r.removeSingleMetric === 'function' &&
    typeof r.getSingleMetric === 'function'
  );
}

interface Resolved {
  registry: PrometheusRegistry;
  prefix: string;
  maxFindings: number;
}

function resolveOptions(options: PrometheusReporterOptions): Resolved {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  const { registry = register, prefix = DEFAULT_PREFIX, maxFindings = DEFAULT_MAX_FINDINGS } = options;
  if (!isRegistry(registry)) {
    throw invalidOption('registry', 'a prom-client Registry (`new Registry()` or `register`)', registry);
  }
  if (typeof prefix !== 'string' || (prefix !== '' && !PREFIX_PATTERN.test(prefix))) {
    throw invalidOption('prefix', 'a metric name prefix of letters, digits, `_` and `:`', prefix);
  }
  if (
    typeof maxFindings !== 'number' ||
    !Number.isInteger(maxFindings) ||
    maxFindings < 0 ||
    maxFindings > MAX_MAX_FINDINGS
  ) {
    throw invalidOption('maxFindings', `an integer from 0 to ${MAX_MAX_FINDINGS}`, maxFindings);
  }
  return { registry, prefix, maxFindings };
}

/**
 * Exposes what leakkit's live monitor sees as Prometheus metrics through `prom-client`, in the
 * registry your `/metrics` endpoint already serves: the heap after GC and its limits, RSS, the
 * heap's trend (bytes per second, verdict) and the time until it reaches its limit, the active
 * findings by severity and detector, and one series per finding (labels `id`, `detector`,
 * `severity`, `path`, `site`, `route`), capped at `maxFindings`. Values are read at scrape time
 * from the latest tick; the metrics are registered when the monitor starts and removed when it
 * stops. Nothing here throws into the host: a scrape never fails because of leakkit.
 *
 * @param options - see {@link PrometheusReporterOptions}.
 * @returns the reporter, to pass to `createMonitor({ reporters })`.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createMonitor } from '@leakkit/core';
 * import { prometheusReporter } from '@leakkit/reporter-prometheus';
 * import { register } from 'prom-client';
 *
 * createMonitor({ interval: '30s', reporters: [prometheusReporter()] }).start();
 * createServer(async (_req, res) => {
 *   res.setHeader('content-type', register.contentType);
 *   res.end(await register.metrics());
 * }).listen(9464);
 * ```
 */
export function prometheusReporter(options: PrometheusReporterOptions = {}): PrometheusReporter {
  const { registry, prefix, maxFindings } = resolveOptions(options);
  let state = emptyState();
  let registered = false;

  const names: string[] = [];
  // Every collect() runs inside the app's own scrape handler: it must not throw there. On a failure
  // the metric is left empty for this scrape.
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (g: Gauge<string>) => void,
  ): Gauge<string> => {
    names.push(`${prefix}${name}`);
    return new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames,
      // Registered by the monitor's start, not here: a reporter made and never used leaves no trace.
      registers: [],
      collect(this: Gauge<string>) {
        try {
          this.reset();
          fill(this);
        } catch {
          try {
            this.reset();
          } catch {
            // Nothing more to do without throwing.
          }
        }
      },
    });
  };
  // A label-less gauge holds 0 until set: a reading not taken yet must be absent, not 0 (a forecast
  // of 0 s would fire every alert).
  const single = (name: string, help: string, read: () => number | undefined) =>
    gauge(name, help, [], (g) => {
      const value = read();
      if (value === undefined) g.remove();
      else g.set(value);
    });

  const exported = (): TrackedFinding[] =>
    [...state.findings.values()]
      .sort(
        (a, b) =>
          (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
          b.confidence - a.confidence ||
          (a.labels.id < b.labels.id ? -1 : a.labels.id > b.labels.id ? 1 : 0),
      )
      .slice(0, maxFindings);

  const metrics: Gauge<string>[] = [
    single(
      'heap_after_gc_bytes',
      'Bytes of the JS heap the program owns after the latest major garbage collection.',
      () => state.heapAfterGC,
    ),
    single(
      'heap_used_bytes',
      'JS heap in use at the latest tick (process.memoryUsage().heapUsed).',
      () => state.heapUsed,
    ),
    single(
      'heap_limit_bytes',
      "V8's heap limit (heap_size_limit, set by --max-old-space-size).",
      () => state.heapLimit,
    ),
    single(
      'cgroup_limit_bytes',
      "The container's memory limit (cgroup memory.max); absent when there is none.",
      () => state.cgroupLimit ?? undefined,
    ),
    single('rss_bytes', 'Resident set size of the process at the latest tick.', () => state.rss),
    single(
      'external_bytes',
      'Memory of C++ objects bound to JS objects (process.memoryUsage().external) at the latest tick.',
      () => state.external,
    ),
    single(
      'last_sample_timestamp_seconds',
      'When the monitor took its latest sample, seconds since the epoch.',
      () => (state.time === undefined ? undefined : state.time / 1000),
    ),
    single(
      'heap_trend_bytes_per_second',
      'Growth of the heap after GC, bytes per second (Theil-Sen slope over the trend window).',
      () => (state.trend === undefined ? undefined : finite(state.trend.bytesPerHour / 3600)),
    ),
    single('heap_trend_confidence', 'Confidence of the heap trend verdict, 0 to 1.', () =>
      state.trend === undefined ? undefined : finite(state.trend.confidence),
    ),
    gauge(
      'heap_trend_verdict',
      'The heap trend verdict: 1 for the current one (leak, maybe-leak, not-leak), 0 for the others.',
      ['verdict'],
      (g) => {
        const trend = state.trend;
        if (trend === undefined) return;
        for (const verdict of VERDICTS) g.set({ verdict }, trend.verdict === verdict ? 1 : 0);
      },
    ),
    gauge(
      'heap_forecast_seconds',
      'Seconds until the heap reaches the nearer limit (heap or cgroup) at its current growth; absent when it does not grow.',
      ['limit'],
      (g) => {
        const f = state.forecast;
        if (f === undefined || Number.isNaN(f.eta)) return;
        g.set({ limit: f.source }, f.eta / 1000);
      },
    ),
    gauge('findings', 'Active findings by severity and detector.', ['severity', 'detector'], (g) => {
      const counts = new Map<string, Map<string, number>>();
      const zeros = () => new Map(SEVERITIES.map((s) => [s, 0]));
      // Every detector in use, every severity: a series at 0 rather than one that comes and goes.
      for (const detector of state.detectors) counts.set(detector, zeros());
      for (const f of state.findings.values()) {
        let bySeverity = counts.get(f.detector);
        if (bySeverity === undefined) {
          bySeverity = zeros();
          counts.set(f.detector, bySeverity);
        }
        bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
      }
      for (const [detector, bySeverity] of counts) {
        for (const [severity, n] of bySeverity) g.set({ severity, detector: label(detector) }, n);
      }
    }),
    gauge(
      'finding_confidence',
      `One series per active finding (the ${maxFindings} most severe), its confidence 0 to 1.`,
      FINDING_LABELS,
      (g) => {
        for (const f of exported()) g.set(f.labels, f.confidence);
      },
    ),
    gauge(
      'finding_growth_bytes_per_second',
      'Growth of each exported finding that reports a rate, bytes per second.',
      FINDING_LABELS,
      (g) => {
        for (const f of exported()) if (f.bytesPerSecond !== undefined) g.set(f.labels, f.bytesPerSecond);
      },
    ),
  ];

  const close = (): void => {
    if (!registered) return;
    registered = false;
    metrics.forEach((m, i) => {
      const name = names[i]!;
      // Only ours: another registration under the same name is not ours to remove.
      if (registry.getSingleMetric(name) === m) registry.removeSingleMetric(name);
    });
  };

  const open = (): void => {
    if (registered) return;
    const taken = names.filter((name, i) => {
      const existing = registry.getSingleMetric(name);
      return existing !== undefined && existing !== metrics[i];
    });
    if (taken.length > 0) {
      // Thrown into the monitor, which reports it once (ERR_LEAKKIT_REPORTER_FAILED): never into the host.
      throw new LeakkitError(
        'ERR_LEAKKIT_REPORTER_FAILED',
        `Expected the metric names to be free in the registry, got \`${taken[0]}\` already registered (another running prometheusReporter()? give it another \`prefix\` or \`registry\`)`,
      );
    }
    for (const m of metrics) registry.registerMetric(m);
    registered = true;
  };

  const remember = (f: Finding): void => {
    if (f === null || typeof f !== 'object' || typeof f.id !== 'string') return;
    if (!state.findings.has(f.id) && state.findings.size >= MAX_TRACKED) return;
    state.findings.set(f.id, track(f));
  };

  return {
    name: 'prometheus',
    onStart(info: MonitorInfo) {
      state = emptyState();
      state.detectors = Array.isArray(info.detectors)
        ? info.detectors.filter((d) => typeof d === 'string')
        : [];
      state.heapLimit = finite(info.heapLimit);
      state.cgroupLimit = info.cgroupLimit;
      open();
    },
    onSample(sample: MonitorSample) {
      // A tick without a major GC has no new reading: the latest one stands.
      state.heapAfterGC = finite(sample.heapAfterGC) ?? state.heapAfterGC;
      state.heapUsed = finite(sample.heapUsed);
      state.heapLimit = finite(sample.heapLimit) ?? state.heapLimit;
      state.rss = finite(sample.rss);
      state.external = finite(sample.external);
      state.time = sample.time;
      state.trend = sample.trend;
      state.forecast = sample.forecast;
    },
    onFinding(finding: Finding) {
      remember(finding);
    },
    onResolve(finding: Finding) {
      if (finding !== null && typeof finding === 'object') state.findings.delete(finding.id);
    },
    onReport(report: MonitorReport) {
      // The report's list is the monitor's own: it replaces what the events built up.
      if (!Array.isArray(report.findings)) return;
      state.findings.clear();
      for (const f of report.findings) remember(f);
      if (report.heap.trend !== undefined) state.trend = report.heap.trend;
      state.forecast = report.heap.forecast;
    },
    onStop() {
      close();
    },
    close,
  };
}
