#!/usr/bin/env node
// bench/monitor-overhead: the cost of the live monitor on an HTTP server, in one run.
// The same server (tracing-overhead/server.mjs, a node:http JSON endpoint) runs without the monitor
// and with it attached the zero-code way (`node --import @leakkit/core/register`, default options:
// ticks every minute, allocation tracing at 512 KiB, GC profiler, route counting, heap snapshots
// 'auto'), optionally also with a short interval. Load comes from a separate process on 127.0.0.1
// (tracing-overhead/loadgen.mjs); rounds alternate between the servers, order rotated each round.
//
//   node monitor-overhead/run.mjs [--rounds 12] [--seconds 4] [--concurrency 32]
//        [--modes off,default,5s] [--out out/monitor-overhead.json] [--pin] [--restart-every 4]
//
// --restart-every N: new server processes every N rounds (0: one set for the whole run). Two
// processes of the same server differ by up to ±2% in throughput and CPU per request for their
// whole life (the A/A control; JIT and heap layout), which more rounds with the same processes do
// not average out; fresh processes every few rounds do.
//
// --pin: the servers on CPU 1 and the load generator on CPU 0 (`taskset`), so that neither takes
// the other's core: steadier CPU-per-request figures on a 2-core machine.
//
// Modes: `off` (no monitor), `default` (the monitor's defaults), `nodetectors` (LEAKKIT_DETECTORS=none), `notracing` (the defaults with
// LEAKKIT_TRACING=off: gauges and route counting alone), `tracing:<size>` (the defaults with another
// sampling interval, `tracing:2MiB`), or an interval (`5s`: the defaults with LEAKKIT_INTERVAL, so
// that ticks, with their GCs and snapshots, fall inside the runs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { alternatingRounds, log, pct, summarize } from '../ab-rounds.mjs';
import { pinLeakkit } from '../pin-leakkit.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, '..');
const loadgen = path.join(benchDir, 'tracing-overhead', 'loadgen.mjs');
const serverScript = path.join(benchDir, 'tracing-overhead', 'server.mjs');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const rounds = Number(opt('rounds', '12'));
const seconds = opt('seconds', '4');
const concurrency = opt('concurrency', '32');
const modes = opt('modes', 'off,default,5s').split(',');
const outFile = path.resolve(benchDir, opt('out', 'out/monitor-overhead.json'));
const pin = args.includes('--pin');
const restartEvery = Number(opt('restart-every', '4')) || rounds;
// `taskset -c <cpu> node …` when pinning, else `node …`.
const command = (cpu, argv) =>
  pin ? ['taskset', ['-c', String(cpu), process.execPath, ...argv]] : [process.execPath, argv];
const build = pinLeakkit();
const register = pathToFileURL(path.join(build.dist, 'register.js')).href;

function startServer(mode) {
  const env = { ...process.env, LEAKKIT_REPORT: 'none' };
  // `notracing`: the defaults without allocation tracing (what the gauges and routes cost alone).
  if (mode === 'notracing') env.LEAKKIT_TRACING = 'off';
  // `nodetectors`: the defaults without the detectors (LEAKKIT_DETECTORS=none: no timer wrapping).
  else if (mode === 'nodetectors') env.LEAKKIT_DETECTORS = 'none';
  // `preload`: the preload loaded with the monitor turned off (LEAKKIT_DISABLE=1): what loading costs.
  else if (mode === 'preload') env.LEAKKIT_DISABLE = '1';
  // `tracing:<size>`: the defaults with another sampling interval (what tracing costs by its rate).
  else if (mode.startsWith('tracing:')) env.LEAKKIT_TRACING = mode.slice('tracing:'.length);
  else if (mode !== 'off' && mode !== 'off2' && mode !== 'default' && !mode.startsWith('import:'))
    env.LEAKKIT_INTERVAL = mode;
  // `off2`: a second server without the monitor, an A/A control for what two processes differ by.
  // `import:<file>`: no monitor, the file preloaded instead (one of the monitor's parts alone, to
  // find what costs: monitor-overhead/parts/).
  const argv =
    mode === 'off' || mode === 'off2'
      ? [serverScript, 'off']
      : mode.startsWith('import:')
        ? [
            '--import',
            pathToFileURL(path.resolve(here, mode.slice('import:'.length))).href,
            serverScript,
            'off',
          ]
        : ['--import', register, serverScript, 'off'];
  return new Promise((resolve, reject) => {
    const [file, fullArgv] = command(1, argv);
    const child = spawn(file, fullArgv, { env, cwd: benchDir, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve({ mode, child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`server ${mode} exited ${code}`)));
  });
}

function load(server, secs, warm) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      ...command(0, [
        loadgen,
        '--port',
        String(server.port),
        '--concurrency',
        concurrency,
        '--seconds',
        secs,
        '--warmup',
        warm,
      ]),
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`loadgen exited ${code}`)),
    );
  });
}

