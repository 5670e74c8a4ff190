import { basename } from 'node:path';
import { bytes } from './format.js';
import type { OutputStream } from './io.js';

/** Options of {@link createProgress}. @internal */
export interface ProgressOptions {
  /** The clock, in ms. */
  now?: () => number;
  /** Least time between two draws, in ms; also the delay before the first one. */
  interval?: number;
}

/** A progress bar for reading files, drawn on one terminal line. @internal */
export interface Progress {
  /** Starts a file: `label` names it (`2/3 b.heapsnapshot`). */
  begin(file: string, index: number, total: number): void;
  /** Bytes read so far of the current file. */
  update(bytesRead: number, totalBytes: number): void;
  /** Clears the line (a bar never stays behind in the output). */
  done(): void;
}

const NOOP: Progress = { begin() {}, update() {}, done() {} };

/**
 * A progress bar on `stream` when it is a terminal, nothing otherwise (a log file or CI output
 * gets no carriage returns). Draws are throttled to one per `interval` and the first waits that
 * long too, so a file read in less time never shows a bar: only big files do.
 */
export function createProgress(stream: OutputStream, options: ProgressOptions = {}): Progress {
  if (stream.isTTY !== true) return NOOP;
  const now = options.now ?? (() => performance.now());
  const interval = options.interval ?? 150;
  let label = '';
  let started = 0;
  let lastDraw = 0;
  let drawn = false;
  return {
    begin(file, index, total) {
      label = total > 1 ? `${index + 1}/${total} ${basename(file)}` : basename(file);
      started = now();
      lastDraw = started;
    },
    update(bytesRead, totalBytes) {
      const t = now();
      if (t - lastDraw < interval || t - started < interval) return;
      lastDraw = t;
      const share = totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : 0;
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - label.length - 40));
      const full = Math.round(share * width);
      const bar = `${'#'.repeat(full)}${'-'.repeat(width - full)}`;
      const text = `reading ${label} [${bar}] ${Math.floor(share * 100)}% ${bytes(bytesRead)} / ${bytes(totalBytes)}`;
      // \r then clear to the end of the line: the previous draw may have been longer.
      stream.write(`\r${text}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
