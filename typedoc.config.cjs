// The API reference (`pnpm run docs:api` → docs/api, generated, not committed), from the TSDoc
// comments of every public entry point of every package. The entries are read from each
// package.json's `exports` (`./dist/heap/index.js` → `src/heap/index.ts`), so a new package or
// subpath is documented without touching this file; each module is named by its import specifier
// (`@leakkit/core/heap`) by the small plugin in scripts/typedoc-module-names.mjs. CommonJS, so the
// config needs no default export.
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const entries = [];
for (const dir of readdirSync('packages').sort()) {
  const manifest = join('packages', dir, 'package.json');
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const file = typeof target === 'string' ? target : target.default;
    if (typeof file !== 'string' || !file.startsWith('./dist/') || !file.endsWith('.js')) continue;
    const source = join('packages', dir, file.replace('./dist/', 'src/').replace(/\.js$/, '.ts'));
    // A package being written may not have its sources yet: documented once they exist.
    if (!existsSync(source)) continue;
    entries.push({ source, name: pkg.name + subpath.slice(1) });
  }
}

/** @type {Partial<import('typedoc').TypeDocOptions> & { leakkitModuleNames: Record<string, string> }} */
module.exports = {
  name: 'leakkit',
  entryPoints: entries.map((e) => e.source),
  entryPointStrategy: 'resolve',
  tsconfig: 'tsconfig.json',
  // `pnpm run typecheck` checks the types; the reference only reads them.
  skipErrorChecking: true,
  out: 'docs/api',
  readme: 'none',
  plugin: ['./scripts/typedoc-module-names.mjs'],
  leakkitModuleNames: Object.fromEntries(entries.map((e) => [e.source, e.name])),
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  // Sources are linked by path; no git revision in the output, so a rebuild is reproducible.
  disableSources: true,
  githubPages: false,
  hideGenerator: true,
  validation: { notExported: true, invalidLink: true, notDocumented: false },
  logLevel: 'Warn',
};
