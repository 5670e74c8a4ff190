const rnd = () => Math.random().toString(36).slice(2);
export const routes = [
  {
    name: 'subscribe',
    weight: 1,
    make: () => ({
      method: 'POST',
      path: '/subscribe',
      body: JSON.stringify({
        orderId: `ord-${Math.floor(Math.random() * 1e6)}`,
        callbackUrl: `https://hooks.example.com/${rnd()}`,
        customer: {
          name: `Customer ${rnd()}`,
          email: `${rnd()}@example.com`,
          address: { street: `${rnd()} street`, city: 'Springfield', zip: '12345' },
        },
        items: Array.from({ length: 25 }, (_, i) => ({
          sku: `sku-${i}`,
          qty: 1 + (i % 3),
          note: `gift wrap ${rnd()} ${rnd()}`,
          options: { color: 'red', size: 'M' },
        })),
      }),
    }),
  },
  {
    name: 'quote',
    weight: 1,
    make: () => ({
      method: 'POST',
      path: '/quote',
      body: JSON.stringify({
        items: Array.from({ length: 25 }, (_, i) => ({
          sku: `sku-${(i * 7) % 200}`,
          qty: 1 + (i % 4),
          note: `n ${rnd()}`,
        })),
      }),
    }),
  },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
