export { LeakkitError } from '../errors.js';
export type { CaptureHeapOptions } from './capture.js';
export { captureHeap, HEAP_TRACKING_WARNING_CODE, resetHeapTracking } from './capture.js';
export { chainAdvice } from './chains.js';
export type { AllocationTraces, HeapGraphData } from './data.js';
export type { DiffHeapsOptions, HeapDiff, HeapDiffGroup, HeapDiffTotals } from './diff.js';
export { diffHeaps, nodesSortedById } from './diff.js';
export type { Dominators } from './dominators.js';
export { computeDominators, retainingEdgeMask } from './dominators.js';
export type { HeapGraphFromFileOptions } from './graph.js';
export { HeapGraph } from './graph.js';
export type { Growth, GrowthKind, GrowthOptions, KeyKind } from './growth.js';
export { chainSite, findGrowth, growthAdvice, growthUnit } from './growth.js';
export type {
  HeapVocabulary,
  NodeKind,
  RenderOptions,
  SourceLocation,
  TableSlot,
  VocabularyName,
} from './names.js';
export {
  describeHeapValue,
  displayFile,
  edgeName,
  findEdge,
  functionLocation,
  isIdentifier,
  nodeKind,
  pathCode,
  tableKeyNode,
  tableSlot,
  vocabulary,
} from './names.js';
export type { HeapParseProgress, HeapSnapshotParserOptions } from './parse.js';
export { HeapSnapshotParser, parseHeapSnapshot } from './parse.js';
export type { PathOptions, PathStep, RetainingPath } from './paths.js';
export { pathTo, pathToIndex } from './paths.js';
export type { Retainers } from './retainers.js';
export { buildRetainers } from './retainers.js';
export type { NodeGroups, SummaryEntry } from './summary.js';
export { groupName, groupNodes, summarize } from './summary.js';
