import type { AsyncHook } from 'node:async_hooks';
import { createHook } from 'node:async_hooks';
import type { FindingSite } from '../detect/types.js';

// async_hooks' provider name for each type `process.getActiveResourcesInfo()` reports.
const PROVIDERS: Record<string, string> = {
  FSEventWrap: 'FSEVENTWRAP',
  StatWatcher: 'STATWATCHER',
  TCPSocketWrap: 'TCPWRAP',
  TCPServerWrap: 'TCPSERVERWRAP',
  PipeWrap: 'PIPEWRAP',
  ProcessWrap: 'PROCESSWRAP',
  FileHandle: 'FILEHANDLE',
  UDPWrap: 'UDPWRAP',
  FSReqCallback: 'FSREQCALLBACK',
};
// Stacks sampled per type, and for how long at most: the hook is on only that long.
const SAMPLES = 24;
const WINDOW_MS = 10_000;
// Frames deep enough to get past Node's own (the hook's caller, the handle's constructor, the API).
const STACK_FRAMES = 24;

interface Sampled {
  provider: string;
  taken: number;
  /** "file\0line\0column" → how many samples. */
  sites: Map<string, number>;
}

/**
 * Where handles of a type are opened: the first frame of the program's own code on the stack of the
 * call that opened them, sampled with an async_hooks `init` hook. `process.getActiveResourcesInfo()`
 * says how many are open, not where; allocation sampling rarely sees a watcher (a few hundred bytes).
 *
 * An enabled hook costs every asynchronous resource a call, promises included (async_hooks makes V8
 * report each one), so it is on only while a type is being sampled: from the first tick that type
 * is reported until {@link SAMPLES} stacks of it are taken, or {@link WINDOW_MS} have passed. A type
 * is sampled once per monitor. A sampled stack is read at once and dropped: what stays is a count
 * per file and line.
 *
 * @internal
 */
export class HandleSites {
  #hook: AsyncHook | undefined;
  #byType = new Map<string, Sampled>();
  #byProvider = new Map<string, Sampled>();
  #until = 0;

  /** Starts sampling where handles of `type` are opened (once per type; unknown types are skipped). */
  watch(type: string, now = Date.now()): void {
    const provider = PROVIDERS[type];
    if (provider === undefined || this.#byType.has(type)) return;
    const sampled: Sampled = { provider, taken: 0, sites: new Map() };
    this.#byType.set(type, sampled);
    this.#byProvider.set(provider, sampled);
    this.#until = now + WINDOW_MS;
    if (this.#hook === undefined) {
      try {
        const init = (_id: number, provider: string) => this.#sample(provider, init);
        const hook = createHook({ init });
        hook.enable();
        this.#hook = hook;
      } catch {
        // async_hooks refused (a locked-down runtime): findings go without a site.
      }
    }
  }

  /** The site most samples of `type` came from, once any was taken. */
  siteOf(type: string): FindingSite | undefined {
    const sampled = this.#byType.get(type);
    if (sampled === undefined) return undefined;
    let best: string | undefined;
    let most = 0;
    for (const [key, n] of sampled.sites) {
      if (n > most) {
        best = key;
        most = n;
      }
    }
    if (best === undefined) return undefined;
    const [file, line, column] = best.split('\0');
    return { file: file!, line: Number(line), column: Number(column) };
  }

  /** Turns the hook off once every type has its samples or the window is over. */
  settle(now = Date.now()): void {
    if (this.#hook === undefined) return;
    let wanting = false;
    for (const s of this.#byProvider.values()) if (s.taken < SAMPLES) wanting = true;
    if (!wanting || now >= this.#until) this.stop();
  }

  /** Turns the hook off for good; idempotent. */
  stop(): void {
    const hook = this.#hook;
    this.#hook = undefined;
    this.#byProvider.clear();
    try {
      hook?.disable();
    } catch {
      // Already off.
    }
  }

  /** One stack of the call that opened a resource, from the frame below `hook` (leakkit's own above). */
  #sample(provider: string, hook: (...args: never[]) => void): void {
    const sampled = this.#byProvider.get(provider);
    if (sampled === undefined || sampled.taken >= SAMPLES) return;
    sampled.taken++;
    const holder: { stack?: string } = {};
    const limit = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = STACK_FRAMES;
      Error.captureStackTrace(holder, hook);
      const site = programFrame(holder.stack ?? '');
      if (site !== undefined) sampled.sites.set(site, (sampled.sites.get(site) ?? 0) + 1);
    } catch {
      // A stack that cannot be read is one sample less.
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

// `    at fn (file:line:column)` or `    at file:line:column`.
const FRAME = /^\s*at (?:.*?\()?(.+?):(\d+):(\d+)\)?$/;

/**
 * The first frame of the program's own code ("file\0line\0column"): not Node's (`node:`), and past
 * dependencies (`node_modules`) when a frame of the program's is further down; a dependency's frame
 * when there is none.
 */
export function programFrame(stack: string): string | undefined {
  let dependency: string | undefined;
  for (const text of stack.split('\n').slice(1)) {
    const m = FRAME.exec(text);
    if (m === null) continue;
    // As the stack shows it (a path, or a file: URL for an ES module), like allocation sites.
    const file = m[1]!;
    if (file.startsWith('node:') || !/[\\/]/.test(file)) continue;
    const key = `${file}\0${m[2]}\0${m[3]}`;
    if (/[\\/]node_modules[\\/]/.test(file)) {
      dependency ??= key;
      continue;
    }
    return key;
  }
  return dependency;
}
