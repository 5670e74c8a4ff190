import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

// Quotes are refreshed in the background, every few milliseconds, by an async function that
// schedules its next round by calling itself.
const quotes = new Map();
let rounds = 0;

async function fetchQuotes() {
  await sleep(2);
  rounds++;
  for (const sym of ['ACME', 'INIT', 'TECH']) quotes.set(sym, 100 + Math.sin(rounds / 50 + sym.length) * 5);
}

async function refresh() {
  try {
    await fetchQuotes();
  } catch (error) {
    console.error('refresh failed', error);
  }
  return refresh();
}

refresh();

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const m = /^\/quote\/([A-Z]+)$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ symbol: m[1], price: quotes.get(m[1]) ?? null }));
  }
  if (req.method === 'GET' && url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ok: true, rounds }));
  }
  res.writeHead(404);
  res.end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
