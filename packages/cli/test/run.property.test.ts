import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

// Whatever the command line, `run` answers with a documented exit code and a message, never an
// internal error or an exception: options, values and file names drawn from what users type,
// against a directory holding a few wrong inputs (a directory, an empty file, JSON of other kinds).
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'leakkit-cli-property-'));
  mkdirSync(join(root, 'dir'));
  writeFileSync(join(root, 'empty.heapsnapshot'), '');
  writeFileSync(join(root, 'data.json'), '{"a":[1,2]}');
  writeFileSync(join(root, 'half.heapsnapshot'), '{"snapshot":{"meta":{"node_fields":["type"');
  writeFileSync(join(root, 'dump.json'), '{"format":"leakkit-tracing-snapshot","version":1');
  writeFileSync(join(root, 'base.json'), '{"version":1,"findings":[]}');
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const file = fc.constantFrom(
  'dir',
  'empty.heapsnapshot',
  'data.json',
  'half.heapsnapshot',
  'dump.json',
  'base.json',
  'missing.heapsnapshot',
);
const option = fc.oneof(
  fc.constantFrom(
    '--json',
    '--limit',
    '--limit=3',
    '--limit=-2',
    '--key',
    'lineno',
    'traceback',
    '--cumulative',
    '--baseline',
    '--fail-on',
    'warning',
    '--strings',
    '-h',
    '--version',
    '--',
    '-x',
    'help',
  ),
  fc.string({ maxLength: 8 }),
);

describe('run()', () => {
  it('answers any command line with a documented exit code', async () => {
    const codes: number[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('analyze', 'diff', 'top', 'help', 'nope', '--help', ''),
        fc.array(file, { maxLength: 4 }),
        fc.array(option, { maxLength: 3 }),
        async (command, files, options) => {
          const args = [...files, ...options];
          const argv = command === '' ? args : [command, ...args];
          const { code, stdout, stderr } = await runCli(argv, { cwd: root });
          codes.push(code);
          expect([0, 2, 3]).toContain(code);
          if (code !== 0) {
            expect(stderr).toMatch(/^(leakkit( \w+)?: error( \[ERR_LEAKKIT_\w+\])?: .+\n|Usage: leakkit)/);
            expect(stderr).not.toMatch(/: internal error:|\n {4}at /);
            // An input that cannot be used says which kind of problem, as a code.
            if (code === 3) expect(stderr).toMatch(/^leakkit \w+: error \[ERR_LEAKKIT_\w+\]: /);
          } else {
            expect(stdout.length).toBeGreaterThan(0);
          }
        },
      ),
      { seed: 0x1eac, numRuns: 300 },
    );
    // The runs reach the inputs, not only the argument parser.
    expect(codes.filter((c) => c === 3).length).toBeGreaterThanOrEqual(10);
  });
});
