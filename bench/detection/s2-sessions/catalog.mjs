export class Catalog {
  constructor(n) {
    this.products = Array.from({ length: n }, (_, i) => ({
      id: i,
      name: `Product ${i}`,
      price: (i % 50) + 0.99,
      tags: ['a', 'b'],
    }));
  }
  find(id) {
    return this.products[id % this.products.length];
  }
  search(q) {
    return this.products.filter((p) => p.name.includes(q)).slice(0, 20);
  }
}
