// (b) The server under test: a small node:http JSON API doing request-scoped allocation.
//   node tracing-overhead/server.mjs <mode>     mode: off | default | <samplingInterval bytes> | raw:<bytes>
//   env SNAPSHOT_EVERY_MS=n also takes a tracing snapshot every n ms (a monitor's periodic cost)
// GET /__cpu returns { user, system, served }: process CPU time (µs) and requests served so far.
// Prints "LISTENING <port>" once ready; exits when stdin closes (its parent went away).
import http from 'node:http';
import { traceOn, traceSnapshot } from './tracer.mjs';

const mode = process.argv[2] || 'off';
await traceOn(mode);
const every = Number(process.env.SNAPSHOT_EVERY_MS || 0);
if (mode !== 'off' && !mode.startsWith('raw:') && every > 0)
  setInterval(() => void traceSnapshot(), every).unref();

const PRODUCTS = Array.from({ length: 500 }, (_, i) => ({
  id: i,
  name: `product-${i}`,
  price: Math.round((i * 37) % 1000) / 10,
  tags: ['a', 'b', 'c', 'd'].slice(0, 1 + (i % 4)),
}));

let served = 0;
function handle(req, res) {
  if (req.url === '/__cpu') {
    // The load generator reads this before and after a measured burst: CPU time per request served
    // is far less sensitive to other processes on a shared machine than throughput is.
    const { user, system } = process.cpuUsage();
    res.end(JSON.stringify({ user, system, served }));
    return;
  }
  served++;
  const url = new URL(req.url, 'http://x');
  const page = Number(url.searchParams.get('page') || 0);
  const q = url.searchParams.get('q') || '';
  const items = [];
  for (let i = 0; i < 40; i++) {
    const p = PRODUCTS[(page * 40 + i) % PRODUCTS.length];
    items.push({
      ...p,
      label: `${p.name} (${q || 'all'})`,
      tags: p.tags.map((t) => t.toUpperCase()),
      discounted: Math.round(p.price * 0.9 * 100) / 100,
    });
  }
  const body = JSON.stringify({
    page,
    count: items.length,
    items,
    requestId: req.headers['x-request-id'] ?? null,
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer(handle);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
