export const routes = [
  {
    name: 'price',
    weight: 1,
    make: () => ({ method: 'GET', path: `/price/sku-${Math.floor(Math.random() * 9000) + 1000}` }),
  },
  { name: 'version', weight: 1, make: () => ({ method: 'GET', path: '/version' }) },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
