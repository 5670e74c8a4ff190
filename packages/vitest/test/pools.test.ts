import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The matcher under vitest's two process models, each in a vitest run of its own: worker threads
// (one V8 isolate per worker, its own inspector) and child processes.
const here = fileURLToPath(new URL('.', import.meta.url));
const config = join(here, 'fixtures/pools/vitest.config.ts');
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

function run(pool: 'threads' | 'forks'): Promise<JsonReport> {
  const out = join(tmpdir(), `leakkit-vitest-${pool}-${process.pid}.json`);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [vitest, 'run', '--config', config, '--pool', pool, '--reporter', 'json', '--outputFile', out],
      { timeout: 240_000, env: { ...process.env, NO_COLOR: '1' } },
      (error) => {
        // Exit code 1 is expected: one of the fixture's tests fails on purpose.
        try {
          const report = JSON.parse(readFileSync(out, 'utf8')) as JsonReport;
          rmSync(out, { force: true });
          resolve(report);
        } catch (parseError) {
          reject(error ?? parseError);
        }
      },
    );
  });
}

describe('toStayBounded() in vitest pools', () => {
  for (const pool of ['threads', 'forks'] as const) {
    it(`works under the ${pool} pool`, { timeout: 300_000 }, async () => {
      const report = await run(pool);
      const results = report.testResults.flatMap((r) => r.assertionResults);
      const status = Object.fromEntries(results.map((r) => [r.title, r.status]));
      expect(status).toEqual({
        'a leak fails with the report': 'failed',
        'bounded code passes': 'passed',
        '.not passes on a leak': 'passed',
      });
      const message = results.find((r) => r.title === 'a leak fails with the report')!.failureMessages[0]!;
      expect(message).toContain('leakkit: the function is not bounded');
      expect(message).toContain('pools.fixture.ts › kept');
      // The site: the fixture's own line, through vitest's source map.
      expect(message).toMatch(/site\s+\S*pools\.fixture\.ts:8:/);
    });
  }
});
