import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DetectorFailure, Finding } from '@leakkit/core';
import { createDetectorContext, runDetectors } from '@leakkit/core';
import type { Growth, HeapGraph } from '@leakkit/core/heap';
import { findGrowth, growthUnit } from '@leakkit/core/heap';
import { choiceOption, integerOption, parseCommand } from '../args.js';
import type { Baseline } from '../baseline.js';
import { baselineOf, DEFAULT_BASELINE, readBaseline, writeBaseline } from '../baseline.js';
import { bundledDetectors } from '../detectors.js';
import { exitCodes, usageError } from '../exit.js';
import { bytes, count, percent } from '../format.js';
import { growthDetector } from '../growth-detector.js';
import type { Io } from '../io.js';
import { println } from '../io.js';
import type { InputFile } from '../load.js';
import { checkInput, loadHeapGraphs } from '../load.js';
import { createProgress } from '../progress.js';

export const analyzeHelp = `Usage: leakkit analyze [options] <a.heapsnapshot> <b.heapsnapshot> <c.heapsnapshot> [...]

Loads three or more heap snapshots of one process, oldest first, and prints what keeps growing
across them (with the path that keeps it alive and its retained size) and the detectors' findings.

Options:
  --json                 Machine-readable output on stdout.
  --baseline <file>      Findings listed in this file are accepted: they are shown but do not fail.
  --update-baseline      Write the current findings to the baseline file (default
                         ${DEFAULT_BASELINE}) and exit 0.
  --fail-on <severity>   Exit 1 on a new finding of at least this severity: leak (default) or warning.
  --limit <n>            Growing objects to list (default 10; 0 lists all that were found).
  --strings              Print Map keys' contents in the growth list (by default a short hash: keys
                         may be secrets). Findings and the baseline always use the hash.
  -h, --help             Show this help.

Exit codes: 0 no new leak, 1 new leaks found, 2 usage error, 3 an input cannot be used.

Take the snapshots with \`node --heapsnapshot-signal=SIGUSR2 app.js\` and \`kill -USR2 <pid>\`
between rounds of load, or with v8.writeHeapSnapshot(). Object ids are stable only within one
process: all the snapshots must come from the same run.

Example:
  leakkit analyze Heap.*.heapsnapshot --baseline leakkit-baseline.json`;

/** One growing object as printed and as in `--json`. */
interface GrowthRow {
  path: string;
  kind: Growth['kind'];
  name: string;
  unit: Growth['unit'];
  counts: number[];
  countPerStep: number;
  bytesPerStep: number;
  share: number;
  retainedSize: number | null;
  match: Growth['match'];
  nodeId: number;
  keys?: Growth['keys'];
  /** For a chain: how each element holds the last. */
  link?: string;
  file?: string;
  line?: number;
}

