// The request every load of the bench's server sends (tracing-overhead/loadgen.mjs,
// monitor-overhead/instructions.mjs), so that they measure the same work: one of 13 pages and
// 7 queries, an id header.
export function productRequest(port, agent, id) {
  return {
    host: '127.0.0.1',
    port,
    path: `/api/products?page=${id % 13}&q=w${id % 7}`,
    agent,
    headers: { 'x-request-id': String(id) },
  };
}
