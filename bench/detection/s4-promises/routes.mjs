export const routes = [
  { name: 'job', weight: 1, make: () => ({ method: 'POST', path: '/job?kind=render' }) },
  { name: 'compute', weight: 1, make: () => ({ method: 'GET', path: '/compute' }) },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
