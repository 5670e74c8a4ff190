/** Where a timer was created: the first frame of the program's own code, and the stack around it. */
export interface TimerSite {
  /** `file:line`, the key findings and gauges use. */
  key: string;
  /** Path or URL of the file, as a stack shows it (source-mapped when a source-map hook is installed). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The creating stack, from the site on, formatted once: `    at poll (/app/poller.js:12:5)`. */
  stack: string;
}

interface CallSiteLike {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getFunctionName(): string | null;
}

type PrepareStackTrace = (error: Error, frames: CallSiteLike[]) => unknown;

// Frames that are not the program's: Node's own JavaScript, leakkit's timer wrappers (ours and any
// other leakkit package's, all named `leakkit…`) and leakkit's installed packages.
const LEAKKIT_PACKAGE = /[\\/]node_modules[\\/]@leakkit[\\/]/;
const LIBRARY = /[\\/]node_modules[\\/]/;

function isNode(file: string): boolean {
  return file.startsWith('node:') || file.startsWith('internal/');
}

/** Hands V8's structured frames back instead of a formatted stack. */
const structured: PrepareStackTrace = (_error, frames) => frames;

/**
 * Finds creation sites from structured stack frames. Capturing costs about 1.5–4 µs (most of it
 * V8 walking the stack); a string is built only for the chosen frame, and the site, its source-mapped
 * position and its formatted stack are computed once per distinct position and then reused. Nothing
 * per call outlives the call: the frames (which hold the functions and receivers of the stack) are
 * dropped at once, so recording a timer never keeps the program's objects alive.
 */
export class SiteFinder {
  readonly #frames: number;
  readonly #byPosition = new Map<string, TimerSite | null>();
  readonly #maxPositions: number;

  constructor(frames: number, maxPositions = 4096) {
    this.#frames = frames;
    this.#maxPositions = maxPositions;
  }

  /** Distinct raw positions seen (for tests and evidence). */
  get positions(): number {
    return this.#byPosition.size;
  }

  /**
   * The creation site of the call that reached `above` (the wrapper), or undefined when no frame is
   * the program's or library code's, or when the stack cannot be read.
   */
  capture(above: (...args: never[]) => unknown): TimerSite | undefined {
    const holder: { stack?: unknown } = {};
    const limit = Error.stackTraceLimit;
    const prepare = (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    let frames: unknown;
    try {
      Error.stackTraceLimit = this.#frames;
      (Error as { prepareStackTrace?: unknown }).prepareStackTrace = structured;
      Error.captureStackTrace(holder, above);
      // Reading `stack` runs `structured` now, while it is installed.
      frames = holder.stack;
    } catch {
      frames = undefined;
    } finally {
      Error.stackTraceLimit = limit;
      (Error as { prepareStackTrace?: unknown }).prepareStackTrace = prepare;
    }
    if (!Array.isArray(frames)) return undefined;
    return this.#siteOf(
      frames as CallSiteLike[],
      typeof prepare === 'function' ? (prepare as PrepareStackTrace) : undefined,
    );
  }

  #siteOf(frames: CallSiteLike[], prepare: PrepareStackTrace | undefined): TimerSite | undefined {
    let chosen = -1;
    let library = -1;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const file = f.getFileName();
      if (!file || isNode(file)) continue;
      if (f.getFunctionName()?.startsWith('leakkit') || LEAKKIT_PACKAGE.test(file)) continue;
      if (LIBRARY.test(file)) {
        if (library < 0) library = i;
        continue;
      }
      chosen = i;
      break;
    }
    // A timer made inside a library, called from code past the captured frames: the library's frame
    // is the best site there is.
    if (chosen < 0) chosen = library;
    if (chosen < 0) return undefined;
    const f = frames[chosen]!;
    const position = `${f.getFileName()}:${f.getLineNumber()}:${f.getColumnNumber()}`;
    const known = this.#byPosition.get(position);
    if (known !== undefined) return known ?? undefined;
    const site = describeSite(frames.slice(chosen), prepare);
    // Bounded whatever the program does (generated code, eval): positions past the cap are not kept.
    if (this.#byPosition.size < this.#maxPositions) this.#byPosition.set(position, site ?? null);
    return site;
  }
}

const FRAME = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?\s*$/;

/**
 * The site of `frames[0]` and the stack from it, formatted by the stack formatter that was in place
 * (Node's, which applies `--enable-source-maps`, or a source-map hook's), so positions read as the
 * developer's files do. Falls back to V8's raw positions.
 */
function describeSite(frames: CallSiteLike[], prepare: PrepareStackTrace | undefined): TimerSite | undefined {
  const first = frames[0]!;
  let file = first.getFileName() ?? '';
  let line = first.getLineNumber() ?? 0;
  let column = first.getColumnNumber() ?? 0;
  let stack = '';
  if (prepare !== undefined) {
    try {
      const text = prepare(new Error(), frames);
      if (typeof text === 'string') {
        const lines = text.split('\n').filter((l) => /^\s*at /.test(l));
        stack = lines.join('\n');
        const m = lines[0] === undefined ? null : FRAME.exec(lines[0]);
        if (m) {
          file = m[1]!;
          line = Number(m[2]);
          column = Number(m[3]);
        }
      }
    } catch {
      // A formatter that fails on our frames: keep V8's positions.
    }
  }
  if (stack === '') {
    stack = frames
      .map(
        (f) =>
          `    at ${f.getFunctionName() ?? '<anonymous>'} (${f.getFileName()}:${f.getLineNumber()}:${f.getColumnNumber()})`,
      )
      .join('\n');
  }
  if (file === '' || !(line >= 1)) return undefined;
  return { key: `${file}:${line}`, file, line, column: Math.max(column, 1), stack };
}
