// Prices come from a slow backend; here, a short timer and a computed quote.
function lookupPrice(sku) {
  return new Promise((resolve) => {
    setTimeout(() => {
      const tiers = Array.from({ length: 12 }, (_, i) => ({ qty: (i + 1) * 10, unit: 9.99 - i * 0.25 }));
      resolve({ sku, currency: 'EUR', tiers, quotedAt: new Date().toISOString() });
    }, 2);
  });
}
module.exports = { lookupPrice };
