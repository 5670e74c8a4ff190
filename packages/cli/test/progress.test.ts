import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/progress.js';

const CLEAR = '\x1b[K';

function terminal(isTTY: boolean) {
  const writes: string[] = [];
  return {
    writes,
    stream: { isTTY, columns: 100, write: (s: string | Uint8Array) => writes.push(String(s)) },
  };
}

describe('createProgress()', () => {
  it('draws bytes read of the file size on a terminal, throttled, and clears its line', () => {
    let now = 0;
    const { writes, stream } = terminal(true);
    const progress = createProgress(stream, { now: () => now, interval: 100 });
    progress.begin('/data/b.heapsnapshot', 1, 3);
    progress.update(1 << 20, 8 << 20); // too soon after the start: a fast file shows no bar
    expect(writes).toEqual([]);
    now = 150;
    progress.update(2 << 20, 8 << 20);
    now = 180;
    progress.update(3 << 20, 8 << 20); // within the interval of the last draw
    now = 300;
    progress.update(8 << 20, 8 << 20);
    progress.done();
    expect(writes).toHaveLength(3);
    // Each draw: a carriage return, the text, then ESC [K (clear to the end of the line).
    const [first, second] = writes.slice(0, 2).map((w) => {
      expect(w.endsWith(CLEAR)).toBe(true);
      return w.slice(0, -CLEAR.length);
    });
    expect(first).toMatch(/^\rreading 2\/3 b\.heapsnapshot \[(#+)(-+)\] 25% 2\.0 MiB \/ 8\.0 MiB$/);
    const [, full, empty] = /\[(#+)(-+)\]/.exec(first!)!;
    expect(full!.length).toBe(Math.round(0.25 * (full!.length + empty!.length)));
    expect(second).toMatch(/^\rreading 2\/3 b\.heapsnapshot \[#+\] 100% 8\.0 MiB \/ 8\.0 MiB$/);
    // The line is cleared: no bar stays behind in the output.
    expect(writes[2]).toBe(`\r${CLEAR}`);
  });

  it('writes nothing when stderr is not a terminal', () => {
    let now = 0;
    const { writes, stream } = terminal(false);
    const progress = createProgress(stream, { now: () => now, interval: 0 });
    progress.begin('a.heapsnapshot', 0, 1);
    now = 1000;
    progress.update(1, 2);
    progress.done();
    expect(writes).toEqual([]);
  });
});

describe('loading snapshots', () => {
  it('reports every file read to its end, in order', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, rmSync, statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadHeapGraphs } = await import('../src/load.js');
    const dir = mkdtempSync(join(tmpdir(), 'leakkit-cli-progress-'));
    try {
      const files = ['a', 'b'].map((name) => {
        const path = join(dir, `${name}.heapsnapshot`);
        execFileSync(process.execPath, [
          '-e',
          `require('node:v8').writeHeapSnapshot(${JSON.stringify(path)})`,
        ]);
        return { name: `${name}.heapsnapshot`, path, size: statSync(path).size };
      });
      const events: string[] = [];
      let last = { bytesRead: 0, totalBytes: 0 };
      const graphs = await loadHeapGraphs(files, {
        begin: (file, index, total) => events.push(`begin ${file} ${index + 1}/${total}`),
        update: (bytesRead, totalBytes) => {
          expect(bytesRead).toBeGreaterThanOrEqual(last.totalBytes === totalBytes ? last.bytesRead : 0);
          last = { bytesRead, totalBytes };
          if (bytesRead === totalBytes) events.push(`end ${totalBytes}`);
        },
        done: () => events.push('done'),
      });
      expect(graphs).toHaveLength(2);
      expect(events).toEqual([
        'begin a.heapsnapshot 1/2',
        `end ${files[0]!.size}`,
        'done',
        'begin b.heapsnapshot 2/2',
        `end ${files[1]!.size}`,
        'done',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
