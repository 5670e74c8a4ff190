// The programs of the acceptance suite (packages/core/test/fixtures/bounded), read the way the
// suite reads them: `leaks/` keep something on every call (the expected path in a `// path:`
// comment, the site on the line marked `leak-site`), `bounded/` do not.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../packages/core/test/fixtures/bounded',
);

export function programs() {
  const out = [];
  for (const kind of ['leaks', 'bounded']) {
    const dir = path.join(root, kind);
    for (const name of fs.readdirSync(dir).sort()) {
      if (!/\.(c|m)js$/.test(name)) continue;
      const file = path.join(dir, name);
      const source = fs.readFileSync(file, 'utf8');
      const line = source.split('\n').findIndex((l) => l.includes('// leak-site'));
      out.push({
        kind,
        name: name.replace(/\.(c|m)js$/, ''),
        file,
        leaks: kind === 'leaks',
        path: /^\/\/ path: (.+)$/m.exec(source)?.[1],
        line: line >= 0 ? line + 1 : undefined,
      });
    }
  }
  return out;
}

/** Whether a finding's path is the expected one (`*`: any one segment). */
export function samePath(actual, expected) {
  if (actual === undefined || expected === undefined) return false;
  const pattern = expected
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^.\\s]+');
  return new RegExp(`^${pattern}$`).test(actual);
}
