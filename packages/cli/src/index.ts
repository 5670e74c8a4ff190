export type { Baseline, BaselineEntry } from './baseline.js';
export type { ExitCode } from './exit.js';
export { exitCodes } from './exit.js';
export type { OutputStream, RunOptions } from './io.js';
export { run } from './run.js';
