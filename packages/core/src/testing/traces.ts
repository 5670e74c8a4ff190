import type { HeapGraphData } from '../heap/data.js';
import { isNodeInternal, isOwn } from '../tracing/source.js';

/** One JavaScript frame of an allocation stack, as the snapshot records it. */
export interface TraceFrame {
  /** The script's name: a path, a `file://` URL, `node:…`. */
  url: string;
  /** V8's id of the script (to find its source map). */
  scriptId: number;
  functionName: string;
  /** 1-based line of the function's start; 0 when unknown. */
  line: number;
  /** 1-based column of the function's start; 0 when unknown. */
  column: number;
}

/** Whose an allocation is, judged by its stack. */
export interface TraceVerdict {
  /** The stack runs through code of the program under test (not only Node, libraries, leakkit). */
  user: boolean;
  /** The innermost frame of the program's own code: the allocation's site. */
  site: TraceFrame | undefined;
}

/**
 * Frames of leakkit's timer wrappers: leakkit's code, but what they allocate (the timer) is the
 * caller's. They are looked through, not counted as leakkit's own.
 */
export const TRANSPARENT_FUNCTIONS: ReadonlySet<string> = new Set([
  'leakkitSetTimeout',
  'leakkitSetInterval',
]);

/** How a frame's script counts when deciding whose an allocation is. */
function frameKind(url: string): 'skip' | 'own' | 'library' | 'user' {
  if (url === '' || isNodeInternal(url)) return 'skip';
  if (isOwn(url)) return 'own';
  if (/[\\/]node_modules[\\/]/.test(url)) return 'library';
  return 'user';
}

/**
 * Reads the allocation stacks of one graph (taken with allocation tracking on): for a node's
 * `trace_node_id`, whose allocation it is and its site. Verdicts are cached per trace node: the
 * tree has one node per distinct stack, far fewer than objects.
 */
export class TraceReader {
  readonly #data: HeapGraphData;
  readonly #index = new Map<number, number>();
  readonly #verdicts = new Map<number, TraceVerdict>();
  readonly #fields: { name: number; script: number; scriptId: number; line: number; column: number };
  readonly #width: number;

  constructor(data: HeapGraphData) {
    this.#data = data;
    const traces = data.allocationTraces;
    const fields = traces?.functionInfoFields ?? [];
    this.#width = fields.length;
    this.#fields = {
      name: fields.indexOf('name'),
      script: fields.indexOf('script_name'),
      scriptId: fields.indexOf('script_id'),
      line: fields.indexOf('line'),
      column: fields.indexOf('column'),
    };
    if (traces)
      for (let i = 0; i < traces.traceNodeId.length; i++) this.#index.set(traces.traceNodeId[i]!, i);
  }

  /** Whether the graph has allocation stacks at all. */
  get available(): boolean {
    return this.#data.nodeTraceId !== undefined && this.#index.size > 0;
  }

  /** The stack of trace node `traceId`, innermost frame first. */
  stack(traceId: number): TraceFrame[] {
    const traces = this.#data.allocationTraces;
    const frames: TraceFrame[] = [];
    if (!traces) return frames;
    const { name, script, scriptId, line, column } = this.#fields;
    const infos = traces.functionInfos;
    for (let i = this.#index.get(traceId) ?? -1; i >= 0; i = traces.traceNodeParent[i]!) {
      const base = traces.traceNodeFunctionInfo[i]! * this.#width;
      const at = (field: number) => (field < 0 ? 0 : infos[base + field]!);
      const l = at(line);
      const c = at(column);
      frames.push({
        url: this.#data.strings.get(at(script)),
        scriptId: at(scriptId),
        functionName: this.#data.strings.get(at(name)),
        // -1 (unknown) reads as 0xffffffff through the Uint32Array.
        line: l === 0xffffffff ? 0 : l,
        column: c === 0xffffffff ? 0 : c,
      });
    }
    return frames;
  }

  /**
   * Whose the allocation with trace `traceId` is. The innermost frame that is not Node's or a
   * built-in decides: leakkit's own code means leakkit's memory (graphs, bookkeeping), the program's
   * code means the program's. A library on top is looked through to the program's frame that called
   * it (or, called straight from leakkit, it is the function under test); a stack with neither (a
   * library's own event handler) is not the program's.
   */
  verdict(traceId: number): TraceVerdict {
    const known = this.#verdicts.get(traceId);
    if (known) return known;
    let verdict: TraceVerdict = { user: false, site: undefined };
    let library: TraceFrame | undefined;
    for (const frame of this.stack(traceId)) {
      const kind = frameKind(frame.url);
      if (kind === 'skip') continue;
      if (kind === 'own') {
        if (TRANSPARENT_FUNCTIONS.has(frame.functionName)) continue;
        // A library function leakkit called is the function under test itself
        // (`checkBounded(lib.fn)`): its outermost frame is the site.
        if (library !== undefined) verdict = { user: true, site: library };
        break;
      }
      if (kind === 'library') {
        library = frame;
        continue;
      }
      verdict = { user: true, site: frame };
      break;
    }
    this.#verdicts.set(traceId, verdict);
    return verdict;
  }
}
