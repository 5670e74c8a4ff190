const paragraph = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
export const routes = [
  {
    name: 'save',
    weight: 1,
    make: () => ({
      method: 'PUT',
      path: '/doc',
      body: JSON.stringify({
        author: `editor${Math.floor(Math.random() * 50)}`,
        text: `${paragraph}${Math.random()}`,
      }),
    }),
  },
  { name: 'read', weight: 2, make: () => ({ method: 'GET', path: '/doc' }) },
  { name: 'stats', weight: 1, make: () => ({ method: 'GET', path: '/stats' }) },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
