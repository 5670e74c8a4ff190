import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every code sample of the docs runs: docs/*.md, the README and the packages' READMEs. The rules
// are the ones docs/README.md states under "How the samples are tested":
//
// - a `js`/`mjs`, `cjs` or `ts` block runs as a program of its own (TypeScript with its types
//   stripped), in a child process, and must exit 0;
// - `ts test` (or `js test`) is a vitest test file, run by vitest in a child process;
// - `file=<name>` writes the block under that name next to the other samples of its document, so
//   a later block can import it (`./listeners-detector.js`); it is run too;
// - `skip` is a fragment (it uses names from the surrounding text); `sh`, `console`, `text`, `json`
//   and unlabelled blocks are commands and output listings: none of these run.
//
// Samples import `@leakkit/*` as users do, so they run against the built packages (`pnpm run build`,
// which `pnpm test` runs first), copied as npm would publish them into a folder of the run inside
// the repository (.tmp/, git-ignored); other imports (prom-client, ajv) resolve from the workspace.

const root = fileURLToPath(new URL('../../../', import.meta.url));
// One folder per run: two runs at once (two Node versions, two people) must not share files.
const work = join(root, '.tmp', `docs-samples-${process.pid}`);

// docs/heap.md's `js` blocks depend on each other (later ones read the files earlier ones write)
// and their printed output is checked: packages/core/test/heap-docs.test.ts runs them, in order.
const RUN_ELSEWHERE: Record<string, { langs: string[]; by: string }> = {
  'docs/heap.md': { langs: ['js'], by: 'packages/core/test/heap-docs.test.ts' },
};

const RUN_LANGS: Record<string, 'mjs' | 'cjs' | 'ts'> = {
  js: 'mjs',
  mjs: 'mjs',
  javascript: 'mjs',
  cjs: 'cjs',
  ts: 'ts',
  mts: 'ts',
  typescript: 'ts',
};

interface Block {
  doc: string;
  line: number;
  lang: string;
  attrs: string[];
  code: string;
}

/** Fenced code blocks of a Markdown document (backticks or tildes, indented ones in lists too). */
function extractBlocks(doc: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})\s*([^`]*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const [lang = '', ...attrs] = info.trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ *${fence[0]}{${fence.length},}\\s*$`).exec(lines[j]!);
      if (close) break;
      const l = lines[j]!;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
    }
    blocks.push({ doc, line: i + 1, lang: lang.toLowerCase(), attrs, code: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}

const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
  ...readdirSync(join(root, 'packages'))
    .sort()
    .map((p) => `packages/${p}/README.md`)
    .filter((f) => existsSync(join(root, f))),
];

const blocks = documents.flatMap((doc) => extractBlocks(doc, readFileSync(join(root, doc), 'utf8')));

type Plan =
  | { run: false; why: string }
  | { run: true; kind: 'mjs' | 'cjs' | 'ts'; test: boolean; file: string | undefined };

function plan(b: Block): Plan {
  const kind = RUN_LANGS[b.lang];
  if (kind === undefined) return { run: false, why: `${b.lang || 'unlabelled'}: not code` };
  if (b.attrs.includes('skip')) return { run: false, why: 'marked skip' };
  const elsewhere = RUN_ELSEWHERE[b.doc];
  if (elsewhere?.langs.includes(b.lang)) return { run: false, why: `run by ${elsewhere.by}` };
  const unknown = b.attrs.filter((a) => a !== 'test' && !a.startsWith('file='));
  if (unknown.length > 0) throw new Error(`${b.doc}:${b.line}: unknown marker(s) ${unknown.join(' ')}`);
  const file = b.attrs.find((a) => a.startsWith('file='))?.slice(5);
  return { run: true, kind, test: b.attrs.includes('test'), file };
}

const runnable = blocks.flatMap((b) => {
  const p = plan(b);
  return p.run ? [{ block: b, plan: p }] : [];
});

interface Manifest {
  name: string;
  dir: string;
  /** What npm would publish: `files`, then package.json. */
  files: string[];
  /** The `exports` targets inside dist/: all present once the package is built. */
  targets: string[];
  /** Dependencies from the registry, resolved from the package's own node_modules. */
  deps: string[];
}

