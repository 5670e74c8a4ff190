import type { HeapDiffGroup } from '@leakkit/core/heap';
import { diffHeaps } from '@leakkit/core/heap';
import { integerOption, parseCommand } from '../args.js';
import { exitCodes, usageError } from '../exit.js';
import { bytes, count, table } from '../format.js';
import type { Io } from '../io.js';
import { println } from '../io.js';
import { checkInput, loadHeapGraphs } from '../load.js';
import { createProgress } from '../progress.js';

export const diffHelp = `Usage: leakkit diff [options] <old.heapsnapshot> <new.heapsnapshot>

Compares two heap snapshots of one process, object by object (V8's object ids are stable within a
process): per constructor, the objects new since the old snapshot and still alive, those freed,
and the change in count and size. DevTools' Comparison view.

Options:
  --json         Machine-readable output on stdout.
  --limit <n>    Constructors to list, largest size change first (default 20; 0 lists all).
  -h, --help     Show this help.

Exit codes: 0 done, 2 usage error, 3 an input cannot be used. diff reports; it does not judge:
use \`leakkit analyze\` on three or more snapshots for findings and a failing exit code.

Example:
  leakkit diff before.heapsnapshot after.heapsnapshot --limit 10`;

type GroupRow = Omit<HeapDiffGroup, 'addedIds' | 'removedIds'>;

export async function diff(io: Io, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('diff', {
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    println(io.stdout, diffHelp);
    return exitCodes.ok;
  }
  const limit = integerOption('diff', 'limit', values.limit, 20);
  if (positionals.length !== 2) {
    throw usageError(
      `expected two heap snapshots, old then new, got ${positionals.length}${
        positionals.length > 2 ? '; for a series, run `leakkit analyze`' : ''
      }`,
      'diff',
    );
  }
  const files = [
    await checkInput(io, positionals[0]!, 'heap', 'diff'),
    await checkInput(io, positionals[1]!, 'heap', 'diff'),
  ];
  const [before, after] = await loadHeapGraphs(files, createProgress(io.stderr));
  const result = diffHeaps(before!, after!, { maxIdsPerGroup: 0 });
  const groups: GroupRow[] = result.groups.map(({ addedIds: _a, removedIds: _r, ...rest }) => rest);
  const shown = limit === 0 ? groups : groups.slice(0, limit);

  if (values.json) {
    println(
      io.stdout,
      JSON.stringify(
        { command: 'diff', old: files[0]!.name, new: files[1]!.name, totals: result.totals, groups: shown },
        null,
        2,
      ),
    );
    return exitCodes.ok;
  }
  const t = result.totals;
  println(
    io.stdout,
    `${files[0]!.name} → ${files[1]!.name}`,
    `  ${count(t.added)} new, ${count(t.removed)} freed, ${count(t.surviving)} surviving: ` +
      `${count(t.countDelta, true)} objects, ${bytes(t.sizeDelta, true)}`,
    '',
  );
  if (shown.length === 0) {
    println(io.stdout, 'No object was added or freed between the two snapshots.');
    return exitCodes.ok;
  }
  for (const line of table(
    ['Constructor', '# New', '# Deleted', '# Delta', 'Alloc. Size', 'Freed Size', 'Size Delta'],
    shown.map((g) => [
      g.name,
      count(g.added),
      count(g.removed),
      count(g.countDelta, true),
      bytes(g.addedSize),
      bytes(g.removedSize),
      bytes(g.sizeDelta, true),
    ]),
  )) {
    println(io.stdout, line);
  }
  if (groups.length > shown.length) {
    println(
      io.stdout,
      `… ${groups.length - shown.length} more constructors changed (--limit 0 lists them all)`,
    );
  }
  if (t.surviving === 0 && t.removed > 0 && t.added > 0) {
    println(
      io.stderr,
      'leakkit diff: warning: no object survived from the old snapshot to the new one: are they of the same process? Object ids are only comparable within one process.',
    );
  }
  return exitCodes.ok;
}
