import { LeakkitError } from '../errors.js';
import type { Frame, SnapshotMeta, Trace } from './types.js';

/** Identifies a leakkit tracing dump; anything else is a foreign file. */
export const DUMP_FORMAT = 'leakkit-tracing-snapshot';
/** Bumped on any incompatible change of the layout below. */
export const DUMP_VERSION = 1;

/**
 * The dump layout, version 1. Frames are stored once and referenced by index, because stacks share
 * most of their frames:
 * `{ format, version, meta, frames: [[file, line, column, functionName, functionLine]], traces: [[size, count, [frameIndex, …]]] }`.
 */
export interface DumpV1 {
  format: typeof DUMP_FORMAT;
  version: typeof DUMP_VERSION;
  meta: SnapshotMeta;
  frames: [string, number, number, string, number][];
  traces: [number, number, number[]][];
}

/** Serialises traces to the dump JSON text. */
export function encodeDump(meta: SnapshotMeta, traces: readonly Trace[]): string {
  const index = new Map<Frame, number>();
  const byValue = new Map<string, number>();
  const frames: DumpV1['frames'] = [];
  const frameIndex = (f: Frame): number => {
    const known = index.get(f);
    if (known !== undefined) return known;
    const id = JSON.stringify([f.file, f.line, f.column, f.functionName, f.functionLine]);
    let i = byValue.get(id);
    if (i === undefined) {
      i = frames.length;
      frames.push([f.file, f.line, f.column, f.functionName, f.functionLine]);
      byValue.set(id, i);
    }
    index.set(f, i);
    return i;
  };
  const dump: DumpV1 = {
    format: DUMP_FORMAT,
    version: DUMP_VERSION,
    meta: { ...meta },
    frames,
    traces: traces.map((t) => [t.size, t.count, t.frames.map(frameIndex)]),
  };
  return JSON.stringify(dump);
}

function bad(file: string, detail: string, offset?: number): LeakkitError {
  return new LeakkitError(
    'ERR_LEAKKIT_BAD_DUMP',
    `Expected \`${file}\` to be a leakkit tracing dump (format "${DUMP_FORMAT}", version ${DUMP_VERSION}), ${detail}`,
    offset === undefined ? { file } : { file, offset },
  );
}

/**
 * The character index where JSON text first goes wrong. V8 11+ names a position only for some
 * errors (`Unexpected token 'x', "…" is not valid JSON` has none), so on failure we find it ourselves
 * with a small recursive-descent scan; it runs only for broken files.
 */
export function jsonErrorIndex(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  // Throws the index of the offending character; caught below.
  const failAt = (at: number): never => {
    throw at;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) failAt(i);
      i++;
    }
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1] ?? '';
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== '' && e !== 'u' && '"\\/bfnrt'.includes(e)) i += 2;
        else failAt(i + 1);
      } else if (c < ' ') failAt(i);
      else i++;
    }
    failAt(i);
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') failAt(i);
          string();
          ws();
          if (text[i] !== ':') failAt(i);
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else failAt(i);
      }
    }
    if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m || m[0] === '' || m[0] === '-') failAt(i);
      else i += m[0].length;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return Math.min(at as number, text.length);
  }
}

/** Byte offset of a JSON.parse failure in the UTF-8 file. */
function parseErrorOffset(text: string): number | undefined {
  const index = jsonErrorIndex(text);
  return index === -1 ? undefined : Buffer.byteLength(text.slice(0, index), 'utf8');
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

/**
 * Parses and validates dump text. Every way a file can be wrong becomes one `ERR_LEAKKIT_BAD_DUMP`
 * that names the file, and where JSON.parse tells it, the byte offset.
 */
export function decodeDump(text: string, file: string): { meta: SnapshotMeta; traces: Trace[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const offset = parseErrorOffset(text);
    throw bad(file, `got invalid JSON${offset === undefined ? '' : ` at byte ${offset}`}`, offset);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw bad(file, 'got JSON that is not an object');
  const d = data as Partial<Record<keyof DumpV1, unknown>>;
  if (d.format !== DUMP_FORMAT) throw bad(file, `got format \`${String(d.format)}\``);
  if (d.version !== DUMP_VERSION) throw bad(file, `got version \`${String(d.version)}\``);
  const meta = d.meta as Partial<Record<keyof SnapshotMeta, unknown>> | null;
  if (meta === null || typeof meta !== 'object') throw bad(file, 'got no `meta` object');
  if (meta.mode !== undefined && meta.mode !== 'sampling' && meta.mode !== 'exact') {
    throw bad(file, `got meta.mode \`${String(meta.mode)}\``);
  }
  for (const k of ['samplingInterval', 'tracebackLimit', 'timestamp', 'epoch', 'maxOrdinal'] as const) {
    if (typeof meta[k] !== 'number' || !Number.isFinite(meta[k]))
      throw bad(file, `got meta.${k} \`${String(meta[k])}\``);
  }
  if (!Array.isArray(d.frames)) throw bad(file, 'got no `frames` array');
  const frames: Frame[] = d.frames.map((f: unknown, i: number) => {
    if (
      !Array.isArray(f) ||
      typeof f[0] !== 'string' ||
      !isInt(f[1]) ||
      !isInt(f[2]) ||
      typeof f[3] !== 'string' ||
      !isInt(f[4])
    ) {
      throw bad(file, `got a malformed frames[${i}]`);
    }
    return { file: f[0], line: f[1], column: f[2], functionName: f[3], functionLine: f[4] };
  });
  if (!Array.isArray(d.traces)) throw bad(file, 'got no `traces` array');
  const traces: Trace[] = d.traces.map((t: unknown, i: number) => {
    if (!Array.isArray(t) || !isInt(t[0]) || !isInt(t[1]) || !Array.isArray(t[2]) || t[2].length === 0) {
      throw bad(file, `got a malformed traces[${i}]`);
    }
    const stack = (t[2] as unknown[]).map((fi) => {
      const frame = isInt(fi) ? frames[fi] : undefined;
      if (!frame) throw bad(file, `got traces[${i}] pointing at a frame that does not exist`);
      return frame;
    });
    return { size: t[0], count: t[1], frames: stack };
  });
  return {
    meta: {
      mode: meta.mode,
      samplingInterval: meta.samplingInterval as number,
      tracebackLimit: meta.tracebackLimit as number,
      timestamp: meta.timestamp as number,
      epoch: meta.epoch as number,
      maxOrdinal: meta.maxOrdinal as number,
    },
    traces,
  };
}