export async function analyze(io: Io, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('analyze', {
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      baseline: { type: 'string' },
      'update-baseline': { type: 'boolean' },
      'fail-on': { type: 'string' },
      limit: { type: 'string' },
      strings: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    println(io.stdout, analyzeHelp);
    return exitCodes.ok;
  }
  const failOn = choiceOption('analyze', 'fail-on', values['fail-on'], ['leak', 'warning'], 'leak');
  const limit = integerOption('analyze', 'limit', values.limit, 10);
  if (positionals.length < 3) {
    throw usageError(
      positionals.length === 0
        ? 'expected three or more heap snapshots of one process, oldest first'
        : `expected three or more heap snapshots of one process (growth is a trend), got ${positionals.length}${
            positionals.length === 2 ? '; to compare two, run `leakkit diff old new`' : ''
          }`,
      'analyze',
    );
  }
  const baselineName = values.baseline ?? (values['update-baseline'] ? DEFAULT_BASELINE : undefined);

  const seen = new Set<string>();
  for (const name of positionals) {
    const path = resolve(io.cwd, name);
    if (seen.has(path)) {
      throw usageError(
        `${name} is given twice: the snapshots must be different moments of one process`,
        'analyze',
      );
    }
    seen.add(path);
  }
  // Every input is checked before the first (possibly long) parse.
  const files: InputFile[] = [];
  for (const name of positionals) files.push(await checkInput(io, name, 'heap'));
  const baseline =
    values.baseline !== undefined && !values['update-baseline']
      ? await readBaseline(io, values.baseline)
      : undefined;
  // Updating keeps the notes of the file it replaces; a file that is there but unreadable is an
  // error rather than something to overwrite.
  const previous =
    values['update-baseline'] && existsSync(resolve(io.cwd, baselineName!))
      ? await readBaseline(io, baselineName!)
      : undefined;

  const graphs = await loadHeapGraphs(files, createProgress(io.stderr));
  // Detectors (and so finding ids, titles and the baseline) always see keys hashed: ids stay the
  // same with or without --strings, and no key's contents ends up in a committed baseline.
  // At least 50 for the detectors, whatever is printed; --limit 0 prints everything found.
  const wanted = limit === 0 ? Number.MAX_SAFE_INTEGER : Math.max(limit, 50);
  const growth = findGrowth(graphs, { limit: wanted });
  const shownGrowth = values.strings ? findGrowth(graphs, { strings: true, limit: wanted }) : growth;
  const last = graphs[graphs.length - 1]!;
  const rows = shownGrowth.map((g) => growthRow(g, last));

  // Only `check` runs: `setup` installs hooks in a live program (timers, gauges), and the program
  // here is long gone; the snapshots are the evidence.
  const detectors = [growthDetector(), ...(io.detectors ?? bundledDetectors())];
  const context = createDetectorContext({ heap: { graphs, growth } });
  const { findings, failures } = await runDetectors(detectors, context, { timeout: '5m' });
  findings.sort(bySeverity);

  if (values['update-baseline']) {
    await writeBaseline(io, baselineName!, baselineOf(findings, previous));
    if (values.json) {
      println(
        io.stdout,
        JSON.stringify({ command: 'analyze', baseline: { file: baselineName, written: findings.length } }),
      );
    } else {
      println(
        io.stdout,
        `Wrote ${findings.length} accepted finding${findings.length === 1 ? '' : 's'} to ${baselineName}.`,
      );
    }
    reportFailures(io, failures);
    return exitCodes.ok;
  }

  const accepted = new Set(baseline?.findings.map((f) => f.id));
  const isNew = (f: Finding) => !accepted.has(f.id);
  const failing = findings.filter(
    (f) => isNew(f) && (f.severity === 'leak' || (failOn === 'warning' && f.severity === 'warning')),
  );
  const exitCode = failing.length > 0 ? exitCodes.leaks : exitCodes.ok;
  const found = new Set(findings.map((f) => f.id));
  const stale = baseline?.findings.filter((f) => !found.has(f.id)).map((f) => f.id) ?? [];

  if (values.json) {
    const output = {
      command: 'analyze',
      snapshots: files.map((f, i) => ({
        file: f.name,
        nodes: graphs[i]!.nodeCount,
        edges: graphs[i]!.edgeCount,
        selfSize: totalSelfSize(graphs[i]!),
      })),
      growth: limit === 0 ? rows : rows.slice(0, limit),
      findings: findings.map((f) => ({ ...f, accepted: !isNew(f) })),
      failures: failures.map((f) => ({
        detector: f.detector,
        phase: f.phase,
        code: f.error.code,
        message: f.error.message,
      })),
      baseline:
        baseline === undefined
          ? null
          : { file: values.baseline, accepted: findings.filter((f) => !isNew(f)).map((f) => f.id), stale },
      exitCode,
    };
    println(io.stdout, JSON.stringify(output, null, 2));
  } else {
    printReport(io, files, graphs, rows, limit, findings, isNew, baseline, values.baseline, stale, failing);
  }
  reportFailures(io, failures);
  return exitCode;
}

const SEVERITY_RANK = { leak: 0, warning: 1, info: 2 } as const;

function bySeverity(a: Finding, b: Finding): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.confidence - a.confidence;
}

function growthRow(g: Growth, last: HeapGraph): GrowthRow {
  let retainedSize: number | null = null;
  try {
    retainedSize = last.retainedSize(g.nodeId);
  } catch {
    // Only the retained size is lost: the node is the last graph's by construction.
  }
  const row: GrowthRow = {
    path: g.path,
    kind: g.kind,
    name: g.name,
    unit: g.unit,
    counts: g.counts,
    countPerStep: g.countPerStep,
    bytesPerStep: g.bytesPerStep,
    share: g.share,
    retainedSize,
    match: g.match,
    nodeId: g.nodeId,
  };
  if (g.keys !== undefined) row.keys = g.keys;
  if (g.link !== undefined) row.link = g.link;
  if (g.file !== undefined) row.file = g.file;
  if (g.line !== undefined) row.line = g.line;
  return row;
}

function totalSelfSize(graph: HeapGraph): number {
  const sizes = graph.data.nodeSelfSize;
  let total = 0;
  for (let i = 0; i < sizes.length; i++) total += sizes[i]!;
  return total;
}

