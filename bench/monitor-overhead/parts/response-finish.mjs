// Route counting's mechanism alone: a diagnostics_channel subscriber to every finished response,
// counting per method and URL.
import diagnostics from 'node:diagnostics_channel';

const counts = new Map();
diagnostics.subscribe('http.server.response.finish', ({ request }) => {
  const key = request.url;
  counts.set(key, (counts.get(key) ?? 0) + 1);
});
