import { readFileSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedSource } from './statement.js';
import { findAllocatingStatement, parseSource } from './statement.js';
import type { Frame } from './types.js';

/** A frame as V8 reports it: the script's URL or path and the function's 0-based position. */
export interface RawFrame {
  functionName: string;
  url: string;
  /** 0-based. */
  line: number;
  /** 0-based. */
  column: number;
}

let ownRoots: readonly string[] | undefined;

/**
 * Where leakkit's own code lives: `src/` and `dist/` of the directory whose package.json names
 * `@leakkit/core`. Found lazily from this module's location; when leakkit is bundled into an
 * application there is no such package.json and nothing counts as leakkit's own (rather than
 * hiding the application's code).
 */
function ownRootDirs(): readonly string[] {
  if (ownRoots) return ownRoots;
  ownRoots = [];
  try {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let up = 0; up < 4; up++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
        if (pkg.name === '@leakkit/core') {
          ownRoots = [`${dir}${sep}src${sep}`, `${dir}${sep}dist${sep}`];
          break;
        }
      } catch {
        // No package.json here: keep walking up.
      }
      dir = dirname(dir);
    }
  } catch {
    // import.meta.url is not a file: nothing is leakkit's own.
  }
  return ownRoots;
}

/** The filesystem path of a script URL, or `undefined` when it has none (`node:…`, eval, wasm). */
export function scriptPath(url: string): string | undefined {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(url) ? url : undefined;
}

/** Node's own JavaScript: `node:events`, `node:internal/…` (and `internal/…` on older builds). */
export function isNodeInternal(url: string): boolean {
  return url.startsWith('node:') || url.startsWith('internal/');
}

/** Whether a script belongs to leakkit itself. */
export function isOwn(url: string): boolean {
  const path = scriptPath(url);
  return path !== undefined && ownRootDirs().some((root) => path.startsWith(root));
}

/** A path as people read it: relative to the working directory when inside it. */
export function displayPath(url: string, cwd: string): string {
  const path = scriptPath(url);
  if (path === undefined) return url;
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

interface MappedPosition {
  url: string;
  line: number;
  column: number;
}

/**
 * Turns V8's function positions into frames in the developer's coordinates: the allocating statement
 * (from the file on disk), mapped through the script's source map when source maps are on. One
 * resolver lives for one snapshot, so tokenized files are garbage afterwards and an edited file is
 * read again next time.
 */
export class FrameResolver {
  readonly #cwd: string;
  readonly #statementLines: boolean;
  readonly #sources = new Map<string, ParsedSource | null>();
  readonly #frames = new Map<string, Frame>();
  readonly #sourceMaps: boolean;

  constructor(statementLines: boolean, cwd = process.cwd()) {
    this.#cwd = cwd;
    this.#statementLines = statementLines;
    this.#sourceMaps = process.sourceMapsEnabled === true;
  }

  #parsed(path: string): ParsedSource | undefined {
    let parsed = this.#sources.get(path);
    if (parsed === undefined) {
      try {
        parsed = parseSource(readFileSync(path, 'utf8'));
      } catch {
        // Gone, unreadable or not text: fall back to the function's own position.
        parsed = null;
      }
      this.#sources.set(path, parsed);
    }
    return parsed ?? undefined;
  }

  #map(path: string | undefined, pos: MappedPosition): MappedPosition {
    if (!this.#sourceMaps || path === undefined) return pos;
    try {
      const map = findSourceMap(path) ?? findSourceMap(pos.url);
      const entry = map?.findEntry(pos.line, pos.column);
      if (entry && 'originalSource' in entry && typeof entry.originalSource === 'string') {
        return { url: entry.originalSource, line: entry.originalLine, column: entry.originalColumn };
      }
    } catch {
      // A malformed source map must not cost the snapshot: keep generated positions.
    }
    return pos;
  }

  /** Resolves one raw frame (cached per URL and position). */
  resolve(raw: RawFrame): Frame {
    const id = `${raw.url}\u0000${raw.line}\u0000${raw.column}\u0000${raw.functionName}`;
    const known = this.#frames.get(id);
    if (known) return known;
    const path = scriptPath(raw.url);
    let statement = { line: raw.line, column: raw.column };
    if (this.#statementLines && path !== undefined && raw.line >= 0) {
      const parsed = this.#parsed(path);
      const found = parsed && findAllocatingStatement(parsed, raw.line, raw.column);
      if (found) statement = found;
    }
    const fn = this.#map(path, { url: raw.url, line: raw.line, column: raw.column });
    const at = this.#map(path, { url: raw.url, line: statement.line, column: statement.column });
    const frame: Frame = {
      file: raw.url === '' ? `(${raw.functionName || 'native'})` : displayPath(at.url, this.#cwd),
      line: at.line + 1,
      column: at.column + 1,
      functionName: raw.functionName,
      functionLine: fn.line + 1,
    };
    this.#frames.set(id, frame);
    return frame;
  }
}