function kindText(row: GrowthRow): string {
  if (row.kind === 'chain' && row.name === 'Promise')
    return `chain of the async function's promises, each call returning the next (\`${row.link ?? 'return f()'}\`)`;
  if (row.kind === 'chain')
    return `chain of ${row.name || 'objects'}${row.link ? ` linked by \`${row.link}\`` : ''}`;
  const name = row.kind === 'string' ? 'String' : row.name;
  return row.keys === undefined ? name : `${name} with ${row.keys} keys`;
}

function printReport(
  io: Io,
  files: readonly InputFile[],
  graphs: readonly HeapGraph[],
  rows: readonly GrowthRow[],
  limit: number,
  findings: readonly Finding[],
  isNew: (f: Finding) => boolean,
  baseline: Baseline | undefined,
  baselineName: string | undefined,
  stale: readonly string[],
  failing: readonly Finding[],
): void {
  const out = io.stdout;
  println(out, `${files.length} heap snapshots, oldest first:`);
  const width = Math.max(...files.map((f) => f.name.length));
  let previous: number | undefined;
  files.forEach((f, i) => {
    const size = totalSelfSize(graphs[i]!);
    const delta = previous === undefined ? '' : `  (${bytes(size - previous, true)})`;
    println(
      out,
      `  ${f.name.padEnd(width)}  ${bytes(size)} in ${count(graphs[i]!.nodeCount)} objects${delta}`,
    );
    previous = size;
  });
  println(out, '');

  const shown = limit === 0 ? rows : rows.slice(0, limit);
  if (shown.length === 0) {
    println(out, 'Nothing keeps growing across these snapshots.');
  } else {
    println(out, "What keeps growing, largest share of the heap's growth first:");
    shown.forEach((row, i) => {
      const per =
        row.unit === 'bytes'
          ? bytes(row.countPerStep, true)
          : `${count(row.countPerStep, true)} ${row.kind === 'chain' ? growthUnit(row)[1] : 'entries'}`;
      const retained = row.retainedSize === null ? '' : `, retains ${bytes(row.retainedSize)}`;
      println(
        out,
        `  ${i + 1}. ${row.path}`,
        `     ${kindText(row)}: ${per} per snapshot (${bytes(row.bytesPerStep, true)}), ${percent(row.share)} of the growth${retained}`,
      );
      if (row.file !== undefined)
        println(out, `     defined at ${row.file}${row.line === undefined ? '' : `:${row.line}`}`);
    });
    if (rows.length > shown.length) {
      println(out, `  … ${rows.length - shown.length} more (--limit 0 lists them all)`);
    }
  }
  println(out, '');

  if (findings.length === 0) {
    println(out, 'Findings: none.');
  } else {
    println(out, 'Findings:');
    const pad = Math.max(...findings.map((f) => f.severity.length));
    for (const f of findings) {
      const tag = isNew(f) ? '' : ' (accepted by the baseline)';
      println(out, `  ${f.severity.padEnd(pad)}  ${f.title}${tag}`);
      const indent = ' '.repeat(pad + 4);
      if (f.path !== undefined) println(out, `${indent}path: ${f.path}`);
      if (f.site !== undefined) println(out, `${indent}site: ${f.site.file}:${f.site.line}`);
      println(out, `${indent}advice: ${f.advice}`);
      println(out, `${indent}${f.detector}, confidence ${f.confidence.toFixed(2)}, id ${f.id}`);
    }
  }
  if (baseline !== undefined) {
    const acceptedCount = findings.filter((f) => !isNew(f)).length;
    println(
      out,
      '',
      `Baseline ${baselineName}: ${acceptedCount} of ${findings.length} finding${findings.length === 1 ? '' : 's'} accepted.`,
    );
    if (stale.length > 0) {
      println(out, `  No longer found (fixed?): ${stale.join(', ')}. Drop them with --update-baseline.`);
    }
  }
  println(out, '');
  if (failing.length === 0) {
    const warnings = findings.filter((f) => isNew(f) && f.severity === 'warning').length;
    println(
      out,
      (baseline !== undefined && findings.length > 0 ? 'No new leak.' : 'No leak found.') +
        (warnings === 0
          ? ''
          : ` ${warnings} warning${warnings === 1 ? '' : 's'} (--fail-on warning fails on them).`),
    );
  } else {
    const what = failing.every((f) => f.severity === 'leak') ? 'leak' : 'finding';
    println(
      out,
      `${failing.length} ${baseline === undefined ? '' : 'new '}${what}${failing.length === 1 ? '' : 's'} found (exit code 1).`,
    );
  }
}

function reportFailures(io: Io, failures: readonly DetectorFailure[]): void {
  for (const f of failures) println(io.stderr, `leakkit analyze: warning: ${f.error.message}`);
}
