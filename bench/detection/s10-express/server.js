const express = require('express');

const app = express();

// Response times per request line, for a dashboard: keyed by the URL as requested, so every order id
// is a new key and each key's list only grows.
const latency = new Map();
app.use((req, res, next) => {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const key = `${req.method} ${req.originalUrl}`;
    let list = latency.get(key);
    if (list === undefined) {
      list = [];
      latency.set(key, list);
    }
    list.push(ms);
  });
  next();
});

const orders = express.Router();
orders.get('/:orderId', (req, res) => res.json({ id: req.params.orderId, status: 'shipped', items: 3 }));
orders.get('/', (_req, res) => res.json({ count: 42 }));
app.use('/api/orders', orders);
app.get('/api/products', (_req, res) =>
  res.json([
    { sku: 'kb-01', price: 49 },
    { sku: 'ms-02', price: 19 },
  ]),
);
app.get('/health', (_req, res) => res.json({ ok: true }));
app.get('/metrics', (_req, res) => res.json({ lines: latency.size }));

const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
