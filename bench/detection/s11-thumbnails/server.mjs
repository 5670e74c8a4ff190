import { createHash } from 'node:crypto';
import http from 'node:http';

// Rendered thumbnails are cached by the full request URL, query string included, so that a
// repeat request is served from memory. Nothing ever leaves the cache.
const rendered = new Map();

function render(id, width) {
  // Stands in for image work: a deterministic buffer of the thumbnail's size.
  const out = Buffer.allocUnsafe(width * 64);
  const seed = createHash('sha256').update(`${id}:${width}`).digest();
  for (let i = 0; i < out.length; i += seed.length) seed.copy(out, i);
  return out;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const m = /^\/img\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    let body = rendered.get(req.url);
    if (body === undefined) {
      body = render(m[1], Number(url.searchParams.get('w') ?? 128));
      rendered.set(req.url, body);
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    return res.end(body);
  }
  if (req.method === 'GET' && url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ok: true }));
  }
  res.writeHead(404);
  res.end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
