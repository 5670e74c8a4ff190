// The leaky server of the demo: a real node:http JSON API with a few routes. One of them leaks the
// way the seed's Flask server did: `GET /predict` times its work into `TimerMetrics.timers`, which
// nobody clears (a few dozen bytes per request). Around it, honest noise: JSON parsing on every
// request, a metrics exporter that allocates once, a user cache that fills up to its cap.
//
//   node --import @leakkit/core/register examples/leaky-server/server.mjs
//
// Prints "LISTENING <port>" when ready (PORT=0 by default: any free port).
import http from 'node:http';
import { LruCache } from './cache.mjs';
import { observe, scrape } from './metrics.mjs';
import { TimerMetrics, timed } from './timing.mjs';

const users = new LruCache(500);

function predict(features) {
  let score = 0;
  for (let i = 0; i < features.length; i++) score += features[i] * (i + 1);
  return { score: Math.round(score * 100) / 100, model: 'v3' };
}

function send(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const started = performance.now();
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/predict') {
    const features = JSON.parse(url.searchParams.get('f') ?? '[]');
    const result = timed('predict', () => predict(features));
    send(res, 200, result);
  } else if (req.method === 'POST' && url.pathname === '/score') {
    const body = JSON.parse(await readBody(req));
    const total = body.items.reduce((sum, item) => sum + item.qty * item.price, 0);
    send(res, 200, { total, items: body.items.length });
  } else if (req.method === 'GET' && url.pathname.startsWith('/users/')) {
    const id = url.pathname.slice('/users/'.length);
    let user = users.get(id);
    if (user === undefined) {
      user = { id, name: `user-${id}`, roles: ['reader'], since: new Date(0).toISOString() };
      users.set(id, user);
    }
    send(res, 200, user);
  } else if (req.method === 'GET' && url.pathname === '/metrics') {
    send(res, 200, scrape());
  } else if (req.method === 'GET' && url.pathname === '/health') {
    send(res, 200, { ok: true, timings: Object.keys(TimerMetrics.aggregate()).length });
  } else {
    send(res, 404, { error: 'not found' });
  }
  observe(performance.now() - started);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => send(res, 500, { error: error.message }));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
