const http = require('node:http');
const { NotificationService } = require('./lib/notifications');
const { quote, publishUpdate } = require('./lib/orders');

const notifications = new NotificationService();

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
function send(res, status, obj) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/subscribe') {
      const body = await readJson(req);
      send(res, 200, notifications.subscribe(body));
    } else if (req.method === 'POST' && url.pathname === '/quote') {
      const body = await readJson(req);
      send(res, 200, quote(body));
    } else if (req.method === 'GET' && url.pathname === '/health') {
      send(res, 200, { ok: true, uptime: process.uptime() });
    } else send(res, 404, { error: 'not found' });
  } catch (e) {
    send(res, 400, { error: e.message });
  }
});
// Order status changes come from a queue consumer every few seconds.
setInterval(() => publishUpdate(`ord-${Math.floor(Math.random() * 1e6)}`, 'shipped'), 5000).unref();
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
