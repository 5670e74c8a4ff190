import type { ResolvedTracingOptions } from './options.js';
import type { FrameResolver, RawFrame } from './source.js';
import { isNodeInternal, isOwn } from './source.js';
import type { Frame, Trace } from './types.js';

/**
 * Accumulates V8 stacks into traces. Both modes feed it raw stacks (most recent first, built-in
 * frames already folded away) with a size and a count; it applies the internals policy, cuts stacks
 * to `frames`, resolves positions and merges stacks that resolve to the same frames.
 */
export class TraceBuilder {
  readonly #options: ResolvedTracingOptions;
  readonly #resolver: FrameResolver;
  readonly #traces = new Map<string, { frames: Frame[]; size: number; count: number }>();
  readonly #frameIds = new Map<Frame, number>();

  constructor(options: ResolvedTracingOptions, resolver: FrameResolver) {
    this.#options = options;
    this.#resolver = resolver;
  }

  /**
   * Adds memory allocated at `stack`. Returns whether it was kept (leakkit's own memory and, by
   * default, stacks without user code are not).
   */
  add(stack: readonly RawFrame[], size: number, count: number): boolean {
    let from = 0;
    if (!this.#options.keepInternals) {
      // Node's internals (and native code with no script) on top of the stack allocate on behalf of
      // the frame that called them.
      while (from < stack.length && (stack[from]!.url === '' || isNodeInternal(stack[from]!.url))) from++;
      if (from === stack.length) return false;
      // Memory whose nearest caller is leakkit is leakkit's own (snapshots the user holds, parsing).
      // Only the top counts: user code often runs with leakkit frames below it, when leakkit calls a
      // user function or an await resumes inside an inspector callback.
      if (isOwn(stack[from]!.url)) return false;
    }
    const frames: Frame[] = [];
    for (let i = from; i < stack.length && frames.length < this.#options.frames; i++) {
      frames.push(this.#resolver.resolve(stack[i]!));
    }
    let id = '';
    for (const f of frames) {
      let n = this.#frameIds.get(f);
      if (n === undefined) {
        n = this.#frameIds.size;
        this.#frameIds.set(f, n);
      }
      id += `${n},`;
    }
    const t = this.#traces.get(id);
    if (t) {
      t.size += size;
      t.count += count;
    } else this.#traces.set(id, { frames, size, count });
    return true;
  }

  /** The traces, with sizes and counts rounded to integers. */
  traces(): Trace[] {
    const out: Trace[] = [];
    for (const t of this.#traces.values()) {
      const size = Math.round(t.size);
      const count = Math.round(t.count);
      if (size > 0 || count > 0) out.push({ frames: t.frames, size, count });
    }
    return out;
  }
}
