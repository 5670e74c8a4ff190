import { closeSync, openSync, writeSync } from 'node:fs';
import { invalidOption } from '../errors.js';
import type { Reporter } from './types.js';

/** The `schema` field of every line {@link jsonReporter} writes. Bumped on any incompatible change. */
export const JSON_REPORT_SCHEMA = 'leakkit.monitor/1';

/** Options of {@link jsonReporter}. */
export interface JsonReporterOptions {
  /**
   * The file to append lines to (created when missing). Without it, lines go to `stream`.
   * @defaultValue undefined
   */
  file?: string;
  /**
   * Where lines go without `file`: anything with a `write(text)` method.
   * @defaultValue process.stdout
   */
  stream?: { write(text: string): unknown };
  /**
   * Also write one line per tick (`event: 'sample'`). Off by default so a monitor running for days
   * writes a few lines, not one a minute.
   * @defaultValue false
   */
  samples?: boolean;
}

/**
 * A reporter for machines and CI: one JSON object per line (JSON Lines), each with
 * `schema: 'leakkit.monitor/1'`, an `event` (`start`, `sample`, `finding`, `resolve`, `error`,
 * `report`, `stop`), the ISO `time` and the `pid`; docs/json-schema.md documents every field, and
 * `@leakkit/core/schema/report-v1.json` is the JSON Schema of a line. Writes are
 * synchronous, so the final report reaches the file even from a `process.on('exit')` handler. `NaN`
 * and infinite numbers are written as `null`.
 *
 * @param options - see {@link JsonReporterOptions}.
 * @returns the reporter.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import { createMonitor, jsonReporter } from '@leakkit/core';
 * createMonitor({ reporters: [jsonReporter({ file: 'leakkit.jsonl' })] }).start();
 * // {"schema":"leakkit.monitor/1","event":"finding","time":"2026-…","pid":4242,"change":"new","finding":{…}}
 * ```
 */
export function jsonReporter(options: JsonReporterOptions = {}): Reporter {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  const { file, stream, samples = false } = options;
  if (file !== undefined && (typeof file !== 'string' || file === ''))
    throw invalidOption('file', 'a file path', file);
  if (stream !== undefined && (stream === null || typeof stream.write !== 'function')) {
    throw invalidOption('stream', 'an object with a write(text) method', stream);
  }
  if (typeof samples !== 'boolean') throw invalidOption('samples', 'a boolean', samples);
  let fd: number | undefined;
  const write = (event: string, payload: Record<string, unknown>) => {
    const line = `${JSON.stringify({
      schema: JSON_REPORT_SCHEMA,
      event,
      time: new Date().toISOString(),
      pid: process.pid,
      ...payload,
    })}\n`;
    if (file !== undefined) {
      fd ??= openSync(file, 'a');
      writeSync(fd, line);
    } else (stream ?? process.stdout).write(line);
  };
  const reporter: Reporter = {
    name: 'json',
    onStart: (info) => write('start', { info }),
    onFinding: (finding, change) => write('finding', { change, finding }),
    onResolve: (finding) => write('resolve', { finding }),
    onError: (error) => write('error', { code: error.code, message: error.message }),
    onReport: (report) => write('report', { report }),
    onStop: () => {
      write('stop', {});
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
  if (samples) reporter.onSample = (sample) => write('sample', { sample });
  return reporter;
}
