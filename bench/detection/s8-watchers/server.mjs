import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

// Each tenant's config file is read on request and watched so edits apply without a restart. The
// watcher is opened on every read, never closed: one more open watcher per request.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenants-'));
const configs = new Map();

function loadConfig(tenant) {
  const file = path.join(dir, `${tenant}.json`);
  if (!fs.existsSync(file))
    fs.writeFileSync(file, JSON.stringify({ tenant, theme: 'light', limits: { rpm: 600 } }));
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  configs.set(tenant, config);
  fs.watch(file, () => configs.delete(tenant));
  return config;
}

const send = (res, status, obj) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const m = /^\/tenants\/(\w+)\/config$/.exec(url.pathname);
  if (req.method === 'GET' && m) return send(res, 200, loadConfig(m[1]));
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
  if (req.method === 'GET' && url.pathname === '/time')
    return send(res, 200, { now: new Date().toISOString() });
  send(res, 404, { error: 'not found' });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
