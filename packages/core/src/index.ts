export type { GaugeHistoryOptions } from './detect/gauges.js';
export { GaugeHistory } from './detect/gauges.js';
export { iterationsPerStep } from './detect/iterations.js';
// detectors
export type {
  DetectorContextInit,
  DetectorFailure,
  DetectorPhase,
  DetectorRun,
  RunDetectorsOptions,
  SetupDetectorsOptions,
} from './detect/run.js';
export { createDetectorContext, evidenceNeeded, runDetectors, setupDetectors } from './detect/run.js';
export type {
  FindingRecord,
  FindingStoreEvents,
  FindingStoreOptions,
  RecordFindingsOptions,
} from './detect/store.js';
export { FindingStore } from './detect/store.js';
export type {
  AllocationEvidence,
  Detector,
  DetectorContext,
  Disposer,
  EvidenceNeeds,
  Finding,
  FindingGrowth,
  FindingSite,
  GaugeReader,
  Gauges,
  HeapEvidence,
  ResolvedEvidenceNeeds,
  Severity,
} from './detect/types.js';
export type { FindingValidation } from './detect/validate.js';
export { validateFinding } from './detect/validate.js';
export type { LeakkitErrorCode, LeakkitErrorDetails } from './errors.js';
export { invalidOption, LeakkitError } from './errors.js';
export type { HeapSnapshotPolicy } from './monitor/captures.js';
export type { Monitor, MonitorEvents } from './monitor/monitor.js';
export { createMonitor } from './monitor/monitor.js';
export type {
  MonitorOptions,
  MonitorRoutesOptions,
  MonitorTracingOptions,
  WatchedCollection,
} from './monitor/options.js';
export type { RouteResolver } from './monitor/routes.js';
export { parseDuration, parseSize } from './options.js';
export type { JsonReporterOptions } from './report/json.js';
export { JSON_REPORT_SCHEMA, jsonReporter } from './report/json.js';
export type {
  Awaitable,
  CaptureSummary,
  EvidenceLevel,
  FindingChange,
  MonitorForecast,
  MonitorInfo,
  MonitorReport,
  MonitorSample,
  MonitorTrend,
  Reporter,
  RouteAttribution,
} from './report/types.js';
export type {
  MonotonicTrend,
  NumberSeries,
  RobustSlope,
  RobustSlopeOptions,
  Saturation,
  SaturationOptions,
  StatsHelpers,
  TrendClassification,
  TrendOptions,
  TrendReason,
  TrendVerdict,
} from './stats/index.js';
export {
  classifyTrend,
  isSaturating,
  mad,
  median,
  monotonicTrend,
  robustSlope,
  saturation,
  stats,
} from './stats/index.js';
export type {
  HeapProfile,
  HeapProfileCallFrame,
  HeapProfileNode,
  HeapProfileSample,
} from './tracing/heapprofile.js';
export type { TracingOptions } from './tracing/options.js';
export type { TakeSnapshotOptions } from './tracing/session.js';
export { getTracedMemory, isTracing, start, stop, takeSnapshot } from './tracing/session.js';
export { Snapshot } from './tracing/snapshot.js';
export { Statistic, StatisticDiff } from './tracing/statistics.js';
export type {
  Filter,
  Frame,
  SnapshotMeta,
  StatisticKey,
  StatisticsOptions,
  Trace,
  TracedMemory,
  TracingMode,
} from './tracing/types.js';
