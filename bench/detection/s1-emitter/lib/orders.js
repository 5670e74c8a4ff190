const { bus } = require('./bus');

const inventory = new Map();
for (let i = 0; i < 200; i++) inventory.set(`sku-${i}`, { price: 1 + (i % 17), stock: 1000 });

function quote(order) {
  let total = 0;
  for (const line of order.items) {
    const item = inventory.get(line.sku);
    if (item) total += item.price * line.qty;
  }
  return { total: Math.round(total * 100) / 100, lines: order.items.length };
}

function publishUpdate(orderId, status) {
  bus.emit('order:update', { orderId, status, at: Date.now() });
}

module.exports = { quote, publishUpdate };
