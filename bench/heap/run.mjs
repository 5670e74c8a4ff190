#!/usr/bin/env node
// bench/heap driver: every (tool × snapshot) cell N times, each run in its own process under
// /usr/bin/time -v (wall time, "Maximum resident set size"). Rounds are interleaved
// (round 1: every size × every tool, round 2: …) so machine noise spreads over all cells.
//
//   node heap/run.mjs [--sizes 50,200,800] [--tools leakkit,devtools,memlab] [--runs 5]
//                     [--runs-large 3] [--timeout 900] [--out out/heap-results.json]
//
// Snapshots are read from out/s<MB>.heapsnapshot (make them with heap/gen-snapshot.mjs: see README.md).
// Prints a markdown table of medians and writes the raw runs as JSON.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../ab-rounds.mjs';
import { pinLeakkit } from '../pin-leakkit.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const sizes = opt('sizes', '50,200,800').split(',').map(Number);
const tools = opt('tools', 'leakkit,devtools,memlab').split(',');
const runs = Number(opt('runs', '5'));
const runsBig = Number(opt('runs-large', '3')); // snapshots of 800 MB live heap and more
const timeoutS = Number(opt('timeout', '900'));
const outFile = path.resolve(benchDir, opt('out', 'out/heap-results.json'));
const snapDir = path.resolve(benchDir, opt('dir', 'out'));

const WORKERS = {
  leakkit: 'tool-leakkit.mjs',
  devtools: 'tool-devtools.mjs',
  memlab: 'tool-memlab.mjs',
};
// Same V8 flags for every tool in a cell. memlab keeps everything in the JS heap and needs a
// large old space for big snapshots; leakkit and DevTools' engine keep the bulk in typed arrays.
const oldSpaceFor = (mb) => (mb <= 200 ? 4096 : 8192);

function runOnce(tool, mb) {
  const file = path.join(snapDir, `s${mb}.heapsnapshot`);
  // The machine may be shared: the 1-minute load average as the run starts goes with every run.
  const loadAverage = os.loadavg()[0];
  const argv = [
    '-v',
    process.execPath,
    `--max-old-space-size=${oldSpaceFor(mb)}`,
    path.join(here, WORKERS[tool]),
    file,
  ];
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', argv, {
      cwd: benchDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.length > 1 << 20) out = out.slice(-(1 << 19));
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (err.length > 1 << 20) err = err.slice(-(1 << 19));
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const rssKB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1]);
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(err)?.[1];
      const seconds = wall ? wall.split(':').reduce((acc, p) => acc * 60 + Number(p), 0) : NaN;
      const cpu =
        Number(/User time \(seconds\): ([\d.]+)/.exec(err)?.[1]) +
        Number(/System time \(seconds\): ([\d.]+)/.exec(err)?.[1]);
      const line = out
        .split('\n')
        .filter((l) => l.startsWith('BENCH_RESULT '))
        .pop();
      const result = line ? JSON.parse(line.slice('BENCH_RESULT '.length)) : null;
      const ok = code === 0 && !timedOut && result != null;
      const tail = ok ? undefined : (err + out).split('\n').filter(Boolean).slice(-6).join('\n');
      resolve({
        tool,
        mb,
        ok,
        code,
        timedOut,
        seconds,
        cpuSeconds: cpu,
        peakRssGB: rssKB / 1048576,
        loadAverage,
        result,
        tail,
      });
    });
  });
}

const files = {};
for (const mb of sizes) {
  const f = path.join(snapDir, `s${mb}.heapsnapshot`);
  if (!fs.existsSync(f)) {
    console.error(
      `missing ${f}: node heap/gen-snapshot.mjs ${mb} out/s${mb}.heapsnapshot --json out/s${mb}.json`,
    );
    process.exit(2);
  }
  let meta = {};
  try {
    meta = JSON.parse(fs.readFileSync(path.join(snapDir, `s${mb}.json`), 'utf8'));
  } catch {}
  files[mb] = { bytes: fs.statSync(f).size, nodes: meta.nodeCount, edges: meta.edgeCount };
}

