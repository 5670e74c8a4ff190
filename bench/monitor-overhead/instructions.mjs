#!/usr/bin/env node
// bench/monitor-overhead/instructions.mjs: the monitor's cost per request in machine instructions,
// counted by valgrind (cachegrind, no cache simulation), which does not depend on what else the
// machine is doing. Throughput on a shared 2-core machine resolves about ±1.5%; instruction counts
// resolve a tenth of that.
//
//   node monitor-overhead/instructions.mjs [--modes off,default] [--requests 2000,12000]
//        [--repeat 2] [--concurrency 8] [--out out/monitor-instructions.json]
//
// Each mode's server (tracing-overhead/server.mjs; `default` attached with `--import
// @leakkit/core/register`, LEAKKIT_REPORT=none) runs under valgrind once per request count: it
// serves exactly that many requests from a client outside valgrind, then exits. Instructions per
// request = (I(large) - I(small)) / (large - small), so start-up and the JIT's first compilations
// fall out. All threads are counted (GC helpers included). LEAKKIT_INTERVAL=1h: under valgrind the
// server runs ~50x slower, so a one-minute tick would fall on ~50x fewer requests than in
// production; what a tick costs is measured in real time by run.mjs's interval modes.
// Needs valgrind (`apt-get install valgrind`). Two servers run at a time (one per core).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pinLeakkit } from '../pin-leakkit.mjs';
import { productRequest } from '../tracing-overhead/request.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const modes = opt('modes', 'off,default').split(',');
const [small, large] = opt('requests', '2000,12000').split(',').map(Number);
const repeat = Number(opt('repeat', '2'));
const concurrency = Number(opt('concurrency', '8'));
const outFile = path.resolve(benchDir, opt('out', 'out/monitor-instructions.json'));
const serverScript = path.join(benchDir, 'tracing-overhead', 'server.mjs');

if (!(small > 0 && large > small)) throw new Error('--requests wants two counts, the second larger');
const build = pinLeakkit();
const register = pathToFileURL(path.join(build.dist, 'register.js')).href;

/** Exactly `n` requests over keep-alive sockets, `concurrency` in flight. */
function drive(port, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let started = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const one = () => {
      if (started >= n) return;
      const id = started++;
      http
        .get(productRequest(port, agent, id), (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            if (++done === n) {
              agent.destroy();
              resolve();
            } else one();
          });
        })
        .on('error', reject);
    };
    for (let i = 0; i < concurrency; i++) one();
  });
}

/** Instructions of a whole server process that served `n` requests in `mode`. */
function countOnce(mode, n) {
  const argv = [
    '--tool=cachegrind',
    '--cache-sim=no',
    '--cachegrind-out-file=/dev/null',
    process.execPath,
    ...(mode === 'off' ? [] : ['--import', register]),
    serverScript,
    'off',
  ];
  const env = { ...process.env, LEAKKIT_REPORT: 'none', LEAKKIT_INTERVAL: '1h' };
  if (mode === 'nodetectors') env.LEAKKIT_DETECTORS = 'none';
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', argv, { env, cwd: benchDir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let driven = false;
    child.stdout.on('data', (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m && !driven) {
        driven = true;
        drive(Number(m[1]), n).then(
          () => child.stdin.end(),
          (error) => {
            child.kill();
            reject(error);
          },
        );
      }
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (err.length > 1 << 20) err = err.slice(-(1 << 18));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /I\s+refs:\s+([\d,]+)/.exec(err);
      if (m) resolve(Number(m[1].replaceAll(',', '')));
      else
        reject(new Error(`valgrind ${mode} ${n} exited ${code}: ${err.split('\n').slice(-4).join(' | ')}`));
    });
  });
}

const runs = [];
for (let r = 1; r <= repeat; r++) {
  for (const n of [small, large]) {
    // The modes side by side, one per core.
    const counts = await Promise.all(modes.map((m) => countOnce(m, n)));
    modes.forEach((mode, i) => {
      runs.push({ round: r, mode, requests: n, instructions: counts[i] });
      console.error(`round ${r}: ${mode} ${n} requests: ${counts[i].toLocaleString('en')} instructions`);
    });
  }
}

const perRequest = {};
for (const mode of modes) {
  perRequest[mode] = [];
  for (let r = 1; r <= repeat; r++) {
    const at = (n) => runs.find((x) => x.round === r && x.mode === mode && x.requests === n).instructions;
    perRequest[mode].push((at(large) - at(small)) / (large - small));
  }
}
const base = modes[0];
console.log(
  `Node ${process.version}; instructions per request (all threads), (I(${large}) - I(${small})) / ${large - small}, ${repeat} rounds:\n`,
);
console.log(`| server | per round | ratio to ${base}, per round |`);
console.log('|---|---|---|');
for (const mode of modes) {
  const per = perRequest[mode];
  const ratios = per.map((v, i) => v / perRequest[base][i]);
  console.log(
    `| ${mode} | ${per.map((v) => Math.round(v).toLocaleString('en')).join(', ')} | ${ratios
      .map((x) => `${x.toFixed(4)}× (${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(2)}%)`)
      .join(', ')} |`,
  );
}
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(
  outFile,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      leakkitBuild: build,
      small,
      large,
      runs,
      perRequest,
    },
    null,
    2,
  ),
);
console.error(`wrote ${outFile}`);
