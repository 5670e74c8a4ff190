export class LruCache {
  constructor(max = 500) {
    this.max = max;
    this.map = new Map();
    this.hits = 0;
    this.misses = 0;
  }
  get(key) {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }
  set(key, value) {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value);
  }
}
