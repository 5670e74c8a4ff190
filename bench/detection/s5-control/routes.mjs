export const routes = [
  {
    name: 'profiles',
    weight: 1,
    make: () => ({ method: 'GET', path: `/profiles/${Math.floor(Math.random() * 5000)}` }),
  },
  {
    name: 'render',
    weight: 1,
    make: () => ({
      method: 'POST',
      path: '/render',
      body: JSON.stringify({
        items: Array.from({ length: 30 }, (_, i) => ({ name: `item ${i} ${Math.random()}`, qty: i })),
      }),
    }),
  },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
