import http from 'node:http';
import { Catalog } from './catalog.mjs';
import { createSession, getSession, sessionCount } from './session-store.mjs';

const catalog = new Catalog(2000);

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
    if (req.method === 'POST' && url.pathname === '/login') {
      const { username } = await readJson(req);
      const sid = createSession({ username, roles: ['customer'] });
      res.setHeader('set-cookie', `sid=${sid}; HttpOnly`);
      send(res, 200, { ok: true });
    } else if (req.method === 'GET' && url.pathname.startsWith('/products/')) {
      const sid = /sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
      const session = sid ? getSession(sid) : undefined;
      send(res, 200, {
        product: catalog.find(Number(url.pathname.split('/')[2])),
        user: session?.user.username ?? null,
      });
    } else if (req.method === 'GET' && url.pathname === '/search') {
      send(res, 200, catalog.search(url.searchParams.get('q') ?? ''));
    } else if (req.method === 'GET' && url.pathname === '/health') {
      send(res, 200, { ok: true, sessions: sessionCount() });
    } else send(res, 404, { error: 'not found' });
  } catch (e) {
    send(res, 400, { error: e.message });
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
