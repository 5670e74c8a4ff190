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
  const heapEta = Math.max(0, heapLimit - heap) / slope;
  const cgroupEta =
    cgroupLimit !== null && Number.isFinite(rss) ? Math.max(0, cgroupLimit - rss) / slope : Infinity;
  const source = cgroupEta < heapEta ? 'cgroup' : 'heap';
  const limit = source === 'cgroup' ? (cgroupLimit as number) : heapLimit;
  const eta = Math.min(heapEta, cgroupEta);
  const bytesPerHour = slope * HOUR;
  const what = source === 'cgroup' ? 'cgroup memory.max' : 'heap limit, --max-old-space-size';
  const when = eta === 0 ? 'already' : `in ${formatDuration(eta)}`;
  return {
    limit,
    source,
    bytesPerHour,
    eta,
    text: `heap +${formatBytes(bytesPerHour)}/h; reaches the ${formatBytes(limit)} limit (${what}) ${when}`,
  };
}
