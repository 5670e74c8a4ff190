import http from 'node:http';
import { cacheStats, loadProfile } from './profiles.mjs';

function readJson(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(text || '{}'));
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}
const send = (res, status, obj) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && url.pathname.startsWith('/profiles/'))
      return send(res, 200, loadProfile(url.pathname.split('/')[2]));
    if (req.method === 'POST' && url.pathname === '/render') {
      const body = await readJson(req);
      const html = body.items.map((i) => `<li>${i.name} x${i.qty}</li>`).join('');
      return send(res, 200, { html: `<ul>${html}</ul>`, n: body.items.length });
    }
    if (req.method === 'GET' && url.pathname === '/health')
      return send(res, 200, { ok: true, cache: cacheStats() });
    send(res, 404, { error: 'not found' });
  } catch (e) {
    send(res, 400, { error: e.message });
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
