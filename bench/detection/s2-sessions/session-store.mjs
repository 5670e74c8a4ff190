// Per-user session store.
import { randomBytes, randomUUID } from 'node:crypto';

const SESSION_TTL = 30 * 60; // seconds
const sessions = new Map();

export function createSession(user) {
  const id = randomUUID();
  sessions.set(id, {
    user,
    // serialized preferences / cart snapshot, ~2 KB
    state: randomBytes(1024).toString('hex'),
    createdAt: new Date(),
  });
  return id;
}

export function getSession(id) {
  return sessions.get(id);
}

export function sessionCount() {
  return sessions.size;
}

// Evict expired sessions every few seconds.
// BUG: compares an age in milliseconds with a TTL in seconds... the other way round:
// the age is computed in seconds and compared with the TTL converted to ms, so nothing ever expires.
setInterval(() => {
  const now = Date.now();
  for (const [id, s] of sessions) {
    const ageSeconds = (now - s.createdAt.getTime()) / 1000;
    if (ageSeconds > SESSION_TTL * 1000) sessions.delete(id);
  }
}, 5000).unref();
