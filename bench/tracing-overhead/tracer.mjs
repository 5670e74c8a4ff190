// How the bench turns allocation tracing on and off.
//   BENCH_TRACER=leakkit   (default) leakkit's start()/stop() from the built packages/core dist
//   BENCH_TRACER=inspector V8's sampling heap profiler driven directly through node:inspector
//                          (HeapProfiler.startSampling), the mechanism leakkit's sampling mode uses;
//                          only for validating the harness before leakkit's tracing exists.
// Modes: 'off' | 'default' (no samplingInterval given: the tracer's own default) | a byte count |
// 'raw:<bytes>' (V8's profiler through node:inspector at that interval, whatever BENCH_TRACER says:
// the cost of the mechanism alone, next to leakkit's in the same run).
import { Session } from 'node:inspector';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { leakkitDist } from '../pin-leakkit.mjs';

export const tracerKind = process.env.BENCH_TRACER || 'leakkit';

let leakkit = null;
let session = null;

async function loadLeakkit() {
  if (!leakkit) leakkit = await import(pathToFileURL(path.join(leakkitDist(), 'index.js')).href);
  return leakkit;
}

const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
  );

function connect() {
  if (!session) {
    session = new Session();
    session.connect();
  }
}

export async function traceOn(mode) {
  if (mode === 'off') return;
  if (mode.startsWith('raw:')) {
    connect();
    await post('HeapProfiler.startSampling', { samplingInterval: Number(mode.slice(4)) });
    return;
  }
  if (tracerKind === 'leakkit') {
    const lk = await loadLeakkit();
    lk.start(mode === 'default' ? {} : { mode: 'sampling', samplingInterval: Number(mode) });
    return;
  }
  connect();
  await post('HeapProfiler.startSampling', mode === 'default' ? {} : { samplingInterval: Number(mode) });
}

export async function traceOff(mode) {
  if (mode === 'off') return;
  if (tracerKind === 'leakkit' && !mode.startsWith('raw:')) {
    (await loadLeakkit()).stop();
    return;
  }
  await post('HeapProfiler.stopSampling', {});
}

/** Takes a tracing snapshot (leakkit.takeSnapshot() / getSamplingProfile) — the periodic cost of a monitor. */
export async function traceSnapshot() {
  if (tracerKind === 'leakkit') return (await loadLeakkit()).takeSnapshot();
  return post('HeapProfiler.getSamplingProfile', {});
}

export const label = (mode) =>
  mode === 'off'
    ? 'off'
    : mode === 'default'
      ? 'default'
      : mode.startsWith('raw:')
        ? `raw V8 ${Math.round(Number(mode.slice(4)) / 1024)} KiB`
        : `${Math.round(Number(mode) / 1024)} KiB`;
