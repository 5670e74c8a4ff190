#!/usr/bin/env node
// Checks every built package the way a consumer meets it: publint (package.json fields and files),
// are-the-types-wrong (exports and .d.ts resolve under node16/bundler), and a real CommonJS
// `require()` of each entry point, which Node supports natively from 20.19 / 22.12 on.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const dirs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d));
let failed = 0;

for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const [tool, args] of [
    ['publint', [dir, '--strict']],
    // ESM-only by design: CommonJS consumers load us through require(esm), not a CJS build.
    ['attw', ['--pack', dir, '--profile', 'esm-only', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync(bin(tool), args, { stdio: 'pipe', cwd: dir });
      console.log(`ok   ${tool} ${pkg.name}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${tool} ${pkg.name}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
  // require() from a CommonJS module, as a CJS app would.
  const require = createRequire(join(root, 'scripts', 'consumer.cjs'));
  for (const sub of Object.keys(pkg.exports)) {
    if (sub === './package.json') continue;
    const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
    try {
      const mod = require(spec);
      if (Object.keys(mod).length === 0) throw new Error('no exports');
      console.log(`ok   require(${spec})`);
    } catch (error) {
      failed++;
      console.log(`FAIL require(${spec}): ${error.message}`);
    }
  }
}
if (failed) {
  console.log(`${failed} package check(s) failed`);
  process.exitCode = 1;
}
