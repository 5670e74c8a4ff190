import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { isOwn, scriptPath } from '../tracing/source.js';

// The nearest package.json above a directory (its name and folder), by directory (bounded: a
// long-running monitor sees a bounded set of source files, but a cap keeps it so whatever the
// program loads).
const packageOf = new Map<string, { name: string; dir: string } | null>();
const MAX_DIRS = 2048;
// leakkit's packages: core and its plugins (not an application that happens to use the scope).
const LEAKKIT_PACKAGE = /^@leakkit\/(core|cli|vitest|detector-[\w.-]+|reporter-[\w.-]+)$/;

function nearestPackage(dir: string): { name: string; dir: string } | null {
  const known = packageOf.get(dir);
  if (known !== undefined) return known;
  let found: { name: string; dir: string } | null;
  try {
    const pkg = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')) as { name?: unknown };
    found = { name: typeof pkg.name === 'string' ? pkg.name : '', dir };
  } catch {
    const parent = dirname(dir);
    found = parent === dir ? null : nearestPackage(parent);
  }
  if (packageOf.size >= MAX_DIRS) packageOf.clear();
  packageOf.set(dir, found);
  return found;
}

/**
 * Whether a file belongs to leakkit itself: core (its own objects and allocations are the monitor's,
 * not the program's) or a leakkit plugin (`@leakkit/detector-timers` working on heap graphs). Takes
 * a path as frames show it (relative to the working directory), an absolute path or a `file://` URL.
 */
export function isLeakkitFile(file: string): boolean {
  if (file.startsWith('file://') && isOwn(file)) return true;
  const path = file.startsWith('file://')
    ? scriptPath(file)
    : isAbsolute(file)
      ? file
      : resolve(process.cwd(), file);
  if (path === undefined) return false;
  if (isOwn(path)) return true;
  const pkg = nearestPackage(dirname(path));
  if (pkg === null || !LEAKKIT_PACKAGE.test(pkg.name)) return false;
  // The package's code, not a test or an example that lives beside it.
  const rel = relative(pkg.dir, path);
  return rel.startsWith(`dist${sep}`) || rel.startsWith(`src${sep}`);
}