const manifests: Manifest[] = readdirSync(join(root, 'packages'))
  .sort()
  .flatMap((p) => {
    const dir = join(root, 'packages', p);
    if (!existsSync(join(dir, 'package.json'))) return [];
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      files?: string[];
      exports?: Record<string, unknown>;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const targets = Object.values(pkg.exports ?? {}).flatMap((t) => {
      const file = typeof t === 'string' ? t : (t as { default?: string }).default;
      return typeof file === 'string' && file.startsWith('./dist/') ? [file] : [];
    });
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).filter(
      (d) => !d.startsWith('@leakkit/'),
    );
    return [{ name: pkg.name, dir, files: pkg.files ?? ['dist'], targets, deps }];
  });

/** The newest modification time under `path`, ms (0 when it does not exist). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((t, entry) => Math.max(t, newest(join(path, entry))), stat.mtimeMs);
}

// Packages without a build (a bare `vitest run` before `pnpm run build`): their samples are skipped.
let unbuilt = new Set<string>();
const unbuiltAtLoad = new Set(
  manifests.filter((m) => !m.targets.every((t) => existsSync(join(m.dir, t)))).map((m) => m.name),
);
const needsUnbuilt = (code: string) =>
  [...code.matchAll(/['"](@leakkit\/[\w-]+)/g)].some((m) => unbuilt.has(m[1]!));

/**
 * Copies what each built package publishes (its `files` and package.json) into the run's own
 * node_modules, where the samples' imports resolve first, with links to the packages' registry
 * dependencies. A `pnpm run build` started meanwhile (tsup empties dist/ first) then cannot pull
 * the files from under a running sample; a build already under way is waited for.
 */
async function copyPackages(): Promise<void> {
  const modules = join(work, 'node_modules');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const before = manifests.map((m) => newest(join(m.dir, 'dist')));
    const built = manifests.filter((m) => m.targets.every((t) => existsSync(join(m.dir, t))));
    // A dist/ with some entries missing, or written in the last seconds, is a build under way.
    const building = manifests.some(
      (m, i) => (!built.includes(m) && existsSync(join(m.dir, 'dist'))) || Date.now() - before[i]! < 3000,
    );
    if (!building) {
      await rm(modules, { recursive: true, force: true });
      for (const m of built) {
        const to = join(modules, m.name);
        await mkdir(to, { recursive: true });
        for (const entry of [...m.files, 'package.json']) {
          if (existsSync(join(m.dir, entry)))
            await cp(join(m.dir, entry), join(to, entry), { recursive: true });
        }
        for (const dep of m.deps) {
          const from = join(m.dir, 'node_modules', dep);
          const link = join(modules, dep);
          if (!existsSync(from) || existsSync(link)) continue;
          await mkdir(dirname(link), { recursive: true });
          // 'junction' makes a directory link on Windows without admin rights; elsewhere it is ignored.
          await symlink(realpathSync(from), link, 'junction');
        }
      }
      const unchanged = manifests.every((m, i) => newest(join(m.dir, 'dist')) === before[i]);
      if (unchanged) {
        unbuilt = new Set(manifests.filter((m) => !built.includes(m)).map((m) => m.name));
        return;
      }
    }
    if (Date.now() > deadline) throw new Error('packages/*/dist kept changing for two minutes');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function stripTypes(code: string, fileName: string): string {
  return ts.transpileModule(code, {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      // Imports used only as types disappear, as they do for a user who compiles the sample.
      verbatimModuleSyntax: false,
    },
    reportDiagnostics: false,
  }).outputText;
}

/** The environment of a sample: the user's, without leakkit's variables or the test runner's. */
function sampleEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('LEAKKIT_') || k.startsWith('VITEST') || k === 'NODE_OPTIONS' || k === 'TEST') continue;
    if (k === 'FORCE_COLOR' || k === 'NODE_ENV') continue;
    env[k] = v;
  }
  env.NO_COLOR = '1';
  return env;
}

