#!/usr/bin/env node
import { exitCodes } from './exit.js';
import { run } from './run.js';

// `leakkit … | head` closes the pipe early: stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? exitCodes.ok);
    throw error;
  });
}

// A detector's stray promise must not end the run: Node would exit with 1, which CI reads as
// "leaks found". Say what happened and let the analysis finish.
process.on('unhandledRejection', (reason) => {
  const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
  process.stderr.write(`leakkit: warning: a promise rejected and nobody handled it (a detector?): ${text}\n`);
});
// Anything thrown out of a callback is a bug: exit 4, not Node's 1 (which would read as leaks).
process.on('uncaughtException', (error) => {
  process.stderr.write(
    `leakkit: internal error: ${error.stack ?? error.message}\nThis is a bug in leakkit or a detector; please report it with the command you ran.\n`,
  );
  process.exit(exitCodes.internal);
});

// exitCode, not exit(): output still buffered in a pipe gets written before the process ends.
process.exitCode = await run(process.argv.slice(2));
