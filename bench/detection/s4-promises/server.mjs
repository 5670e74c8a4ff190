import http from 'node:http';
import { stats, submit } from './jobs.mjs';

const send = (res, status, obj) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'POST' && url.pathname === '/job') {
    const id = submit(url.searchParams.get('kind') ?? 'render');
    return send(res, 202, { id });
  }
  if (req.method === 'GET' && url.pathname === '/compute') return send(res, 200, { v: fib(18) });
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true, ...stats() });
  send(res, 404, { error: 'not found' });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
