export type { LeakkitErrorCode, LeakkitErrorDetails } from './errors.js';
export { LeakkitError } from './errors.js';
export { parseDuration, parseSize } from './options.js';
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
