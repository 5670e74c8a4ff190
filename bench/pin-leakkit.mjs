// Pins the leakkit build a bench run measures. Other engineers rebuild packages/*/dist while a
// run is going (their test command builds); each run therefore copies packages/core/dist once,
// to out/leakkit-pinned/<stamp>/dist (its node_modules linked to the package's own), and the
// workers import that copy through LEAKKIT_DIST. Records the commit and a hash of the copy.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const coreDir = path.resolve(benchDir, '..', 'packages', 'core');

export function pinLeakkit() {
  const src = path.join(coreDir, 'dist');
  if (!fs.existsSync(path.join(src, 'index.js'))) {
    throw new Error(`no leakkit build at ${src}: run \`pnpm run build\` at the repository root first`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const root = path.join(benchDir, 'out', 'leakkit-pinned', stamp);
  fs.mkdirSync(root, { recursive: true });
  fs.cpSync(src, path.join(root, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(coreDir, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(coreDir, 'node_modules'), path.join(root, 'node_modules'));
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (!name.endsWith('.map')) hash.update(name).update(fs.readFileSync(p));
    }
  };
  walk(path.join(root, 'dist'));
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', coreDir, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['-C', coreDir, 'status', '--porcelain', '--', '.'], {
      encoding: 'utf8',
    }).trim();
    if (dirty) commit += '+uncommitted';
  } catch {}
  const info = { dist: path.join(root, 'dist'), commit, distSha256: hash.digest('hex').slice(0, 12) };
  process.env.LEAKKIT_DIST = info.dist;
  return info;
}

/** The dist directory the workers import: the pinned copy, or the live build when run alone. */
export function leakkitDist() {
  return process.env.LEAKKIT_DIST || path.join(coreDir, 'dist');
}
