#!/usr/bin/env node
// bench/tracing-overhead: the cost of leakkit's allocation tracing, in one run.
//   (a) alloc-loop.mjs: an allocation-bound loop, modes interleaved in one process, fixed work.
//   (b) server.mjs under load from loadgen.mjs (a second process, 127.0.0.1, keep-alive, fixed
//       concurrency): one server per mode, all started and warmed up front, then load bursts
//       alternate between them, order rotated every round.
//
//   node tracing-overhead/run.mjs [--rounds 12] [--http-modes off,default,32768] [--loop-modes off,default,32768,8192]
//        [--seconds 4] [--concurrency 32] [--loop-rounds 15] [--tracer leakkit|inspector]
//        [--snapshot-every-ms 0] [--skip-loop] [--skip-http] [--out out/tracing-results.json]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternatingRounds, log, pct, summarize } from '../ab-rounds.mjs';
import { pinLeakkit } from '../pin-leakkit.mjs';
import { label } from './tracer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const flag = (n) => args.includes(`--${n}`);
const rounds = Number(opt('rounds', '12'));
const httpModes = opt('http-modes', 'off,default,32768').split(',');
const loopModes = opt('loop-modes', 'off,default,32768,8192');
const seconds = opt('seconds', '4');
const concurrency = opt('concurrency', '32');
const loopRounds = opt('loop-rounds', '15');
const tracer = opt('tracer', process.env.BENCH_TRACER || 'leakkit');
const snapshotEvery = opt('snapshot-every-ms', '0');
const outFile = path.resolve(benchDir, opt('out', 'out/tracing-results.json'));
const leakkitBuild = tracer === 'leakkit' ? pinLeakkit() : null; // sets LEAKKIT_DIST for the children
const env = { ...process.env, BENCH_TRACER: tracer };

function runJson(script, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, script), ...argv], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0) return reject(new Error(`${script} exited ${code}: ${out}`));
      resolve(JSON.parse(line));
    });
  });
}

function startServer(mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'server.mjs'), mode], {
      env: { ...env, SNAPSHOT_EVERY_MS: snapshotEvery },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve({ mode, child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`server ${mode} exited ${code}`)));
  });
}

const result = {
  date: new Date().toISOString(),
  node: process.version,
  tracer,
  leakkitBuild,
  cores: (await import('node:os')).cpus().length,
};

if (!flag('skip-loop')) {
  log(`alloc loop: modes ${loopModes}, ${loopRounds} rounds`);
  result.allocLoop = await runJson('alloc-loop.mjs', ['--rounds', loopRounds, '--modes', loopModes]);
  log(JSON.stringify(result.allocLoop.modes));
}

if (!flag('skip-http')) {
  const servers = [];
  for (const m of httpModes) servers.push(await startServer(m));
  const lg = (s, secs, warm) =>
    runJson('loadgen.mjs', [
      '--port',
      String(s.port),
      '--concurrency',
      concurrency,
      '--seconds',
      secs,
      '--warmup',
      warm,
    ]);
  log(`http: servers ${servers.map((s) => `${s.mode}@${s.port}`).join(' ')}; warming up`);
  const measured = await alternatingRounds({ servers, rounds, seconds, load: lg, name: label });
  const { runs } = measured;
  for (const s of servers) s.child.stdin.end();
  result.http = {
    rounds,
    seconds: Number(seconds),
    concurrency: Number(concurrency),
    snapshotEveryMs: Number(snapshotEvery),
    modes: summarize(httpModes, measured, label),
    raw: runs,
  };
}

// ---- markdown
const lines = [
  `Node ${result.node}, ${result.cores} cores, tracer: ${tracer === 'leakkit' ? 'leakkit start()' : 'raw node:inspector HeapProfiler.startSampling (harness check)'}, ${result.date.slice(0, 16)}Z`,
  '',
];
if (result.allocLoop) {
  lines.push(
    `Allocation-bound loop (${result.allocLoop.rounds} interleaved rounds, median; ratio = median of per-round time / untraced time):`,
    '',
  );
  lines.push(
    '| tracing | wall time (ms) | CPU time (ms) | wall vs untraced | CPU vs untraced |',
    '|---|---|---|---|---|',
  );
  for (const m of result.allocLoop.modes)
    lines.push(`| ${m.mode} | ${m.medianMs} | ${m.medianCpuMs} | ${pct(m.ratio)} | ${pct(m.cpuRatio)} |`);
  lines.push('');
}
if (result.http) {
  const h = result.http;
  lines.push(
    `HTTP server (node:http JSON endpoint), load from a second process: ${h.concurrency} keep-alive connections, ${h.rounds} alternating rounds of ${h.seconds} s${h.snapshotEveryMs ? `, traced server takes a tracing snapshot every ${h.snapshotEveryMs} ms` : ''}; medians, ratios = median of per-round ratios:`,
    '',
  );
  lines.push(
    '| tracing | throughput (req/s) | p50 (ms) | p99 (ms) | server CPU per request (µs) | throughput vs untraced | p99 vs untraced | CPU per request vs untraced |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const m of h.modes)
    lines.push(
      `| ${m.mode} | ${m.rps.toFixed(0)} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${m.cpuUsPerRequest.toFixed(1)} | ${pct(m.rpsRatio)} | ${m.p99Ratio.toFixed(3)}× | ${pct(m.cpuRatio)} |`,
    );
}
result.table = lines.join('\n');
console.log(result.table);
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, JSON.stringify(result, null, 2));
log(`wrote ${outFile}`);
process.exit(0);
