const ips = Array.from({ length: 20 }, (_, i) => `10.0.${i}.${((i * 37) % 250) + 1}`);
export const routes = [
  {
    name: 'search',
    weight: 1,
    make: () => ({
      method: 'GET',
      path: `/api/search?q=${Math.floor(Math.random() * 1000)}`,
      headers: { 'x-forwarded-for': ips[Math.floor(Math.random() * 20)] },
    }),
  },
  { name: 'version', weight: 1, make: () => ({ method: 'GET', path: '/static/version' }) },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
