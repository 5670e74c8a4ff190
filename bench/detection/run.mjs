// node run.mjs <scenarioDir> <serverFile> [--seconds 90] [--rate 300] [--env K=V ...] [--mode cli|preload] [--tag name]
// Starts the server under `leakkit watch --interval 1s` (or the preload), waits for LISTENING, runs load,
// then SIGTERMs the server. Every output line is prefixed with seconds since load start.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository's built packages (`pnpm run build` at the root): bench/ has its own install.
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const cli = join(root, 'packages/cli/dist/bin.js');
const register = join(root, 'packages/core/dist/register.js');
const a = process.argv.slice(2);
const dir = resolve(here, a[0]);
const file = a[1];
const opt = (n, d) => (a.includes(`--${n}`) ? a[a.indexOf(`--${n}`) + 1] : d);
const seconds = opt('seconds', '90');
const rate = opt('rate', '300');
const mode = opt('mode', 'cli');
const tag = opt('tag', 'default');
const interval = opt('interval', '1s');
const extraEnv = {};
a.forEach((x, i) => {
  if (x === '--env') {
    const [k, ...v] = a[i + 1].split('=');
    extraEnv[k] = v.join('=');
  }
});
const jsonl = join(dir, `${tag}.jsonl`);
const log = createWriteStream(join(dir, `${tag}.log`));
let t0 = null;
const T = () => (t0 === null ? '  pre' : ((Date.now() - t0) / 1000).toFixed(1).padStart(5));
const out = (src, chunk) => {
  for (const l of String(chunk).split('\n'))
    if (l.length) {
      const s = `[${T()}] ${src} ${l}\n`;
      log.write(s);
      process.stdout.write(s);
    }
};
const env = { ...process.env, NO_COLOR: '1', ...extraEnv };
let cmd, args;
if (mode === 'cli') {
  cmd = process.execPath;
  args = [
    cli,
    'watch',
    '--interval',
    interval,
    '--report',
    `console,json:${jsonl}`,
    ...(opt('cliargs') ? opt('cliargs').split(' ') : []),
    '--',
    'node',
    file,
  ];
} else {
  cmd = process.execPath;
  args = ['--import', register, file];
  env.LEAKKIT_INTERVAL = interval;
  env.LEAKKIT_REPORT = `console,json:${jsonl}`;
}
out('RUN', `${cmd} ${args.join(' ')}  env=${JSON.stringify(extraEnv)}`);
const srv = spawn(cmd, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
srv.stderr.on('data', (c) => out('ERR', c));
const port = await new Promise((res, rej) => {
  let buf = '';
  srv.stdout.on('data', (c) => {
    buf += c;
    out('OUT', c);
    const m = /LISTENING (\d+)/.exec(buf);
    if (m) res(Number(m[1]));
  });
  srv.on('exit', (c) => rej(new Error(`exited ${c}`)));
});
srv.stdout.on('data', (c) => out('OUT', c));
t0 = Date.now();
const load = spawn(
  process.execPath,
  [
    join(here, 'load.mjs'),
    '--port',
    String(port),
    '--seconds',
    seconds,
    '--rate',
    rate,
    '--spec',
    join(dir, 'routes.mjs'),
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
load.stdout.on('data', (c) => out('LOAD', c));
load.stderr.on('data', (c) => out('LOADERR', c));
await new Promise((r) => load.on('exit', r));
out('RUN', 'load finished; SIGTERM to watch');
srv.kill('SIGTERM');
const kill = setTimeout(() => {
  out('RUN', 'HANG: still alive 60 s after SIGTERM, SIGKILL');
  srv.kill('SIGKILL');
}, 60000);
const code = await new Promise((r) => srv.on('exit', (c, s) => r(`${c} ${s}`)));
clearTimeout(kill);
out('RUN', `exited ${code}`);
log.end();
