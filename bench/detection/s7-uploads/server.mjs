import { randomUUID } from 'node:crypto';
import http from 'node:http';

// Uploads are kept for 30 minutes so the client can fetch the processed result; a timer per upload
// drops it.
const uploads = new Map();
const RETENTION_MS = 30 * 60_000;

function store(body) {
  const id = randomUUID();
  const record = { id, body, processed: body.toString('base64').length, at: Date.now() };
  uploads.set(id, record.processed);
  setTimeout(() => {
    uploads.delete(id);
    console.log(`expired ${record.id} (${record.body.length} bytes)`);
  }, RETENTION_MS);
  return id;
}

const send = (res, status, obj) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'POST' && url.pathname === '/upload') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => send(res, 201, { id: store(Buffer.concat(chunks)) }));
    return;
  }
  if (req.method === 'GET' && url.pathname.startsWith('/result/')) {
    return send(res, 200, { size: uploads.get(url.pathname.slice(8)) ?? null });
  }
  if (req.method === 'GET' && url.pathname === '/health')
    return send(res, 200, { ok: true, uploads: uploads.size });
  send(res, 404, { error: 'not found' });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
