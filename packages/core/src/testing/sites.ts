import { readFileSync } from 'node:fs';
import type { Session } from 'node:inspector';
import type { SourceMapPayload } from 'node:module';
import { findSourceMap, SourceMap } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FindingSite } from '../detect/types.js';
import type { ParsedSource } from '../tracing/statement.js';
import { findAllocatingStatement, parseSource } from '../tracing/statement.js';
import { inspectorSession } from './capture.js';
import type { TraceFrame } from './traces.js';

interface ScriptInfo {
  /** The code V8 ran (what positions refer to). */
  source: ParsedSource | undefined;
  map: SourceMap | undefined;
  /** Where the map's relative `sources` are resolved from. */
  base: string;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
    } catch (error) {
      reject(error);
    }
  });
}

function pathOf(url: string): string | undefined {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(url) ? url : undefined;
}

function readParsed(path: string | undefined): ParsedSource | undefined {
  if (path === undefined) return undefined;
  try {
    return parseSource(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function loadMap(sourceMapURL: string, scriptPath: string | undefined): SourceMap | undefined {
  try {
    let text: string;
    if (sourceMapURL.startsWith('data:')) {
      const comma = sourceMapURL.indexOf(',');
      const body = sourceMapURL.slice(comma + 1);
      text = /;base64$/.test(sourceMapURL.slice(0, comma))
        ? Buffer.from(body, 'base64').toString('utf8')
        : decodeURIComponent(body);
    } else {
      const base = scriptPath === undefined ? undefined : pathToFileURL(scriptPath);
      const url = new URL(sourceMapURL, base);
      if (url.protocol !== 'file:') return undefined;
      text = readFileSync(fileURLToPath(url), 'utf8');
    }
    return new SourceMap(JSON.parse(text) as SourceMapPayload);
  } catch {
    // A malformed or missing map: positions stay as V8 gave them.
    return undefined;
  }
}

/**
 * Turns allocation frames (a function's start, in the code V8 ran) into sites in the developer's
 * coordinates: the allocating statement inside the function, then through the script's source map
 * to the original file and line. Test runners such as vitest run transformed code with an inline
 * source map Node does not know about; those maps (and the transformed code) are read through the
 * inspector's Debugger domain, switched on for a moment, only for the scripts a report needs.
 */
export class SiteResolver {
  readonly #scripts = new Map<number, ScriptInfo>();
  readonly #byUrl = new Map<string, ScriptInfo>();

  /** Reads what {@link resolve} needs for these frames' scripts. Never throws. */
  async prepare(frames: readonly TraceFrame[]): Promise<void> {
    const wanted = new Map<number, TraceFrame>();
    for (const f of frames) if (!this.#scripts.has(f.scriptId)) wanted.set(f.scriptId, f);
    if (wanted.size === 0) return;
    const viaDebugger = new Map<number, TraceFrame>();
    for (const [id, f] of wanted) {
      const path = pathOf(f.url);
      const known = path === undefined ? undefined : safeFindSourceMap(path);
      if (f.url === '') {
        viaDebugger.set(id, f);
        continue;
      }
      if (known) this.#scripts.set(id, { source: readParsed(path), map: known, base: path ?? '' });
      else viaDebugger.set(id, f);
    }
    if (viaDebugger.size > 0) await this.#fromDebugger(viaDebugger);
    for (const [id, f] of wanted) {
      if (!this.#scripts.has(id)) {
        const path = pathOf(f.url);
        this.#scripts.set(id, { source: readParsed(path), map: undefined, base: path ?? '' });
      }
      this.#byUrl.set(f.url, this.#scripts.get(id)!);
    }
  }

  /**
   * The site of a function's own definition (a closure made per call), 1-based in the code V8
   * ran, mapped to the original source like {@link resolve} (no statement search: the definition is
   * exact). Its script must have been prepared through one of the frames.
   */
  resolveDefinition(url: string, line: number, column: number): FindingSite {
    const info = this.#byUrl.get(url);
    return this.#map(info, pathOf(url) ?? url, line - 1, column - 1);
  }

  #map(info: ScriptInfo | undefined, file: string, line: number, column: number): FindingSite {
    if (info?.map) {
      try {
        const entry = info.map.findEntry(line, column) as {
          originalSource?: string;
          originalLine?: number;
          originalColumn?: number;
        };
        if (typeof entry.originalSource === 'string' && typeof entry.originalLine === 'number') {
          return {
            file: originalPath(entry.originalSource, info.base),
            line: entry.originalLine + 1,
            column: (entry.originalColumn ?? 0) + 1,
          };
        }
      } catch {
        // Keep the generated position.
      }
    }
    return { file, line: line + 1, column: column + 1 };
  }

  async #fromDebugger(wanted: Map<number, TraceFrame>): Promise<void> {
    let session: Session;
    try {
      session = inspectorSession();
    } catch {
      return;
    }
    const maps = new Map<number, string>();
    const onScript = (message: { params: { scriptId: string; url: string; sourceMapURL?: string } }) => {
      const id = Number(message.params.scriptId);
      const frame = wanted.get(id);
      if (frame === undefined) return;
      // Frames from `[[FunctionLocation]]` know their script by id only.
      if (frame.url === '') frame.url = message.params.url;
      const url = message.params.sourceMapURL;
      if (url) maps.set(id, url);
    };
    session.on('Debugger.scriptParsed', onScript);
    try {
      // Enabling replays scriptParsed for every script loaded so far (a few hundred in a test
      // worker: ~30 ms measured), which is how the maps of transformed code are found.
      await post(session, 'Debugger.enable');
      for (const [id, url] of maps) {
        const frame = wanted.get(id)!;
        const path = pathOf(frame.url);
        let source: ParsedSource | undefined;
        try {
          const { scriptSource } = await post<{ scriptSource: string }>(session, 'Debugger.getScriptSource', {
            scriptId: String(id),
          });
          source = parseSource(scriptSource);
        } catch {
          source = undefined;
        }
        this.#scripts.set(id, { source, map: loadMap(url, path), base: path ?? '' });
      }
    } catch {
      // No debugger here: frames keep their generated positions.
    } finally {
      session.off('Debugger.scriptParsed', onScript);
      await post(session, 'Debugger.disable').catch(() => {});
    }
  }

  /**
   * The site of a frame: file (an absolute path when known), 1-based line and column of the
   * allocating statement when it can be found, else of the function.
   */
  resolve(frame: TraceFrame): FindingSite {
    const info = this.#scripts.get(frame.scriptId);
    let line = Math.max(0, frame.line - 1);
    let column = Math.max(0, frame.column - 1);
    if (info?.source && frame.line > 0) {
      const found = findAllocatingStatement(info.source, line, column);
      if (found) ({ line, column } = found);
    }
    return this.#map(info, pathOf(frame.url) ?? frame.url, line, column);
  }
}

function safeFindSourceMap(path: string): SourceMap | undefined {
  try {
    return findSourceMap(path);
  } catch {
    return undefined;
  }
}

function originalPath(source: string, base: string): string {
  const path = pathOf(source);
  if (path !== undefined) return path;
  if (base === '') return source;
  return resolve(dirname(base), source);
}

/**
 * The first frame of an `Error().stack` that is the program's: not Node's, not a library's, not
 * leakkit's. Stacks are already in the developer's coordinates where a source-map hook is
 * installed (vitest, `--enable-source-maps`).
 */
export function siteFromStack(
  stack: string | undefined,
  isOwn: (path: string) => boolean,
): FindingSite | undefined {
  if (!stack) return undefined;
  for (const raw of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/.exec(raw.trim());
    if (!m) continue;
    const url = m[1]!;
    if (url.startsWith('node:') || url.startsWith('internal/')) continue;
    const path = pathOf(url);
    if (path === undefined) continue;
    if (/[\\/]node_modules[\\/]/.test(path) || isOwn(path)) continue;
    return { file: path, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}
