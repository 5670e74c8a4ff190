import type { Detector } from '@leakkit/core';

/** Where the CLI writes: `process.stdout` / `process.stderr` or anything with a `write`. */
export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
  /** A terminal: progress bars are drawn only there. */
  isTTY?: boolean;
  /** Terminal width, for the progress bar. */
  columns?: number;
}

/** Options of {@link run}: where it writes and what it runs with. Every field is optional. */
export interface RunOptions {
  /**
   * Results: reports, tables, JSON.
   * @default process.stdout
   */
  stdout?: OutputStream;
  /**
   * Errors, warnings and the progress bar (only when it is a TTY).
   * @default process.stderr
   */
  stderr?: OutputStream;
  /**
   * Directory relative file names are resolved against.
   * @default process.cwd()
   */
  cwd?: string;
  /**
   * Environment of the command `watch` runs (leakkit adds its own variables).
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
  /**
   * Detectors `analyze` runs on the series, after leakkit's generic growth finding.
   * @default the bundled `timers()` and `caches()`
   */
  detectors?: readonly Detector[];
}

/** {@link RunOptions} with every default filled in. @internal */
export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
  detectors: readonly Detector[] | undefined;
  /** Whether stdout/stderr are the process's own (then `watch` lets the child inherit them). */
  inherit: boolean;
}

/** Writes lines (each gets a newline). @internal */
export function println(stream: OutputStream, ...lines: string[]): void {
  for (const line of lines) stream.write(`${line}\n`);
}
