import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Finding, FindingSite } from '@leakkit/core';
import { CliError, exitCodes } from './exit.js';
import type { Io } from './io.js';

/** One accepted finding in a baseline file. Matched by `id`; the rest is for the people reviewing it. */
export interface BaselineEntry {
  /** The finding's id (`growth:TimerMetrics.timers`). */
  id: string;
  /** What keeps it alive, when the finding names it. */
  path?: string;
  /** Where it is allocated, when the finding names it. */
  site?: FindingSite;
  /** Free text for reviewers (leakkit ignores it). */
  note?: string;
}

/**
 * A committed file of accepted findings (`leakkit-baseline.json`): CI fails only on findings whose
 * id it does not list. Versioned: a leakkit that reads another version says so instead of guessing.
 */
export interface Baseline {
  version: 1;
  findings: BaselineEntry[];
}

/** The baseline file name when `--update-baseline` is given without `--baseline`. */
export const DEFAULT_BASELINE = 'leakkit-baseline.json';

const SHAPE = '`{ "version": 1, "findings": [{ "id": "…" }] }`';

/** A baseline that cannot be used: exit code 3, `ERR_LEAKKIT_BAD_BASELINE` unless the file itself is the problem. */
function bad(name: string, detail: string, hint?: string, code = 'ERR_LEAKKIT_BAD_BASELINE'): CliError {
  return new CliError(exitCodes.input, `${name}: ${detail}`, hint, code);
}

/**
 * Reads and checks a baseline file.
 * @throws CliError exit code 3 when it is missing, unreadable, not JSON or not a version-1 baseline.
 */
export async function readBaseline(io: Io, name: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, name), 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') {
      throw bad(
        name,
        'no such baseline file',
        'Create it from the current findings with `--update-baseline`.',
        'ERR_LEAKKIT_FILE',
      );
    }
    if (code === 'EISDIR') {
      throw bad(name, 'is a directory, expected a baseline file (JSON)', undefined, 'ERR_LEAKKIT_FILE');
    }
    throw bad(
      name,
      `cannot read it (${String(code ?? (error as Error).message)})`,
      undefined,
      'ERR_LEAKKIT_FILE',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad(name, `is not valid JSON (${(error as Error).message})`);
  }
  const record = value as { version?: unknown; findings?: unknown } | null;
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw bad(
      name,
      `expected a leakkit baseline ${SHAPE}, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  if (record.version !== 1) {
    throw bad(
      name,
      typeof record.version === 'number'
        ? `baseline version ${record.version} is not one this leakkit reads (version 1)`
        : `expected a leakkit baseline ${SHAPE}: \`version\` is missing`,
    );
  }
  if (!Array.isArray(record.findings)) {
    throw bad(name, `expected a leakkit baseline ${SHAPE}: \`findings\` is not an array`);
  }
  const findings: BaselineEntry[] = [];
  record.findings.forEach((entry: unknown, i) => {
    const id = (entry as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') {
      throw bad(name, `expected \`findings[${i}].id\` to be a non-empty string`);
    }
    findings.push(entry as BaselineEntry);
  });
  return { version: 1, findings };
}

/**
 * The baseline that accepts `findings`, sorted by id so that a change reads well in a diff. Notes
 * of `previous` entries whose finding is still there are kept.
 */
export function baselineOf(findings: readonly Finding[], previous?: Baseline): Baseline {
  const notes = new Map(previous?.findings.filter((e) => e.note !== undefined).map((e) => [e.id, e.note!]));
  const entries = findings.map((f) => {
    const entry: BaselineEntry = { id: f.id };
    const note = notes.get(f.id);
    if (note !== undefined) entry.note = note;
    if (f.path !== undefined) entry.path = f.path;
    // No title: it carries this run's numbers, and the file would change at every update.
    if (f.site !== undefined) entry.site = f.site;
    return entry;
  });
  entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { version: 1, findings: entries };
}

/** Writes `baseline` as indented JSON. @throws CliError exit code 3 when it cannot be written. */
export async function writeBaseline(io: Io, name: string, baseline: Baseline): Promise<void> {
  try {
    await writeFile(resolve(io.cwd, name), `${JSON.stringify(baseline, null, 2)}\n`);
  } catch (error) {
    throw bad(
      name,
      `cannot write the baseline (${(error as { code?: string }).code ?? (error as Error).message})`,
    );
  }
}