// Rounds in sets of `restartEvery`, each set with servers of its own (warmed up afresh).
const measured = {
  runs: Object.fromEntries(modes.map((m) => [m, []])),
  ratios: Object.fromEntries(modes.map((m) => [m, { rps: [], p99: [], cpu: [] }])),
};
for (let done = 0; done < rounds; done += restartEvery) {
  const servers = [];
  for (const m of modes) servers.push(await startServer(m));
  log(`servers ${servers.map((s) => `${s.mode}@${s.port}`).join(' ')}; warming up`);
  const part = await alternatingRounds({
    servers,
    rounds: Math.min(restartEvery, rounds - done),
    seconds,
    load,
  });
  for (const s of servers) {
    s.child.removeAllListeners('exit');
    s.child.stdin.end();
  }
  for (const m of modes) {
    measured.runs[m].push(...part.runs[m]);
    for (const k of ['rps', 'p99', 'cpu']) measured.ratios[m][k].push(...part.ratios[m][k]);
  }
}
const { runs } = measured;

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cores: (await import('node:os')).cpus().length,
  leakkitBuild: build,
  rounds,
  restartEvery,
  seconds: Number(seconds),
  concurrency: Number(concurrency),
  modes: summarize(modes, measured),
  raw: runs,
};
const name = (m) =>
  m === 'off'
    ? 'no monitor'
    : m === 'off2'
      ? 'no monitor (A/A control)'
      : m === 'preload'
        ? 'preload only (LEAKKIT_DISABLE=1)'
        : m === 'default'
          ? 'monitor, defaults (1m ticks)'
          : m === 'notracing'
            ? 'monitor, defaults without tracing'
            : m === 'nodetectors'
              ? 'monitor, defaults without detectors'
              : m.startsWith('import:')
                ? `no monitor, ${m.slice(7)} preloaded`
                : m.startsWith('tracing:')
                  ? `monitor, defaults, sampling at ${m.slice(8)}`
                  : `monitor, ${m} ticks`;
const lines = [
  `Node ${result.node}, ${result.cores} cores, ${result.date.slice(0, 16)}Z; ${rounds} alternating rounds of ${seconds} s (new server processes every ${restartEvery} rounds), ${concurrency} keep-alive connections from a second process; medians, ratios = median of per-round ratios to the server without the monitor:`,
  '',
  '| server | throughput (req/s) | p50 (ms) | p99 (ms) | CPU per request (µs) | throughput ratio | p99 ratio | CPU per request ratio |',
  '|---|---|---|---|---|---|---|---|',
  ...result.modes.map(
    (m) =>
      `| ${name(m.mode)} | ${m.rps.toFixed(0)} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${m.cpuUsPerRequest.toFixed(1)} | ${pct(m.rpsRatio)} | ${m.p99Ratio.toFixed(3)}× | ${pct(m.cpuRatio)} |`,
  ),
];
result.table = lines.join('\n');
console.log(result.table);
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, JSON.stringify(result, null, 2));
log(`wrote ${outFile}`);
process.exit(0);
