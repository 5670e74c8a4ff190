#!/usr/bin/env node
// leakkit's checkBounded against the `leakage` package's method on the programs of the acceptance
// suite: wrong answers and seconds per check for each.
//
//   node bounded/run.mjs [--runs 1] [--methods leakkit,leakage,leakage-1000,heapUsed-1000]
//                        [--programs <regexp>] [--out out/bounded.json]
//
// Every check runs in a fresh process (one program, one method), the methods interleaved program
// by program so that the load of a shared machine falls on all of them alike. Seconds are the
// check alone (not the process start or module loading).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../ab-rounds.mjs';
import { pinLeakkit } from '../pin-leakkit.mjs';
import { programs, samePath } from './programs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(option('runs', '1'));
const methods = option('methods', 'leakkit,leakage,leakage-1000,heapUsed-1000').split(',');
const filter = new RegExp(option('programs', '.'));
const out = path.resolve(here, '..', option('out', 'out/bounded.json'));
const build = pinLeakkit();

function check(method, file) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(here, 'child.mjs'), method, file],
      { timeout: 300_000, maxBuffer: 16 << 20, env: { ...process.env, LEAKKIT_DIST: build.dist } },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop();
        try {
          resolve(JSON.parse(line));
        } catch {
          resolve({ error: (error?.message ?? '') + stderr.slice(0, 500) });
        }
      },
    );
  });
}

const list = programs().filter((p) => filter.test(p.name));
const rows = [];
for (let run = 0; run < runs; run++) {
  for (const p of list) {
    for (const method of methods) {
      const r = await check(method, p.file);
      const wrong = r.error !== undefined || r.leak !== p.leaks;
      let named;
      if (method === 'leakkit' && p.leaks && r.findings) {
        named = r.findings.some((f) => samePath(f.path, p.path) && f.file === p.file && f.line === p.line);
      }
      rows.push({ run, program: p.name, kind: p.kind, method, ...r, wrong, named });
      process.stdout.write(
        `${method.padEnd(14)} ${p.kind.padEnd(7)} ${p.name.padEnd(22)} ${r.error ? 'ERROR' : r.leak ? 'leak   ' : 'bounded'} ${
          wrong ? 'WRONG' : 'ok   '
        } ${r.seconds?.toFixed(2) ?? '-'} s${named === false ? '  (path/site wrong)' : ''}\n`,
      );
    }
  }
}

const summary = methods.map((method) => {
  const mine = rows.filter((r) => r.method === method);
  const leaks = mine.filter((r) => r.kind === 'leaks');
  const bounded = mine.filter((r) => r.kind === 'bounded');
  const seconds = mine.map((r) => r.seconds).filter((s) => typeof s === 'number');
  return {
    method,
    checks: mine.length,
    missedLeaks: leaks.filter((r) => r.wrong).length,
    leakChecks: leaks.length,
    falseAlarms: bounded.filter((r) => r.wrong).length,
    boundedChecks: bounded.length,
    wrong: mine.filter((r) => r.wrong).length,
    medianSeconds: median(seconds),
    medianSecondsLeaks: median(leaks.map((r) => r.seconds).filter(Number.isFinite)),
    medianSecondsBounded: median(bounded.map((r) => r.seconds).filter(Number.isFinite)),
    maxSeconds: Math.max(...seconds),
    pathAndSiteRight: method === 'leakkit' ? leaks.filter((r) => r.named).length : undefined,
  };
});

fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ build, node: process.version, runs, rows, summary }, null, 2));
console.log(
  `\nleakkit ${build.commit} (${build.distSha256}), Node ${process.version}, ${runs} run(s), ${list.length} programs\n`,
);
console.log(
  '| method | wrong answers | missed leaks | false alarms | median s/check | median s, leaks | median s, bounded | max s | path and site right |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const s of summary) {
  console.log(
    `| ${s.method} | ${s.wrong} of ${s.checks} | ${s.missedLeaks} of ${s.leakChecks} | ${s.falseAlarms} of ${s.boundedChecks} | ${s.medianSeconds.toFixed(2)} | ${s.medianSecondsLeaks.toFixed(2)} | ${s.medianSecondsBounded.toFixed(2)} | ${s.maxSeconds.toFixed(2)} | ${
      s.pathAndSiteRight === undefined ? '–' : `${s.pathAndSiteRight} of ${s.leakChecks}`
    } |`,
  );
}
console.log(`\nresults: ${path.relative(process.cwd(), out)}`);
