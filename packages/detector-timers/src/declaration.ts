import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FindingSite } from '@leakkit/core';

// Files larger than this are not read for a declaration: generated bundles are no help anyway.
const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/** Identifiers of a rendered path, outermost first, without keys: `a.b.get(<k>)[3].c` → a, b, c. */
export function pathIdentifiers(path: string): string[] {
  const i = path.lastIndexOf('›');
  const tail = i >= 0 ? path.slice(i + 1) : path;
  return tail
    .replace(/\.get\([^()]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\(\)/g, '')
    .split('.')
    .map((s) => s.trim())
    .filter((s) => /^[A-Za-z_$#][\w$]*$/.test(s));
}

function escapeRegExp(id: string): string {
  return id.replace(/[$]/g, '\\$');
}

/** Where `id` is given its value: a declaration, a class field, `this.id =`, an object literal key. */
function declarationPattern(id: string): RegExp {
  const e = escapeRegExp(id);
  return new RegExp(
    [
      `\\b(?:const|let|var)\\s+(${e})\\b`,
      `^\\s*(?:static\\s+)?(?:readonly\\s+)?(${e})\\s*(?::[^=]+)?=(?!=)`,
      `\\bthis\\.(${e})\\s*=(?!=)`,
      `\\b(${e})\\s*:\\s*(?:new\\b|\\[|\\{)`,
    ].join('|'),
  );
}

function localPath(file: string): string | undefined {
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(file) ? file : undefined;
}

/**
 * The line where what a path names is created, read from its file: the outermost identifier of the
 * path, past the anchoring class, that has a declaration (`const latencies = []`,
 * `static timers = new Map()`, `this._timings = {}`), searched from the anchor on. Outermost because
 * deeper names may be keys (`_timings.db`), which look like fields in a path but are data. Falls
 * back to the anchor line the heap snapshot gave, or to nothing when the file cannot be read.
 */
export async function declarationSite(
  file: string,
  path: string,
  anchorLine: number | undefined,
): Promise<FindingSite | undefined> {
  const fallback = anchorLine !== undefined && anchorLine >= 1 ? { file, line: anchorLine } : undefined;
  const local = localPath(file);
  if (local === undefined) return fallback;
  let lines: string[];
  try {
    if ((await stat(local)).size > MAX_SOURCE_BYTES) return fallback;
    lines = (await readFile(local, 'utf8')).split(/\r?\n/);
  } catch {
    return fallback;
  }
  let ids = pathIdentifiers(path);
  // `TimerMetrics.timers`: the class is the anchor, its line is already known.
  if (fallback !== undefined && !path.includes('›')) ids = ids.slice(1);
  const from = fallback === undefined ? 0 : anchorLine! - 1;
  for (let k = 0; k < ids.length; k++) {
    const re = declarationPattern(ids[k]!);
    // After the anchor first (a class's own fields), then anywhere (a helper class holding the list).
    for (const [start, end] of [
      [from, lines.length],
      [0, from],
    ] as const) {
      for (let l = start; l < end; l++) {
        const m = re.exec(lines[l]!);
        if (m === null) continue;
        const name = m.slice(1).find((g) => g !== undefined)!;
        const column = lines[l]!.indexOf(name, m.index) + 1;
        return { file, line: l + 1, column };
      }
    }
  }
  return fallback;
}
