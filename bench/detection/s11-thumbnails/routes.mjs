// Image ids repeat; a cache-busting query (a timestamp the client adds) makes every URL new.
export const routes = [
  {
    name: 'img',
    weight: 3,
    make: () => ({
      method: 'GET',
      path: `/img/${Math.floor(Math.random() * 50)}?w=256&t=${Date.now()}${Math.random().toString(36).slice(2, 6)}`,
    }),
  },
  { name: 'health', weight: 0.5, make: () => ({ method: 'GET', path: '/health' }) },
];
