// Shared by the per-tool workers: phase timing and the one result line the driver reads.
import { performance } from 'node:perf_hooks';

export const TARGET_CLASS = 'TimerMetrics';
export const TARGET_PROP = 'timers';

export function makeRecorder(tool, file) {
  const phases = {};
  const info = { tool, file, node: process.version };
  const t0 = performance.now();
  return {
    info,
    async phase(name, fn) {
      const t = performance.now();
      const value = await fn();
      phases[name] = +((performance.now() - t) / 1000).toFixed(3);
      return value;
    },
    done() {
      info.phases = phases;
      info.inProcessSeconds = +((performance.now() - t0) / 1000).toFixed(3);
      info.rssAtEndMB = Math.round(process.memoryUsage().rss / 1048576);
      // The driver reads the last line that starts with this marker.
      process.stdout.write(`\nBENCH_RESULT ${JSON.stringify(info)}\n`);
    },
  };
}

export function fileArg() {
  const file = process.argv[2];
  if (!file) {
    console.error(`usage: node ${process.argv[1]} <file.heapsnapshot>`);
    process.exit(2);
  }
  return file;
}

/** Summary rows (class -> count, self size) -> the few numbers the driver prints. */
export function summaryInfo(rows) {
  let count = 0;
  let self = 0;
  for (const r of rows) {
    count += r.count;
    self += r.self;
  }
  const top = [...rows]
    .sort((a, b) => b.self - a.self)
    .slice(0, 3)
    .map((r) => `${r.name}:${r.count}`);
  return { classes: rows.length, objects: count, selfBytes: self, top };
}
