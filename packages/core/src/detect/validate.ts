import { fileURLToPath } from 'node:url';
import { describeValue } from '../errors.js';
import type { Finding, FindingGrowth, FindingSite, Severity } from './types.js';

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'leak'];
const GROWTH_KEYS = ['bytesPerIteration', 'objectsPerIteration', 'bytesPerMinute', 'bytes', 'count'] as const;

/** The outcome of {@link validateFinding}: a clean copy, or what is wrong. */
export type FindingValidation = { ok: true; finding: Finding } | { ok: false; problem: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * Checks that a value is a well-formed {@link Finding} and returns a clean copy of it (only the
 * contract's fields; `growth` and `site` copied, `evidence` by reference), so a detector that later
 * mutates what it returned cannot change a stored finding. A finding must say what grows (`path`
 * and/or `site`), how fast (at least one finite `growth` field), how sure (`confidence` in 0..1)
 * and what to do (`advice`).
 *
 * @param value - what a detector returned as a finding.
 * @param label - how to name it in the problem: `'finding[2]'`.
 * @returns `{ ok: true, finding }` or `{ ok: false, problem }` with an "Expected …, got `…`" message.
 *
 * @example
 * ```ts
 * import { validateFinding } from '@leakkit/core';
 * validateFinding({ id: 'x' }, 'finding[0]');
 * // { ok: false, problem: 'Expected `finding[0].detector` to be a non-empty string, got `undefined`' }
 * ```
 */
export function validateFinding(value: unknown, label = 'finding'): FindingValidation {
  const fail = (field: string, expected: string, got: unknown): FindingValidation => ({
    ok: false,
    problem: `Expected \`${label}${field}\` to be ${expected}, got \`${describeValue(got)}\``,
  });
  if (!isObject(value)) return fail('', 'a finding object', value);
  const v = value;
  for (const key of ['id', 'detector', 'title', 'advice'] as const) {
    if (!isText(v[key])) return fail(`.${key}`, 'a non-empty string', v[key]);
  }
  if (!SEVERITIES.includes(v.severity as Severity)) {
    return fail('.severity', "'info', 'warning' or 'leak'", v.severity);
  }
  if (typeof v.confidence !== 'number' || !(v.confidence >= 0 && v.confidence <= 1)) {
    return fail('.confidence', 'a number from 0 to 1', v.confidence);
  }
  if (v.path !== undefined && !isText(v.path)) return fail('.path', 'a non-empty string', v.path);
  if (v.route !== undefined && !isText(v.route)) return fail('.route', 'a non-empty string', v.route);
  let site: FindingSite | undefined;
  if (v.site !== undefined) {
    const s = v.site;
    if (!isObject(s)) return fail('.site', 'an object `{ file, line, column? }`', s);
    if (!isText(s.file)) return fail('.site.file', 'a non-empty string', s.file);
    if (typeof s.line !== 'number' || !Number.isInteger(s.line) || s.line < 1) {
      return fail('.site.line', 'a 1-based line number', s.line);
    }
    // A module's URL (`file:///app/x.mjs`, what ESM stacks give) is written as the path it names,
    // so that every finding's file reads and compares alike.
    site = { file: filePath(s.file), line: s.line };
    if (s.column !== undefined) {
      if (typeof s.column !== 'number' || !Number.isInteger(s.column) || s.column < 1) {
        return fail('.site.column', 'a 1-based column number', s.column);
      }
      site.column = s.column;
    }
  }
  if (v.path === undefined && site === undefined) {
    return fail('.path', 'what grows (a `path`, a `site` or both)', v.path);
  }
  if (!isObject(v.growth)) return fail('.growth', 'an object', v.growth);
  const growth: FindingGrowth = {};
  let rates = 0;
  for (const key of GROWTH_KEYS) {
    const g = v.growth[key];
    if (g === undefined) continue;
    if (typeof g !== 'number' || !Number.isFinite(g)) return fail(`.growth.${key}`, 'a finite number', g);
    growth[key] = g;
    rates++;
  }
  if (rates === 0)
    return fail('.growth', `an object with at least one of ${GROWTH_KEYS.join(', ')}`, v.growth);
  if (v.evidence !== undefined && !isObject(v.evidence)) return fail('.evidence', 'an object', v.evidence);

  const finding: Finding = {
    id: v.id as string,
    detector: v.detector as string,
    severity: v.severity as Severity,
    title: v.title as string,
    growth,
    confidence: v.confidence,
    advice: v.advice as string,
  };
  if (v.path !== undefined) finding.path = v.path as string;
  if (site !== undefined) finding.site = site;
  if (v.route !== undefined) finding.route = v.route as string;
  if (v.evidence !== undefined) finding.evidence = v.evidence as Record<string, unknown>;
  return { ok: true, finding };
}

/** Severity as a rank, 0..2, for comparisons and escalation. @internal */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The severity of a rank, capped at `'leak'`. @internal */
export function severityOf(rank: number): Severity {
  return SEVERITIES[Math.max(0, Math.min(SEVERITIES.length - 1, rank))]!;
}

function filePath(file: string): string {
  if (!file.startsWith('file://')) return file;
  try {
    return fileURLToPath(file);
  } catch {
    return file;
  }
}
