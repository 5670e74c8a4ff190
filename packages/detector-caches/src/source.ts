import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FindingSite } from '@leakkit/core';

/** Finds the line that creates a collection, from its path and its module's source. */
export interface SourceLines {
  /**
   * The site of the collection a path names in `file`: the line that creates it (`x = new Map()`,
   * `history: []`), else the line that declares it, else `anchorLine`; undefined when the file cannot
   * be read and no anchor is known.
   */
  site(file: string, path: string, anchorLine?: number): FindingSite | undefined;
}

// Source files are read once per detector; a handful is all a report names.
const MAX_FILES = 16;
const MAX_BYTES = 1 << 20;

const ID = '[\\p{ID_Start}$_][\\p{ID_Continue}$]*';

function escapeName(name: string): string {
  return name.replace(/[$]/g, '\\$');
}

/** Creation, declaration, assignment: the patterns tried for a name, most telling first. */
function patterns(name: string): RegExp[] {
  const n = escapeName(name);
  return [
    new RegExp(
      `(?<![\\p{ID_Continue}$])${n}\\s*(?:=(?![=>])|:)\\s*(?:new\\b|\\[|\\{|Object\\.create\\b|Array\\.from\\b|Array\\b)`,
      'u',
    ),
    new RegExp(`(?:\\b(?:const|let|var)\\s+|\\bstatic\\s+)${n}(?![\\p{ID_Continue}$])(?!\\s*\\()`, 'u'),
    new RegExp(`(?<![\\p{ID_Continue}$])${n}\\s*=(?![=>])`, 'u'),
  ];
}

function functionPatterns(name: string): RegExp[] {
  const n = escapeName(name);
  return [
    new RegExp(`\\bfunction\\s*\\*?\\s*${n}\\s*\\(`, 'u'),
    new RegExp(`(?<![\\p{ID_Continue}$.])${n}\\s*[:=]\\s*(?:async\\s*)?(?:function\\b|\\(|${ID}\\s*=>)`, 'u'),
    new RegExp(`^\\s*(?:static\\s+)?(?:async\\s+)?\\*?${n}\\s*\\([^)]*\\)\\s*\\{`, 'u'),
  ];
}

function isComment(line: string): boolean {
  const t = line.trimStart();
  return t.startsWith('//') || t.startsWith('*') || t.startsWith('/*');
}

/** 0-based index of the first line at or after `from` matching `re`, or -1. */
function firstLine(lines: readonly string[], re: RegExp, from: number): number {
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (!isComment(line) && re.test(line)) return i;
  }
  return -1;
}

/** The function scopes and the names of the last part of a path, root first. */
export function parsePath(path: string): { scopes: string[]; names: string[] } {
  const parts = path.split(' › ');
  const chain = parts[parts.length - 1]!;
  const scopes: string[] = [];
  for (const p of parts.slice(0, -1)) {
    const m = new RegExp(`^(${ID})\\(\\)$`, 'u').exec(p);
    if (m) scopes.push(m[1]!);
  }
  // Map lookups, indices and quoted keys are data, not names in the source.
  const stripped = chain
    .replace(/\.get\((?:[^()]|\([^()]*\))*\)/g, '')
    .replace(/\.(?:keys|values)\(\)\[\d+\]/g, '')
    .replace(/\[[^\]]*\]/g, '');
  let names = stripped.split('.').filter((s) => new RegExp(`^${ID}$`, 'u').test(s));
  if (names[0] === 'module' && names[1] === 'exports') names = names.slice(2);
  else if (names[0] === 'exports') names = names.slice(1);
  return { scopes, names };
}

/**
 * A reader of source lines with a small cache, so a finding can point at the line that creates its
 * collection. Reads each file at most once (1 MiB at most); never throws.
 */
export function sourceLines(): SourceLines {
  const files = new Map<string, string[] | null>();
  const read = (file: string): string[] | null => {
    const cached = files.get(file);
    if (cached !== undefined) return cached;
    let lines: string[] | null = null;
    try {
      const path = file.startsWith('file://') ? fileURLToPath(file) : file;
      if (isAbsolute(path) && statSync(path).size <= MAX_BYTES) {
        lines = readFileSync(path, 'utf8').split(/\r?\n/);
      }
    } catch {
      // Gone, unreadable, or not a file: the finding keeps its path.
    }
    if (files.size >= MAX_FILES) files.delete(files.keys().next().value!);
    files.set(file, lines);
    return lines;
  };
  return {
    site(file, path, anchorLine) {
      const lines = read(file);
      const fallback = anchorLine === undefined ? undefined : { file, line: anchorLine };
      if (lines === null) return fallback;
      const { scopes, names } = parsePath(path);
      // Inside the innermost function scope when there is one, else after the anchoring class.
      let from = anchorLine === undefined ? 0 : anchorLine - 1;
      for (const scope of scopes) {
        let at = -1;
        for (const re of functionPatterns(scope)) {
          at = firstLine(lines, re, from);
          if (at >= 0) break;
        }
        if (at >= 0) from = at;
      }
      for (let i = names.length - 1; i >= 0; i--) {
        for (const re of patterns(names[i]!)) {
          let at = firstLine(lines, re, from);
          if (at < 0 && from > 0 && scopes.length === 0) at = firstLine(lines, re, 0);
          if (at >= 0) return { file, line: at + 1 };
        }
      }
      return fallback;
    },
  };
}
