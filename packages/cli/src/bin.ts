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

// exitCode, not exit(): output still buffered in a pipe gets written before the process ends.
process.exitCode = await run(process.argv.slice(2));
