const payload = 'x'.repeat(8 * 1024);
export const routes = [
  { name: 'upload', weight: 1, make: () => ({ method: 'POST', path: '/upload', body: payload }) },
  { name: 'result', weight: 2, make: () => ({ method: 'GET', path: `/result/${Math.random()}` }) },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
