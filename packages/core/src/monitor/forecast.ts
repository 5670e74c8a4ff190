import type { MonitorForecast } from '../report/types.js';
import { formatBytes, formatDuration } from './format.js';

/** What {@link forecastLimit} needs: the heap now, how fast it grows, and the limits. */
export interface ForecastInput {
  /** Growth of the heap after GC, bytes per ms (a robust slope). */
  slope: number;
  /** The heap after GC now, bytes. */
  heap: number;
  /** The process's RSS now, bytes. */
  rss: number;
  /**
   * The part of {@link heap} outside the heap (ArrayBuffers), and its growth in bytes per ms:
   * memory the heap limit does not bound. Default 0 and 0: all of it is heap.
   */
  external?: number;
  externalSlope?: number;
  /** V8's heap limit, `heap_size_limit`. */
  heapLimit: number;
  /** The cgroup's `memory.max`, or null. */
  cgroupLimit: number | null;
}

const HOUR = 3_600_000;

/**
 * When the heap reaches a limit at its current rate of growth. Two limits apply: V8's heap limit
 * (the heap itself reaches it: an OOM crash "Reached heap limit") and a container's memory limit
 * (the process's RSS reaches it first when the heap grows: the kernel's OOM killer). Everything
 * beside the heap is taken to stay as it is, so RSS grows as fast as the heap.
 *
 * @returns the nearer limit and when, or undefined when the heap does not grow or a number is missing.
 */
export function forecastLimit(input: ForecastInput): MonitorForecast | undefined {
  const { slope, heap, rss, heapLimit, cgroupLimit } = input;
  if (!(slope > 0) || !Number.isFinite(heap) || !(heapLimit > 0)) return undefined;
  const external = Number.isFinite(input.external) ? input.external! : 0;
  const externalSlope = Number.isFinite(input.externalSlope) ? Math.max(0, input.externalSlope!) : 0;
  // Buffers that pile up never reach the heap limit, only the container's (through RSS).
  const heapSlope = slope - Math.min(slope, externalSlope);
  const heapEta = heapSlope > 0 ? Math.max(0, heapLimit - (heap - external)) / heapSlope : Infinity;
  const cgroupEta =
    cgroupLimit !== null && Number.isFinite(rss) ? Math.max(0, cgroupLimit - rss) / slope : Infinity;
  if (heapEta === Infinity && cgroupEta === Infinity) return undefined;
  const source = cgroupEta < heapEta ? 'cgroup' : 'heap';
  const limit = source === 'cgroup' ? (cgroupLimit as number) : heapLimit;
  const eta = Math.min(heapEta, cgroupEta);
  const bytesPerHour = slope * HOUR;
  // Say so when most of the growth is outside the heap: a heap profile alone would not show it.
  const growing = externalSlope > slope / 2 ? 'heap and buffers' : 'heap';
  const limitName = source === 'cgroup' ? 'cgroup memory.max' : 'heap limit, --max-old-space-size';
  const when = eta === 0 ? 'already' : `in ${formatDuration(eta)}`;
  return {
    limit,
    source,
    bytesPerHour,
    eta,
    text: `${growing} +${formatBytes(bytesPerHour)}/h; reaches the ${formatBytes(limit)} limit (${limitName}) ${when}`,
  };
}
