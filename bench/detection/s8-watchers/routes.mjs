export const routes = [
  {
    name: 'config',
    weight: 1,
    make: () => ({ method: 'GET', path: `/tenants/t${Math.floor(Math.random() * 40)}/config` }),
  },
  { name: 'time', weight: 1, make: () => ({ method: 'GET', path: '/time' }) },
  { name: 'health', weight: 0.3, make: () => ({ method: 'GET', path: '/health' }) },
];
