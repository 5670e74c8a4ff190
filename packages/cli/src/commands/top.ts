import type { StatisticKey } from '@leakkit/core';
import { choiceOption, integerOption, parseCommand } from '../args.js';
import { exitCodes, usageError } from '../exit.js';
import { bytes, count } from '../format.js';
import type { Io } from '../io.js';
import { println } from '../io.js';
import { checkInput, loadDump } from '../load.js';

export const topHelp = `Usage: leakkit top [options] <old.json> <new.json>

Compares two allocation snapshots dumped with \`snapshot.dump(path)\` (leakkit's tracemalloc for V8)
and prints what grew, largest size change first, the way Python's tracemalloc prints
\`snapshot.compare_to(old, 'lineno')\`.

Options:
  --key <key>     Group by lineno (default), filename, function or traceback.
  --cumulative    Count each allocation under every frame of its stack, not only the newest.
  --limit <n>     Lines to print (default 10; 0 prints all).
  --json          Machine-readable output on stdout.
  -h, --help      Show this help.

Exit codes: 0 done, 2 usage error, 3 an input cannot be used.

Example:
  leakkit top snapshot-old.json snapshot-new.json --key traceback --limit 3`;

export async function top(io: Io, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('top', {
    args: argv,
    allowPositionals: true,
    options: {
      key: { type: 'string' },
      cumulative: { type: 'boolean' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    println(io.stdout, topHelp);
    return exitCodes.ok;
  }
  const key: StatisticKey = choiceOption(
    'top',
    'key',
    values.key,
    ['lineno', 'filename', 'function', 'traceback'],
    'lineno',
  );
  const limit = integerOption('top', 'limit', values.limit, 10);
  if (positionals.length !== 2) {
    throw usageError(`expected two allocation dumps, old then new, got ${positionals.length}`, 'top');
  }
  const oldFile = await checkInput(io, positionals[0]!, 'dump');
  const newFile = await checkInput(io, positionals[1]!, 'dump');
  const older = loadDump(oldFile);
  const newer = loadDump(newFile);
  const diffs = newer.compareTo(older, key, { cumulative: values.cumulative === true });
  const shown = limit === 0 ? diffs : diffs.slice(0, limit);

  if (values.json) {
    println(
      io.stdout,
      JSON.stringify(
        {
          command: 'top',
          key,
          cumulative: values.cumulative === true,
          old: oldFile.name,
          new: newFile.name,
          total: {
            size: newer.size,
            sizeDiff: newer.size - older.size,
            count: newer.count,
            countDiff: newer.count - older.count,
          },
          diffs: shown.map((d) => ({
            file: d.traceback[0]!.file,
            line: d.traceback[0]!.line,
            ...(key === 'function' ? { functionName: d.traceback[0]!.functionName } : {}),
            ...(key === 'traceback' ? { traceback: d.traceback } : {}),
            size: d.size,
            sizeDiff: d.sizeDiff,
            count: d.count,
            countDiff: d.countDiff,
          })),
        },
        null,
        2,
      ),
    );
    return exitCodes.ok;
  }
  println(io.stdout, `[ Top ${shown.length} differences ]`);
  for (const d of shown) {
    println(io.stdout, String(d));
    if (key === 'traceback') {
      for (const f of d.traceback) {
        println(
          io.stdout,
          `    at ${f.functionName || '(anonymous)'} (${f.file}:${f.line}${f.column ? `:${f.column}` : ''})`,
        );
      }
    }
  }
  println(
    io.stdout,
    '',
    `Total: ${bytes(newer.size)} (${bytes(newer.size - older.size, true)}) in ${count(newer.count)} objects (${count(newer.count - older.count, true)})`,
  );
  return exitCodes.ok;
}