interface Outcome {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function exec(args: string[], cwd: string, timeout: number): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, timeout, killSignal: 'SIGKILL', env: sampleEnv(), maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: string }) | null;
        resolve({
          code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
          signal: e?.signal ?? null,
          stdout,
          stderr: e !== null && typeof e.code === 'string' ? `${stderr}\n${e.message}` : stderr,
          ms: performance.now() - t0,
        });
      },
    );
  });
}

// Two samples at a time: most are a second of Node start-up and import; the heap ones use a core.
let slots = 2;
const waiting: (() => void)[] = [];
async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (slots === 0) await new Promise<void>((resolve) => waiting.push(resolve));
  else slots--;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  }
}

const SAMPLE_TIMEOUT = 60_000;
const slug = (doc: string) => doc.replace(/\.md$/, '').replace(/[^\w-]+/g, '-');

/** Writes the blocks of `doc` marked `file=` into `dir`, TypeScript as the `.js` its imports name. */
async function writeNamedFiles(doc: string, dir: string): Promise<void> {
  for (const { block, plan: p } of runnable) {
    if (block.doc !== doc || p.file === undefined) continue;
    const isTs = p.kind === 'ts';
    const name = isTs ? p.file.replace(/\.m?ts$/, '.js') : p.file;
    await writeFile(join(dir, name), isTs ? stripTypes(block.code, p.file) : block.code);
  }
}

