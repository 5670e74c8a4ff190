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

/** Byte offset of a JSON.parse failure, from the character position its message names. */
function parseErrorOffset(text: string, error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : '';
  const m = /position (\d+)/.exec(message);
  if (m) return Buffer.byteLength(text.slice(0, Number(m[1])), 'utf8');
  if (/end of (JSON )?input|Unterminated/i.test(message)) return Buffer.byteLength(text, 'utf8');
  return undefined;
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
  } catch (error) {
    const offset = parseErrorOffset(text, error);
    throw bad(file, `got invalid JSON${offset === undefined ? '' : ` at byte ${offset}`}`, offset);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw bad(file, 'got JSON that is not an object');
  const d = data as Partial<Record<keyof DumpV1, unknown>>;
  if (d.format !== DUMP_FORMAT) throw bad(file, `got format \`${String(d.format)}\``);
  if (d.version !== DUMP_VERSION) throw bad(file, `got version \`${String(d.version)}\``);
  const meta = d.meta as Partial<Record<keyof SnapshotMeta, unknown>> | null;
  if (meta === null || typeof meta !== 'object') throw bad(file, 'got no `meta` object');
  if (meta.mode !== undefined && meta.mode !== 'sampling' && meta.mode !== 'exact') {
    throw bad(file, `got meta.mode \`${String(meta.mode)}\``);
  }
  for (const k of ['samplingInterval', 'tracebackLimit', 'timestamp', 'epoch', 'maxOrdinal'] as const) {
    if (typeof meta[k] !== 'number' || !Number.isFinite(meta[k])) throw bad(file, `got meta.${k} \`${String(meta[k])}\``);
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
