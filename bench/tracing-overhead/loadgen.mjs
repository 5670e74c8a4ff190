// The load generator: a separate process, keep-alive sockets, fixed concurrency, bounded by time
// and by request count. Warm-up requests are not counted.
//   node tracing-overhead/loadgen.mjs --port P [--concurrency 32] [--seconds 5] [--warmup 1]
//                                      [--max-requests 2000000]
// Prints one JSON line: { requests, errors, seconds, rps, p50Ms, p99Ms, maxMs, cpuUsPerRequest }
// (cpuUsPerRequest: the server's own CPU time, user + system, per request it served in the window,
// from its /__cpu endpoint read at the start and the end of the measured window).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { productRequest } from './request.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const port = Number(opt('port'));
const concurrency = Number(opt('concurrency', '32'));
const seconds = Number(opt('seconds', '5'));
const warmup = Number(opt('warmup', '1'));
const maxRequests = Number(opt('max-requests', '2000000'));

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const latencies = new Float64Array(maxRequests);
let done = 0;
let errors = 0;
let measuring = false;
let stopping = false;
let seq = 0;

function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const id = seq++;
    const req = http.request(productRequest(port, agent, id), (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        if (measuring && done < maxRequests) {
          if (res.statusCode === 200) latencies[done++] = performance.now() - t0;
          else errors++;
        }
        resolve();
      });
    });
    req.on('error', () => {
      if (measuring) errors++;
      resolve();
    });
    req.end();
  });
}

async function worker() {
  while (!stopping && done < maxRequests) await once();
}

function cpu() {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/__cpu', agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', () => resolve(null));
  });
}

const workers = Array.from({ length: concurrency }, worker);
await new Promise((r) => setTimeout(r, warmup * 1000));
const cpu0 = await cpu();
measuring = true;
const t0 = performance.now();
await new Promise((r) => {
  const timer = setTimeout(r, seconds * 1000);
  const check = setInterval(() => {
    if (done >= maxRequests) {
      clearTimeout(timer);
      r();
    }
  }, 50);
  timer.unref?.();
  setTimeout(() => clearInterval(check), seconds * 1000 + 10).unref();
});
const elapsed = (performance.now() - t0) / 1000;
measuring = false;
const cpu1 = await cpu();
stopping = true;
const n = done;
await Promise.all(workers);
agent.destroy();
const lat = latencies.subarray(0, n).sort();
const pct = (p) => (n ? lat[Math.min(n - 1, Math.floor(p * n))] : NaN);
console.log(
  JSON.stringify({
    requests: n,
    errors,
    seconds: +elapsed.toFixed(3),
    rps: +(n / elapsed).toFixed(1),
    p50Ms: +pct(0.5).toFixed(3),
    p99Ms: +pct(0.99).toFixed(3),
    maxMs: +(n ? lat[n - 1] : NaN).toFixed(3),
    cpuUsPerRequest:
      cpu0 && cpu1 && cpu1.served > cpu0.served
        ? +((cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (cpu1.served - cpu0.served)).toFixed(2)
        : null,
  }),
);
