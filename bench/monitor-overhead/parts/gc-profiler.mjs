// The monitor's GC gauge alone: a v8.GCProfiler, rotated every 5 s as GcWatcher does.
import { GCProfiler } from 'node:v8';

let profiler = new GCProfiler();
profiler.start();
setInterval(() => {
  profiler.stop();
  profiler = new GCProfiler();
  profiler.start();
}, 5000).unref();
