import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LeakkitError, Snapshot } from '@leakkit/core';
import { HeapGraph } from '@leakkit/core/heap';
import { CliError, exitCodes } from './exit.js';
import type { Io } from './io.js';
import type { Progress } from './progress.js';

/** What a file looks like from its first bytes. */
type FileKind = 'heap' | 'dump' | 'unknown';

/** An input file: the name as the user wrote it (for messages) and its resolved path. */
export interface InputFile {
  name: string;
  path: string;
  size: number;
}

const SNIFF_BYTES = 256;

function inputError(code: string, message: string, hint?: string): CliError {
  return new CliError(exitCodes.input, message, hint, code);
}

const FILE = 'ERR_LEAKKIT_FILE';
const BAD_SNAPSHOT = 'ERR_LEAKKIT_BAD_SNAPSHOT';
const BAD_DUMP = 'ERR_LEAKKIT_BAD_DUMP';

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks that `name` is a readable regular file of the `expected` kind, before any long parse
 * starts: a typo in the last of five multi-GB snapshots fails at once, not after minutes.
 * @throws CliError exit code 3 with a message naming the file.
 */
export async function checkInput(
  io: Io,
  name: string,
  expected: 'heap' | 'dump',
  command: 'analyze' | 'diff' = 'analyze',
): Promise<InputFile> {
  const path = resolve(io.cwd, name);
  let size: number;
  try {
    const s = await stat(path);
    if (s.isDirectory()) {
      throw inputError(
        FILE,
        `${name}: is a directory, expected ${expected === 'heap' ? 'a .heapsnapshot file' : 'an allocation dump (.json)'}`,
        expected !== 'heap'
          ? undefined
          : command === 'diff'
            ? 'Pass two files, the older first: `leakkit diff old.heapsnapshot new.heapsnapshot`.'
            : `Pass the files themselves, oldest first: \`leakkit analyze ${name}/*.heapsnapshot\`.`,
      );
    }
    size = s.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw inputError(FILE, `${name}: ${reasonOf(error)}`);
  }
  let head = '';
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(SNIFF_BYTES, size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw inputError(FILE, `${name}: ${reasonOf(error)}`);
  }
  const kind = sniff(head);
  if (expected === 'heap' && kind === 'dump') {
    throw inputError(
      BAD_SNAPSHOT,
      `${name}: is a leakkit allocation dump, not a heap snapshot`,
      'Compare two allocation dumps with `leakkit top old.json new.json`.',
    );
  }
  if (expected === 'dump' && kind === 'heap') {
    throw inputError(
      BAD_DUMP,
      `${name}: is a V8 heap snapshot, not a leakkit allocation dump`,
      'Compare heap snapshots with `leakkit diff old new`, or a series with `leakkit analyze a b c`.',
    );
  }
  return { name, path, size };
}

/** A heap snapshot starts with `{"snapshot":`; a tracing dump names its format first. */
function sniff(head: string): FileKind {
  if (/^\s*\{\s*"snapshot"\s*:/.test(head)) return 'heap';
  if (/"format"\s*:\s*"leakkit-tracing-snapshot"/.test(head)) return 'dump';
  return 'unknown';
}

/**
 * Turns core's errors about an input into exit code 3, naming the file as the user wrote it;
 * anything else goes on as is.
 */
function asInputError(error: unknown, file: InputFile | undefined): unknown {
  if (
    error instanceof LeakkitError &&
    (error.code === 'ERR_LEAKKIT_BAD_SNAPSHOT' ||
      error.code === 'ERR_LEAKKIT_BAD_DUMP' ||
      error.code === 'ERR_LEAKKIT_FILE')
  ) {
    const message = file === undefined ? error.message : error.message.replaceAll(file.path, file.name);
    return inputError(error.code, message);
  }
  return error;
}

/** Parses heap snapshots one after the other, with a progress bar per file. */
export async function loadHeapGraphs(files: readonly InputFile[], progress: Progress): Promise<HeapGraph[]> {
  const graphs: HeapGraph[] = [];
  let current: InputFile | undefined;
  try {
    for (const [i, file] of files.entries()) {
      current = file;
      progress.begin(file.name, i, files.length);
      graphs.push(
        await HeapGraph.fromFile(file.path, {
          onProgress: ({ bytesRead, totalBytes }) => progress.update(bytesRead, totalBytes ?? file.size),
        }),
      );
      progress.done();
    }
  } catch (error) {
    progress.done();
    throw asInputError(error, current);
  }
  return graphs;
}

/** Reads a tracing dump written by `snapshot.dump(path)`. */
export function loadDump(file: InputFile): Snapshot {
  try {
    return Snapshot.load(file.path);
  } catch (error) {
    throw asInputError(error, file);
  }
}
