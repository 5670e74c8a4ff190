/**
 * Exact mode's reading of a heap snapshot taken while allocation tracking is on. Every node carries
 * a `trace_node_id` into `trace_tree`, whose entries name a function in `trace_function_infos`
 * (1-based line and column of the function).
 *
 * The snapshot (from `v8.getHeapSnapshot()`) is JSON.parse'd whole: exact mode is for tests and staging
 * with small heaps. This file is the only place that knows the layout, so switching to the streaming
 * parser in `../heap/parse.ts` later touches nothing else.
 */
import type { RawFrame } from './source.js';
import type { TraceBuilder } from './traces.js';

interface SnapshotJson {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      trace_function_info_fields?: string[];
      trace_node_fields?: string[];
    };
  };
  nodes: number[];
  strings: string[];
  trace_function_infos?: number[];
  trace_tree?: unknown[];
}

/**
 * V8's own bookkeeping (compiled code, feedback vectors, allocation sites, maps) is 'code',
 * 'hidden' and 'object shape'; it is attributed to whatever JS ran when V8 made it and is not the program's data.
 */
const SKIPPED_TYPES = new Set(['code', 'hidden', 'synthetic', 'object shape']);

/** Thrown when the snapshot lacks allocation traces (tracking was not on). */
export class MissingTracesError extends Error {}

/**
 * Feeds the live objects of a heap snapshot into `builder`, grouped by allocation stack.
 *
 * @returns Total live bytes attributed to any stack, before filtering.
 */
export function addHeapSnapshot(text: string, builder: TraceBuilder): { total: number } {
  const json = JSON.parse(text) as SnapshotJson;
  const meta = json.snapshot.meta;
  const nf = meta.node_fields.length;
  const typeAt = meta.node_fields.indexOf('type');
  const sizeAt = meta.node_fields.indexOf('self_size');
  const traceAt = meta.node_fields.indexOf('trace_node_id');
  const tf = meta.trace_function_info_fields;
  const tn = meta.trace_node_fields;
  if (traceAt === -1 || !tf || !tn || !json.trace_function_infos || !json.trace_tree) {
    throw new MissingTracesError('heap snapshot without allocation traces');
  }
  const types = meta.node_types[0];
  const skip = types.map((t) => SKIPPED_TYPES.has(t));

  // Live objects per trace node.
  const perTrace = new Map<number, { size: number; count: number }>();
  const nodes = json.nodes;
  let total = 0;
  for (let i = 0; i < nodes.length; i += nf) {
    const traceId = nodes[i + traceAt] as number;
    if (traceId === 0 || skip[nodes[i + typeAt] as number]) continue;
    const size = nodes[i + sizeAt] as number;
    const acc = perTrace.get(traceId);
    if (acc) {
      acc.size += size;
      acc.count += 1;
    } else perTrace.set(traceId, { size, count: 1 });
    total += size;
  }

  // The trace tree: nested arrays [id, functionInfoIndex, count, size, [children…]].
  const idAt = tn.indexOf('id');
  const fnAt = tn.indexOf('function_info_index');
  const childrenAt = tn.indexOf('children');
  const parent = new Map<number, number>();
  const fnOf = new Map<number, number>();
  const pending: [unknown[], number][] = [[json.trace_tree, 0]];
  while (pending.length > 0) {
    const [list, parentId] = pending.pop()!;
    for (let k = 0; k < list.length; k += tn.length) {
      const id = list[k + idAt] as number;
      fnOf.set(id, list[k + fnAt] as number);
      parent.set(id, parentId);
      pending.push([list[k + childrenAt] as unknown[], id]);
    }
  }

  const infos = json.trace_function_infos;
  const strings = json.strings;
  const tfn = tf.length;
  const nameAt = tf.indexOf('name');
  const scriptAt = tf.indexOf('script_name');
  const lineAt = tf.indexOf('line');
  const columnAt = tf.indexOf('column');
  const frameOf = (fi: number): RawFrame => ({
    functionName: strings[infos[fi * tfn + nameAt] as number] ?? '',
    url: strings[infos[fi * tfn + scriptAt] as number] ?? '',
    // Function infos are 1-based; -1 (unknown) stays below zero.
    line: (infos[fi * tfn + lineAt] as number) - 1,
    column: (infos[fi * tfn + columnAt] as number) - 1,
  });

  for (const [traceId, { size, count }] of perTrace) {
    const stack: RawFrame[] = [];
    for (let id = traceId; id !== 0 && id !== undefined; id = parent.get(id) ?? 0) {
      const fi = fnOf.get(id);
      if (fi === undefined) break;
      const frame = frameOf(fi);
      if (frame.url !== '') stack.push(frame);
    }
    if (stack.length === 0) stack.push({ functionName: '(root)', url: '', line: -1, column: -1 });
    builder.add(stack, size, count);
  }
  return { total };
}
