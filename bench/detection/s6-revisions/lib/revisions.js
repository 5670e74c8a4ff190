// The shared document's latest revision. Each save replaces it; the log line says who changed it
// from whom.
let latest = null;
let saves = 0;

function log(line) {
  if (process.env.REVISIONS_DEBUG) console.log(line);
}

function commit(author, text) {
  const before = latest;
  const summary = () => (before ? `${before.author} -> ${author}` : `created by ${author}`);
  latest = {
    n: ++saves,
    author,
    text,
    savedAt: new Date(),
    // what GET /doc sends: the revision's own fields only
    toJSON() {
      return { n: this.n, author: this.author, length: this.text.length, savedAt: this.savedAt };
    },
  };
  log(summary());
  return latest;
}

const current = () => latest;

module.exports = { commit, current };
