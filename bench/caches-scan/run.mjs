// What the cheap mode of caches() costs: the walk of globals and CommonJS exports it runs at setup
// and at every check, and the size reads it adds to every gauge sample.
//
//   node caches-scan/run.mjs [--modules 10,100,500] [--collections 8] [--rounds 30]
//
// Each configuration runs in a child process of its own (a fresh require.cache): it writes an app
// of N CommonJS modules, each exporting K collections (Maps of 100 records, Sets, arrays, objects
// used as maps, a nested registry) and a few functions, plus K collections on a global, requires
// them, then times `setup` (the first walk), `check` (a walk and the verdicts on the followed
// collections) and `GaugeHistory.record` (one size read per followed collection), each the median
// of --rounds, with the scan's defaults (20 ms time box, 20,000 objects) and with no budget (the
// full walk). Imports the built packages: run `pnpm run build` first.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function moduleSource(i, k) {
  const lines = [
    "'use strict';",
    `const records = (n, tag) => Array.from({ length: n }, (_, j) => ({ id: j, tag }));`,
  ];
  const exported = [];
  for (let c = 0; c < k; c++) {
    const name = `c${c}`;
    switch (c % 5) {
      case 0:
        lines.push(`const ${name} = new Map(records(100, ${i}).map((r) => ['k' + r.id, r]));`);
        break;
      case 1:
        lines.push(`const ${name} = new Set(records(50, ${i}).map((r) => 'id-' + r.id));`);
        break;
      case 2:
        lines.push(`const ${name} = records(50, ${i});`);
        break;
      case 3:
        lines.push(`const ${name} = Object.fromEntries(records(100, ${i}).map((r) => ['u' + r.id, r]));`);
        break;
      default:
        lines.push(`const ${name} = { state: { sessions: { alice: { history: records(20, ${i}) } } } };`);
    }
    exported.push(name);
  }
  lines.push(`function handle(n) { return n + ${i}; }`);
  lines.push(`module.exports = { handle, ${exported.join(', ')} };`);
  return lines.join('\n');
}

async function child(n, k, rounds) {
  const core = await import(join(root, 'packages/core/dist/index.js'));
  const { caches } = await import(join(root, 'packages/detector-caches/dist/index.js'));
  const dir = join(root, 'bench/out/caches-scan', `app-${n}-${k}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const require = createRequire(import.meta.url);
  for (let i = 0; i < n; i++) {
    const file = join(dir, `m${i}.cjs`);
    writeFileSync(file, moduleSource(i, k));
    require(file);
  }
  globalThis.app = require(join(dir, 'm0.cjs'));
  const results = {};
  for (const [label, scan] of [
    ['default budget', true],
    ['no budget', { timeBudget: '60s', maxObjects: 10_000_000 }],
  ]) {
    const detector = caches({ scan });
    const gauges = new core.GaugeHistory();
    const ctx = core.createDetectorContext({ gauges });
    let t = performance.now();
    const dispose = await core.setupDetectors([detector], ctx);
    const setupMs = performance.now() - t;
    const check = [];
    const record = [];
    for (let r = 0; r < rounds; r++) {
      t = performance.now();
      gauges.record(r * 1000, { iterations: r });
      record.push(performance.now() - t);
      t = performance.now();
      await detector.check(ctx);
      check.push(performance.now() - t);
    }
    const followed = gauges.names().filter((x) => x.startsWith('caches:')).length;
    await dispose();
    results[label] = {
      setupMs,
      checkMs: median(check),
      checkP90Ms: [...check].sort((a, b) => a - b)[Math.floor(check.length * 0.9)],
      recordMs: median(record),
      followed,
    };
  }
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(results));
}

if (args[0] === '--child') {
  await child(Number(args[1]), Number(args[2]), Number(args[3]));
} else {
  const modules = option('modules', '10,100,500').split(',').map(Number);
  const k = Number(option('collections', '8'));
  const rounds = Number(option('rounds', '30'));
  const rows = [];
  for (const n of modules) {
    const out = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', String(n), String(k), String(rounds)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    const r = JSON.parse(out);
    for (const [label, v] of Object.entries(r))
      rows.push({ modules: n, collections: n * k + k, budget: label, ...v });
  }
  const f = (x) => x.toFixed(2);
  console.log(`Node ${process.version}, ${rounds} rounds, medians`);
  console.log(
    '| modules | collections | budget | setup (ms) | check (ms) | check p90 (ms) | record (ms) | followed |',
  );
  console.log(
    '| ------- | ----------- | ------ | ---------- | ---------- | -------------- | ----------- | -------- |',
  );
  for (const r of rows) {
    console.log(
      `| ${r.modules} | ${r.collections} | ${r.budget} | ${f(r.setupMs)} | ${f(r.checkMs)} | ${f(r.checkP90Ms)} | ${f(r.recordMs)} | ${r.followed} |`,
    );
  }
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  writeFileSync(
    join(root, 'bench/out/caches-scan.json'),
    JSON.stringify({ node: process.version, rows }, null, 2),
  );
}
