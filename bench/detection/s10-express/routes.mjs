export const routes = [
  {
    name: 'order',
    weight: 1,
    make: () => ({ method: 'GET', path: `/api/orders/${Math.floor(Math.random() * 1e9)}` }),
  },
  { name: 'orders', weight: 0.5, make: () => ({ method: 'GET', path: '/api/orders' }) },
  { name: 'products', weight: 1, make: () => ({ method: 'GET', path: '/api/products' }) },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
