const symbols = ['ACME', 'INIT', 'TECH', 'NONE'];
export const routes = [
  {
    name: 'quote',
    weight: 3,
    make: () => ({ method: 'GET', path: `/quote/${symbols[Math.floor(Math.random() * 4)]}` }),
  },
  { name: 'health', weight: 0.5, make: () => ({ method: 'GET', path: '/health' }) },
];
