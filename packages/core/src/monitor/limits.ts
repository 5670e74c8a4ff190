import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/** The memory limits a process runs into. */
export interface MemoryLimits {
  /**
   * V8's heap limit, `heap_size_limit`: what `--max-old-space-size` really gives (128 gives 176 MB
   * on Node 20 and 320 MB on Node 24: the young generation and V8's own reserve are added).
   */
  heap: number;
  /**
   * What the program's heap can really reach before V8 gives up: the old generation's maximum,
   * `heap_size_limit` less the young generation's reserve (48 MB on Node 20 and 22, 192 MB on Node
   * 24), which the live heap never fills. A heap dies with `heapUsed` near this, not near `heap`.
   */
  usable: number;
  /** The cgroup's `memory.max` (a container's limit) in bytes, or null when there is none. */
  cgroup: number | null;
}

const MB = 2 ** 20;

/** The value of a V8 size flag (MB) in `execArgv` and `NODE_OPTIONS`, the last one given; or undefined. */
function sizeFlag(
  name: string,
  argv: readonly string[],
  nodeOptions: string | undefined,
): number | undefined {
  const dashed = `--${name}=`;
  const underscored = `--${name.replace(/-/g, '_')}=`;
  let found: number | undefined;
  // NODE_OPTIONS first: flags on the command line come after it and win.
  for (const arg of [...(nodeOptions ?? '').split(/\s+/), ...argv]) {
    const prefix = arg.startsWith(dashed) ? dashed : arg.startsWith(underscored) ? underscored : undefined;
    if (prefix === undefined) continue;
    const n = Number(arg.slice(prefix.length));
    if (Number.isFinite(n) && n > 0) found = n;
  }
  return found;
}

/**
 * The old generation's maximum from `heap_size_limit`: the `--max-old-space-size` the process was
 * given when it can be read (exact), else the limit less a young-generation reserve of 192 MB (the
 * largest of Node 20-24's: 3 semi-spaces of 16 or 64 MB, or 3 × `--max-semi-space-size`), at most a
 * quarter of the limit. Errs low: it gates heap captures and the snapshot before an OOM.
 * @internal
 */
export function usableHeap(
  heapLimit: number,
  argv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): number {
  const old = sizeFlag('max-old-space-size', argv, nodeOptions);
  if (old !== undefined && old * MB <= heapLimit) return old * MB;
  const semi = sizeFlag('max-semi-space-size', argv, nodeOptions);
  const reserve = semi !== undefined ? 3 * semi * MB : Math.min(192 * MB, heapLimit / 4);
  return Math.max(heapLimit / 2, heapLimit - reserve);
}

function readNumber(file: string): number | null {
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text === 'max') return null;
    const n = Number(text);
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The cgroup (v2, else v1) a process is in, from /proc/self/cgroup; '' for the root. */
function cgroupPaths(): { v2: string | null; v1: string | null } {
  let v2: string | null = null;
  let v1: string | null = null;
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, path] = line.split(':');
      if (path === undefined) continue;
      if (controllers === '') v2 = path;
      else if (controllers?.split(',').includes('memory')) v1 = path;
    }
  } catch {
    // Not Linux: no cgroups.
  }
  return { v2, v1 };
}

// A "limit" at or above the machine's memory is no limit (cgroup v1 says 9223372036854771712, and
// process.constrainedMemory() says 2^64 where there is none).
function meaningful(n: number | null | undefined): number | null {
  if (n === null || n === undefined || !Number.isFinite(n) || n <= 0) return null;
  return n >= totalmem() ? null : n;
}

/** The cgroup's memory limit, or null. Reads the files of the process's own cgroup, v2 then v1. */
export function cgroupLimit(): number | null {
  const fromNode = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const known = meaningful(fromNode);
  if (known !== null) return known;
  const { v2, v1 } = cgroupPaths();
  const candidates: string[] = [];
  if (v2 !== null) candidates.push(`/sys/fs/cgroup${v2}/memory.max`, '/sys/fs/cgroup/memory.max');
  if (v1 !== null)
    candidates.push(
      `/sys/fs/cgroup/memory${v1}/memory.limit_in_bytes`,
      '/sys/fs/cgroup/memory/memory.limit_in_bytes',
    );
  for (const file of candidates) {
    const n = meaningful(readNumber(file));
    if (n !== null) return n;
  }
  return null;
}

/** Both limits, read now. */
export function memoryLimits(): MemoryLimits {
  const heap = getHeapStatistics().heap_size_limit;
  return { heap, usable: usableHeap(heap), cgroup: cgroupLimit() };
}

/** Memory the machine can still give, in bytes: MemAvailable (Linux), else free memory. */
export function availableMemory(): number {
  try {
    const m = /MemAvailable:\s+(\d+)\s+kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return freemem();
}
