const words = Array.from({ length: 3000 }, (_, i) => `item-${i.toString(36)}-${(i * 7919) % 1000}`);
function search(q, limit = 10) {
  const out = [];
  for (const w of words) {
    if (w.includes(q)) {
      out.push(w);
      if (out.length >= limit) break;
    }
  }
  return out;
}
module.exports = { search };
