export const routes = [
  {
    name: 'login',
    weight: 1,
    make: () => ({
      method: 'POST',
      path: '/login',
      body: JSON.stringify({ username: `user${Math.floor(Math.random() * 1e5)}`, password: 'hunter2' }),
    }),
  },
  {
    name: 'products',
    weight: 1,
    make: () => ({ method: 'GET', path: `/products/${Math.floor(Math.random() * 5000)}` }),
  },
  {
    name: 'search',
    weight: 0.5,
    make: () => ({ method: 'GET', path: `/search?q=${Math.floor(Math.random() * 100)}` }),
  },
  { name: 'health', weight: 0.2, make: () => ({ method: 'GET', path: '/health' }) },
];
