// Sliding-window rate limiter, one per API.
class RateLimiter {
  constructor({ windowMs = 60_000, max = 100_000 } = {}) {
    this.windowMs = windowMs;
    this.max = max;
    this.hits = new Map(); // client ip -> timestamps of its requests
  }

  // Records a hit and says whether the client is still under its limit.
  hit(ip) {
    const now = Date.now();
    let stamps = this.hits.get(ip);
    if (stamps === undefined) {
      stamps = [];
      this.hits.set(ip, stamps);
    }
    stamps.push(now);
    // count the hits inside the window (newest last); old ones should be pruned... they never are
    let recent = 0;
    for (let i = stamps.length - 1; i >= 0 && now - stamps[i] < this.windowMs; i--) recent++;
    return recent <= this.max;
  }
}

module.exports = { RateLimiter };
