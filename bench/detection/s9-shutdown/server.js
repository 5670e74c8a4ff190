const http = require('node:http');
const { lookupPrice } = require('./lib/pricing');

// Requests stop waiting on their work when the server begins to shut down.
let beginShutdown;
const shuttingDown = new Promise((resolve) => {
  beginShutdown = resolve;
});
process.once('SIGTERM', () => {
  beginShutdown({ aborted: true });
  server.close();
});

async function withShutdown(work) {
  const result = await Promise.race([work, shuttingDown]);
  if (result?.aborted) throw new Error('shutting down');
  return result;
}

const send = (res, status, obj) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  try {
    if (req.method === 'GET' && url.pathname.startsWith('/price/')) {
      const sku = url.pathname.slice(7);
      return send(res, 200, await withShutdown(lookupPrice(sku)));
    }
    if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/version') return send(res, 200, { version: '2.3.1' });
    send(res, 404, { error: 'not found' });
  } catch (error) {
    send(res, 503, { error: String(error.message) });
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
