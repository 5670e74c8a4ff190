#!/usr/bin/env node
// Sums the vitest JSON reports of every Node version into the one closing line CI reads.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const version of process.argv.slice(2)) {
  const file = new URL(`../.tmp/vitest-node${version}.json`, import.meta.url);
  if (!existsSync(file)) {
    console.log(`no test report for Node ${version}`);
    failed++;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  console.log(`Node ${version}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
