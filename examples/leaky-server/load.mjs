// Load for the demo, from a second process: keep-alive connections, a target rate, and a mix of
// routes that changes every few seconds, as real traffic does (which is what lets the monitor
// tell which route the heap follows).
//
//   node examples/leaky-server/load.mjs --port 3000 [--seconds 60] [--rate 1200] [--concurrency 16]
//
// Prints one JSON line per second: { t, requests, errors, rps }; stops on SIGTERM or after --seconds.
import http from 'node:http';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const port = Number(opt('port'));
const seconds = Number(opt('seconds', '60'));
const rate = Number(opt('rate', '1200'));
const concurrency = Number(opt('concurrency', '16'));

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const routes = [
  () => ({
    method: 'GET',
    path: `/predict?f=${encodeURIComponent(JSON.stringify([1, 2, 3, Math.random()]))}`,
  }),
  () => ({
    method: 'POST',
    path: '/score',
    body: JSON.stringify({
      items: Array.from({ length: 20 }, (_, i) => ({ sku: `s${i}`, qty: i, price: 1.5 })),
    }),
  }),
  () => ({ method: 'GET', path: `/users/${Math.floor(Math.random() * 5000)}` }),
  () => ({ method: 'GET', path: '/metrics' }),
  () => ({ method: 'GET', path: '/health' }),
];
// Weights of the routes; a new mix every phase, in which one of the three main routes is hot.
let weights = [1, 1, 1, 0.05, 0.05];
function newMix() {
  const hot = Math.floor(Math.random() * 3);
  weights = [0.15, 0.15, 0.15, 0.05, 0.05];
  weights[hot] = 1;
}
function pick() {
  let r = Math.random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r <= 0) return routes[i]();
  }
  return routes[0]();
}

let requests = 0;
let errors = 0;
let stopping = false;

function once() {
  return new Promise((resolve) => {
    const { method, path, body } = pick();
    const req = http.request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) requests++;
        else errors++;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(body);
  });
}

const started = performance.now();
async function worker() {
  while (!stopping) {
    // Pace to the target rate: each worker owns rate/concurrency requests per second.
    const due = started + ((requests + errors) / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    await once();
  }
}

const phase = setInterval(newMix, 3000);
let last = 0;
const report = setInterval(() => {
  const t = Math.round((performance.now() - started) / 1000);
  process.stdout.write(`${JSON.stringify({ t, requests, errors, rps: requests - last })}\n`);
  last = requests;
}, 1000);
const stop = () => {
  stopping = true;
};
process.on('SIGTERM', stop);
setTimeout(stop, seconds * 1000).unref();
newMix();
await Promise.all(Array.from({ length: concurrency }, worker));
clearInterval(phase);
clearInterval(report);
agent.destroy();
