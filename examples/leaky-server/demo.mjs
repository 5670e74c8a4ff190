// The demo: a real HTTP server with a leaking route, the leak monitor attached without touching its
// code (`node --import @leakkit/core/register`), load from a second process, and the report.
//
//   pnpm run demo          (builds the packages first), or, after a build:
//   node examples/leaky-server/demo.mjs [--seconds 60]
//
// The load stops as soon as the monitor has named the route, the path that keeps the memory and the
// line that allocates it (usually 25-40 s), or after --seconds; then the server is stopped and the
// monitor prints its report.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const maxSeconds = Number(args.includes('--seconds') ? args[args.indexOf('--seconds') + 1] : 60);
const work = mkdtempSync(join(tmpdir(), 'leakkit-demo-'));
const events = join(work, 'monitor.jsonl');
const started = Date.now();
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const say = (text) => process.stdout.write(color ? `\n\u001b[1m▸ ${text}\u001b[22m\n` : `\n▸ ${text}\n`);
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
// Two ticks a second, so that half a minute of load gives the trend and the route regression 60
// readings (production keeps the default, a tick a minute: the same readings over an hour).
const interval = process.env.LEAKKIT_INTERVAL ?? '500ms';

say('Starting examples/leaky-server/server.mjs with the leak monitor attached (no code changes):');
console.log(
  `  LEAKKIT_INTERVAL=${interval} node --import @leakkit/core/register examples/leaky-server/server.mjs`,
);
const server = spawn(process.execPath, ['--import', '@leakkit/core/register', join(here, 'server.mjs')], {
  cwd: root,
  env: {
    ...process.env,
    LEAKKIT_INTERVAL: interval,
    // A demo box can afford a longer pause per heap capture than the production default (500ms).
    LEAKKIT_MAX_PAUSE: process.env.LEAKKIT_MAX_PAUSE ?? '5s',
    LEAKKIT_REPORT: `console,json:${events}`,
    ...(color ? { FORCE_COLOR: '1' } : {}),
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
server.stderr.on('data', (chunk) => process.stdout.write(chunk));
const port = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const m = /LISTENING (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  server.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
});

say(
  `Driving load from a second process (1,200 requests/s, a mix of routes that changes every 3 s) for up to ${maxSeconds} s…`,
);
const load = spawn(
  process.execPath,
  [join(here, 'load.mjs'), '--port', String(port), '--seconds', String(maxSeconds)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let requests = 0;
load.stdout.on('data', (chunk) => {
  const last = String(chunk).trim().split('\n').pop();
  try {
    requests = JSON.parse(last).requests;
  } catch {
    // A partial line: the next one will do.
  }
});

/**
 * Whether the monitor has named the route, the path, the site and the line allocation tracing found
 * (from its JSON lines). Without the traced line for 15 s after the rest, the rest is enough.
 */
let namedAt;
function named() {
  let text = '';
  try {
    text = readFileSync(events, 'utf8');
  } catch {
    return false;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('"event":"finding"')) continue;
    const { finding } = JSON.parse(line);
    if (!(finding.path && finding.site && finding.route)) continue;
    namedAt ??= Date.now();
    if (finding.evidence?.allocation || Date.now() - namedAt > 15_000) return true;
  }
  return false;
}

const loadDone = new Promise((resolve) => load.on('exit', resolve));
const poll = setInterval(() => {
  if (named()) {
    clearInterval(poll);
    say(
      `The monitor named the leak after ${elapsed()} of load (${requests.toLocaleString('en-US')} requests). Stopping the load.`,
    );
    load.kill('SIGTERM');
  }
}, 1000);
await loadDone;
clearInterval(poll);

say('Stopping the server (SIGTERM): the monitor prints its report.');
server.kill('SIGTERM');
await new Promise((resolve) => server.on('exit', resolve));
rmSync(work, { recursive: true, force: true });
say(`Done in ${elapsed()}.`);