async function runSample(block: Block, p: Extract<Plan, { run: true }>): Promise<Outcome> {
  const dir = join(work, `${slug(block.doc)}-${block.line}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeNamedFiles(block.doc, dir);
  if (p.test) {
    // A vitest test file: vitest transforms TypeScript itself. A config of its own, so the
    // repository's vitest.config.ts (found by searching upwards; aliases to the sources) does not apply.
    const file = join(dir, p.kind === 'ts' ? 'sample.test.ts' : 'sample.test.mjs');
    await writeFile(file, block.code);
    const config = join(dir, 'vitest.config.mjs');
    await writeFile(config, `export default { test: { include: ['${basename(file)}'] } };\n`);
    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    return exec([vitest, 'run', '--root', dir, '--config', config, '--reporter', 'dot'], dir, SAMPLE_TIMEOUT);
  }
  const ext = p.kind === 'cjs' ? 'cjs' : 'mjs';
  const file = join(dir, `sample.${ext}`);
  await writeFile(file, p.kind === 'ts' ? stripTypes(block.code, 'sample.ts') : block.code);
  return exec(['--no-warnings', file], dir, SAMPLE_TIMEOUT);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const heading of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function withoutFences(markdown: string): string {
  return markdown.replace(/^ *(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, '');
}

/** The text without fenced blocks and inline code, where `[a](b)` is not a link. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

beforeAll(copyPackages, 150_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the docs samples', () => {
  it('finds the samples and a rule for every block', () => {
    expect(documents).toContain('docs/README.md');
    expect(blocks.length).toBeGreaterThan(50);
    expect(runnable.length).toBeGreaterThanOrEqual(15);
    // The rules are stated in docs/README.md, where a reader of the docs finds them.
    expect(readFileSync(join(root, 'docs', 'README.md'), 'utf8')).toContain('How the samples are tested');
    for (const doc of Object.keys(RUN_ELSEWHERE)) {
      expect(existsSync(join(root, RUN_ELSEWHERE[doc]!.by))).toBe(true);
    }
  });

  it('parses fences, info strings and markers', () => {
    const text = [
      'text',
      '```ts skip',
      'a();',
      '```',
      '- item:',
      '  ```js file=x.js',
      '  export const x = 1;',
      '  ```',
      '````md',
      '```js',
      '````',
    ].join('\n');
    const parsed = extractBlocks('t.md', text);
    expect(parsed.map((b) => [b.line, b.lang, b.attrs.join(' '), b.code])).toEqual([
      [2, 'ts', 'skip', 'a();\n'],
      [6, 'js', 'file=x.js', 'export const x = 1;\n'],
      [9, 'md', '', '```js\n'],
    ]);
    expect(plan(parsed[0]!)).toEqual({ run: false, why: 'marked skip' });
    expect(plan(parsed[1]!)).toEqual({ run: true, kind: 'mjs', test: false, file: 'x.js' });
    expect(() => plan({ ...parsed[1]!, attrs: ['skipp'] })).toThrow(/unknown marker/);
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const doc of documents) {
      const text = readFileSync(join(root, doc), 'utf8');
      for (const m of withoutCode(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
        const [file = '', hash] = target.split('#');
        const path = file === '' ? join(root, doc) : join(root, dirname(doc), decodeURIComponent(file));
        if (!existsSync(path)) {
          broken.push(`${doc}: ${target} (no such file)`);
          continue;
        }
        if (hash !== undefined && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).has(hash)) {
          broken.push(`${doc}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it.skipIf(unbuiltAtLoad.has('@leakkit/core'))(
    'runs samples against the copy of the built packages',
    async () => {
      const outcome = await withSlot(() =>
        runSample(
          {
            doc: 'self-test.md',
            line: 2,
            lang: 'js',
            attrs: [],
            code: "console.log(import.meta.resolve('@leakkit/core'));\n",
          },
          { run: true, kind: 'mjs', test: false, file: undefined },
        ),
      );
      expect(outcome.stdout.trim()).toBe(
        pathToFileURL(join(work, 'node_modules', '@leakkit', 'core', 'dist', 'index.js')).href,
      );
    },
  );

  it('rejects a sample that fails', async () => {
    const outcome = await withSlot(() =>
      runSample(
        {
          doc: 'self-test.md',
          line: 1,
          lang: 'ts',
          attrs: [],
          code: "const n: number = 1;\nthrow new Error('x' + n);\n",
        },
        { run: true, kind: 'ts', test: false, file: undefined },
      ),
    );
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('Error: x1');
  });

  it('type-checks the TypeScript samples against the public types', () => {
    // As a user's editor would: strict, NodeNext, `@leakkit/*` through the workspace's paths (the
    // sources' types, no build needed). Each sample is a module of its own, in its own folder.
    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    expect(parsed).toBeDefined();
    const files: string[] = [];
    for (const { block, plan: p } of runnable) {
      if (p.kind !== 'ts') continue;
      const dir = join(work, 'types', `${slug(block.doc)}-${block.line}`);
      mkdirSync(dir, { recursive: true });
      for (const named of runnable) {
        if (named.block.doc === block.doc && named.plan.file !== undefined && named.plan.kind === 'ts')
          writeFileSync(join(dir, named.plan.file), named.block.code);
      }
      const file = join(dir, p.file ?? (p.test ? 'sample.test.ts' : 'sample.ts'));
      writeFileSync(file, block.code);
      files.push(file);
    }
    const program = ts.createProgram(files, { ...parsed!.options, noEmit: true, incremental: false });
    const errors = files.flatMap((file) => {
      const source = program.getSourceFile(file)!;
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
        (d) => {
          const { line } = source.getLineAndCharacterOfPosition(d.start ?? 0);
          const sample = runnable.find((r) => file.includes(`${slug(r.block.doc)}-${r.block.line}`))!;
          return `${sample.block.doc}:${sample.block.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
        },
      );
    });
    expect(errors).toEqual([]);
  });

  describe('run', () => {
    const cases = runnable.map((r) => ({ name: `${r.block.doc}:${r.block.line} (${r.block.lang})`, ...r }));
    it.concurrent.for(cases)('$name', { timeout: 120_000 }, async ({ block, plan: p }, { skip }) => {
      const named = runnable.filter((r) => r.block.doc === block.doc && r.plan.file !== undefined);
      if ([block, ...named.map((r) => r.block)].some((b) => needsUnbuilt(b.code))) skip();
      const outcome = await withSlot(() => runSample(block, p));
      const where = `${block.doc}:${block.line}`;
      const detail = `${where} exited ${outcome.code ?? outcome.signal} after ${Math.round(outcome.ms)} ms\n--- stderr\n${outcome.stderr.slice(-4000)}\n--- stdout\n${outcome.stdout.slice(-2000)}\n--- sample\n${block.code}`;
      expect(outcome.code, detail).toBe(0);
    });
  });
});