const leakkitBuild = tools.includes('leakkit') && !args.includes('--render') ? pinLeakkit() : null;
if (leakkitBuild) console.error(`leakkit build: ${JSON.stringify(leakkitBuild)}`);
let all = [];
let started = new Date();
const renderFrom = opt('render', null); // re-print the table of an earlier run's JSON
if (renderFrom) {
  const prev = JSON.parse(fs.readFileSync(path.resolve(benchDir, renderFrom), 'utf8'));
  all = prev.runs;
  started = new Date(prev.started);
  Object.assign(files, prev.files);
  if (!args.includes('--tools')) tools.splice(0, tools.length, ...new Set(all.map((r) => r.tool)));
  if (!args.includes('--sizes')) sizes.splice(0, sizes.length, ...new Set(all.map((r) => r.mb)));
}
const maxRuns = Math.max(...sizes.map((mb) => (mb >= 800 ? runsBig : runs)));
for (let round = 1; !renderFrom && round <= maxRuns; round++) {
  for (const mb of sizes) {
    if (round > (mb >= 800 ? runsBig : runs)) continue;
    for (const tool of tools) {
      const r = await runOnce(tool, mb);
      r.round = round;
      all.push(r);
      const ph = r.result?.phases
        ? Object.entries(r.result.phases)
            .map(([k, v]) => `${k} ${v}s`)
            .join(', ')
        : '';
      console.error(
        `[${new Date().toISOString().slice(11, 19)}] round ${round} ${String(mb).padStart(4)} MB ${tool.padEnd(8)} ` +
          (r.ok
            ? `${r.seconds.toFixed(1)} s (cpu ${r.cpuSeconds.toFixed(1)} s) ${r.peakRssGB.toFixed(2)} GB  (${ph})`
            : `FAILED code=${r.code}${r.timedOut ? ' timeout' : ''}\n${r.tail}`),
      );
      fs.mkdirSync(path.dirname(outFile), { recursive: true });
      fs.writeFileSync(
        outFile,
        JSON.stringify({ started, node: process.version, leakkitBuild, files, runs: all }, null, 2),
      );
    }
  }
}

// ---- table of medians
const rows = [];
rows.push(
  `Node ${process.version}, ${started.toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} cores (shared: wall time is noisy, CPU time less so); medians of successful runs; peak RSS = /usr/bin/time -v "Maximum resident set size".`,
);
{
  const loads = all.map((r) => r.loadAverage).filter(Number.isFinite);
  if (loads.length > 0) {
    rows.push(
      `Load average (1 min) as the runs started: median ${median(loads).toFixed(1)}, ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}.`,
    );
  }
}
rows.push('');
rows.push(
  '| live heap | file | nodes / edges | tool | runs ok | time (s) | CPU user+sys (s) | peak RSS (GiB) | RSS / file | time vs leakkit | CPU vs leakkit | RSS vs leakkit | retainer path to the target |',
);
rows.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
const summaryJson = [];
for (const mb of sizes) {
  const f = files[mb];
  const cell = (tool) => {
    const rs = all.filter((r) => r.mb === mb && r.tool === tool);
    const ok = rs.filter((r) => r.ok);
    return {
      tool,
      n: rs.length,
      ok: ok.length,
      t: median(ok.map((r) => r.seconds)),
      cpu: median(ok.map((r) => r.cpuSeconds)),
      rss: median(ok.map((r) => r.peakRssGB)),
      path: ok[0]?.result?.path,
      phases: ok.length
        ? Object.fromEntries(
            Object.keys(ok[0].result.phases).map((k) => [k, median(ok.map((r) => r.result.phases[k]))]),
          )
        : null,
      failure: rs.find((r) => !r.ok)?.tail,
    };
  };
  const cells = tools.map(cell);
  const lk = cells.find((c) => c.tool === 'leakkit');
  for (const c of cells) {
    const ratio = (a, b) =>
      Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : '–';
    rows.push(
      `| ${mb} MB | ${(f.bytes / 1e6).toFixed(0)} MB | ${f.nodes ? (f.nodes / 1e6).toFixed(1) : '?'} M / ${f.edges ? (f.edges / 1e6).toFixed(1) : '?'} M | ${c.tool} | ${c.ok}/${c.n} | ${Number.isFinite(c.t) ? c.t.toFixed(1) : 'failed'} | ${Number.isFinite(c.cpu) ? c.cpu.toFixed(1) : '–'} | ${Number.isFinite(c.rss) ? c.rss.toFixed(2) : '–'} | ${Number.isFinite(c.rss) ? `${((c.rss * 1073741824) / f.bytes).toFixed(1)}×` : '–'} | ${c.tool === 'leakkit' ? '1×' : ratio(c.t, lk?.t)} | ${c.tool === 'leakkit' ? '1×' : ratio(c.cpu, lk?.cpu)} | ${c.tool === 'leakkit' ? '1×' : ratio(c.rss, lk?.rss)} | ${c.path ? `\`${c.path}\`` : ''} |`,
    );
    summaryJson.push({ mb, fileBytes: f.bytes, ...c });
  }
}
rows.push('');
rows.push('In-process phase medians (s): ');
for (const c of summaryJson)
  if (c.phases)
    rows.push(
      `- ${c.mb} MB ${c.tool}: ${Object.entries(c.phases)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
const table = rows.join('\n');
console.log(table);
if (!renderFrom)
  fs.writeFileSync(
    outFile,
    JSON.stringify(
      {
        started,
        finished: new Date(),
        node: process.version,
        leakkitBuild,
        files,
        medians: summaryJson,
        table,
        runs: all,
      },
      null,
      2,
    ),
  );
if (!renderFrom) console.error(`wrote ${outFile}`);
