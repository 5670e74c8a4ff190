import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

// The examples of docs/heap.md import '@leakkit/core/heap' as a user would, so they run against the
// built package (`pnpm run build`, which `pnpm test` does first). Each capture is a heap snapshot of
// its own small child process: nothing of this test's heap is measured.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const built = existsSync(join(packageDir, 'dist', 'heap', 'index.js'));
const docPath = fileURLToPath(new URL('../../../docs/heap.md', import.meta.url));

let dir: string;
let blocks: string[] = [];
// Outputs in document order: later examples read the files earlier ones wrote (app.heapsnapshot).
const outputs: string[] = [];

beforeAll(async () => {
  const doc = await readFile(docPath, 'utf8');
  // A block right after `<!-- not run … -->` needs something a test cannot give it (a server's snapshots).
  blocks = [...doc.matchAll(/(<!-- not run[^>]*-->\n)?```js\n([\s\S]*?)```/g)]
    .filter((m) => m[1] === undefined)
    .map((m) => m[2]!);
  dir = await mkdtemp(join(tmpdir(), 'leakkit-heap-docs-'));
  await mkdir(join(dir, 'node_modules', '@leakkit'), { recursive: true });
  // 'junction' makes a directory link on Windows without admin rights; elsewhere it is ignored.
  await symlink(packageDir, join(dir, 'node_modules', '@leakkit', 'core'), 'junction');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!built)('docs/heap.md', () => {
  it('runs every example, in order, without an error', async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    for (const [i, code] of blocks.entries()) {
      const file = join(dir, `example-${i}.mjs`);
      await writeFile(file, code);
      const { stdout } = await run(process.execPath, ['--no-warnings', file], { cwd: dir, timeout: 60_000 });
      outputs.push(stdout);
    }
  }, 180_000);

  it('names the variable of an ES module suspended in a top-level await, captured in-process', async () => {
    // The module body is a suspended generator while it awaits captureHeap(): `seen`, which no
    // closure captures, lives in its registers (their names are not in the snapshot), reachable only
    // through V8's module machinery; the inspector's own handles must not win.
    const code = [
      "import { captureHeap, findGrowth } from '@leakkit/core/heap';",
      'const seen = new Map();',
      'const series = [];',
      'let n = 0;',
      'for (let s = 0; s < 4; s++) {',
      "  for (let i = 0; i < 500; i++) seen.set('k' + n++, { n });",
      '  series.push(await captureHeap());',
      '}',
      'const [top] = findGrowth(series);',
      'console.log(top.path, top.countPerStep);',
    ].join('\n');
    const file = join(dir, 'suspended.mjs');
    await writeFile(file, code);
    const { stdout } = await run(process.execPath, ['--no-warnings', file], { cwd: dir, timeout: 60_000 });
    expect(stdout.trim()).toBe('suspended.mjs › <top-level variable> 500');
  }, 60_000);

  it('prints what the comments next to the examples say', () => {
    const all = outputs.join('\n');
    expect(all).toContain('TimerMetrics.timers map 1000');
    expect(all).toContain('Sessions.live.get(<number>)');
    expect(all).toMatch(/TimerMetrics\.timers file:\/\/\/.*example-\d+\.mjs 3/);
    expect(all).toContain('DbTimings.timings.get("db")');
    expect(all).toMatch(/DbTimings\.timings\.get\(<string #[0-9a-f]{6}>\)/);
    expect(all).toContain('Report.current.rows');
    expect(all).toMatch(/example-\d+\.mjs › makeTracker\(\) › seen map 500 string/);
    expect(all).toContain('ERR_LEAKKIT_BAD_SNAPSHOT 1');
  });
});

describe.skipIf(!built)('examples/heap-growth.mjs', () => {
  it('names TimerMetrics.timers as what keeps growing', async () => {
    const demo = fileURLToPath(new URL('../../../examples/heap-growth.mjs', import.meta.url));
    const { stdout } = await run(process.execPath, ['--no-warnings', demo], { timeout: 60_000 });
    expect(stdout).toContain('TimerMetrics.timers.get("POST /predict")');
    expect(stdout).toContain('TimerMetrics.timers.get("GET /health")');
    expect(stdout).toMatch(/TimerMetrics\.timers\.get\("POST \/predict"\)\[\d+\]/);
    expect(stdout).toContain('6000 Timing objects new and alive, 0 freed');
  });
});
