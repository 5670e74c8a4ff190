const http = require('node:http');
const { commit, current } = require('./lib/revisions');

const send = (res, status, obj) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};
function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit'];
function wordCount(n) {
  const counts = {};
  for (let i = 0; i < n; i++) {
    const w = words[i % words.length];
    counts[w] = (counts[w] ?? 0) + 1;
  }
  return counts;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'PUT' && url.pathname === '/doc') {
    const { author, text } = JSON.parse(await readBody(req));
    const rev = commit(author, text);
    return send(res, 200, { n: rev.n });
  }
  if (req.method === 'GET' && url.pathname === '/doc') return send(res, 200, current() ?? {});
  if (req.method === 'GET' && url.pathname === '/stats') return send(res, 200, wordCount(2000));
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
  send(res, 404, { error: 'not found' });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
