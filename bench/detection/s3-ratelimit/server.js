const http = require('node:http');
const { RateLimiter } = require('./lib/rate-limiter');
const { search } = require('./lib/search');

const apiLimiter = new RateLimiter({ windowMs: 60_000, max: 100_000 });

const send = (res, status, obj) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};
function clientIp(req) {
  return (req.headers['x-forwarded-for'] ?? req.socket.remoteAddress).split(',')[0].trim();
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/api/search') {
    if (!apiLimiter.hit(clientIp(req))) return send(res, 429, { error: 'slow down' });
    return send(res, 200, { results: search(url.searchParams.get('q') ?? '') });
  }
  if (req.method === 'GET' && url.pathname === '/static/version')
    return send(res, 200, { version: '1.4.2', node: process.version });
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
  send(res, 404, { error: 'not found' });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
