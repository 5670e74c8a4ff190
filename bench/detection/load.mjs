// Generic load generator: --port N --seconds S --rate R --spec ./routes.mjs
// The spec exports `routes`: [{ name, weight, make: () => ({method, path, body}) }].
// Mix changes every 3 s (one route hot), like real traffic.
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const port = Number(opt('port'));
const seconds = Number(opt('seconds', '90'));
const rate = Number(opt('rate', '300'));
const concurrency = 8;
const { routes } = await import(pathToFileURL(resolve(opt('spec'))).href);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let weights = routes.map((r) => r.weight);
function newMix() {
  const hot = Math.floor(Math.random() * routes.length);
  weights = routes.map((r, i) => (i === hot ? r.weight * 4 : r.weight * (0.3 + Math.random())));
}
function pick() {
  let r = Math.random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r <= 0) return routes[i].make();
  }
  return routes[0].make();
}
let requests = 0,
  errors = 0,
  stopping = false;
const byStatus = {};
function once() {
  return new Promise((done) => {
    const { method, path, body, headers: extra } = pick();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(extra ?? {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
          if (res.statusCode < 400) requests++;
          else errors++;
          done();
        });
      },
    );
    req.on('error', () => {
      errors++;
      done();
    });
    req.end(body);
  });
}
const started = performance.now();
async function worker() {
  while (!stopping) {
    const due = started + ((requests + errors) / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    await once();
  }
}
const phase = setInterval(newMix, 3000);
const rep = setInterval(
  () =>
    process.stdout.write(
      `LOAD ${JSON.stringify({ t: Math.round((performance.now() - started) / 1000), requests, errors })}\n`,
    ),
  10000,
);
process.on('SIGTERM', () => {
  stopping = true;
});
setTimeout(() => {
  stopping = true;
}, seconds * 1000).unref();
newMix();
await Promise.all(Array.from({ length: concurrency }, worker));
clearInterval(phase);
clearInterval(rep);
agent.destroy();
process.stdout.write(`LOAD DONE ${JSON.stringify({ requests, errors, byStatus })}\n`);
