#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
// Copy of the project's shared snapshot generator (../shared/tools/gen-snapshot.mjs), kept here so the bench runs from a clean clone.
// Deterministic synthetic "server-like" heap generator.
//
//   node gen-snapshot.mjs <targetLiveHeapMB> <out.heapsnapshot> [--json result.json] [--units N]
//
// Builds a heap that looks roughly like a long-running Node server:
//   * Map<string, plain object>          (session store)
//   * class instances                    (User, Connection, RequestContext)
//   * arrays of strings                  (per-request log lines, header lists)
//   * closures over small contexts       (event handlers / middleware)
//   * a few deep linked chains           (stress for recursive traversals)
//   * ONE leak: class TimerMetrics { static timers = new Map() } holding many
//     small records, reachable as  TimerMetrics.timers
// sized so the live heap (heapUsed after a full GC) is close to the target, then writes
// a .heapsnapshot with v8.writeHeapSnapshot() and reports size/node/edge counts
// and how long writing took. Everything is driven by a seeded PRNG, so the same
// target on the same Node binary produces the same object graph.
//
// The script re-executes itself with --expose-gc and a large enough
// --max-old-space-size when those flags are missing.
import v8 from 'node:v8';

const args = process.argv.slice(2);
const targetMB = Number(args[0]);
const outPath = args[1];
const jsonIdx = args.indexOf('--json');
const jsonOut = jsonIdx >= 0 ? args[jsonIdx + 1] : null;
if (!(targetMB > 0) || !outPath) {
  console.error('usage: node gen-snapshot.mjs <targetLiveHeapMB> <out.heapsnapshot> [--json result.json]');
  process.exit(2);
}

if (typeof globalThis.gc !== 'function') {
  const oldSpace = Math.max(2048, Math.ceil(targetMB * 3));
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', `--max-old-space-size=${oldSpace}`, fileURLToPath(import.meta.url), ...args],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}

// ---------------------------------------------------------------- PRNG
let seed = 0x9e3779b9 ^ Math.round(targetMB);
function rnd() {
  // mulberry32
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];
// Array.join yields flat (sequential) strings; template literals longer than 12
// chars yield V8 ConsStrings (ropes). Use flat strings mostly, ropes sometimes.
const j = (...parts) => parts.join('');

const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
  'mike',
  'november',
  'oscar',
  'papa',
  'quebec',
  'romeo',
  'sierra',
  'tango',
  'uniform',
  'victor',
  'whiskey',
  'xray',
  'yankee',
  'zulu',
];
const ROUTES = [
  '/api/users',
  '/api/orders',
  '/api/cart',
  '/health',
  '/api/search',
  '/api/items/:id',
  '/login',
  '/logout',
  '/api/metrics',
  '/static/app.js',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const ROLES = ['admin', 'editor', 'viewer', 'billing', 'support'];

// ---------------------------------------------------------------- classes
class User {
  constructor(id, name, email, roles) {
    this.id = id;
    this.name = name;
    this.email = email;
    this.roles = roles;
    this.createdAt = 1700000000000 + id * 1000.5; // double -> heap number
    this.loginCount = id % 97;
  }
}
class Connection {
  constructor(id, host, port, user) {
    this.id = id;
    this.host = host;
    this.port = port;
    this.user = user;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.state = 'open';
  }
}
class RequestContext {
  constructor(id, method, route, conn) {
    this.id = id;
    this.method = method;
    this.route = route;
    this.conn = conn;
    this.headers = [j('host: ', conn.host), j('x-request-id: req-', id), 'accept: */*'];
    this.startedAt = id * 3;
    this.status = 200;
  }
}
class ChainLink {
  constructor(depth, next) {
    this.depth = depth;
    this.next = next;
    this.payload = null;
  }
}
// The leak: a module-level class with a static Map that is only ever added to.
// biome-ignore lint/complexity/noStaticOnlyClass: the shape of the registry in the story we reproduce
class TimerMetrics {
  static timers = new Map();
  static record(key, label, start, duration) {
    TimerMetrics.timers.set(key, { label, start, duration, count: 1 });
  }
}

// ---------------------------------------------------------------- roots
const sessions = new Map(); // Map of plain objects
const users = []; // class instances
const connections = new Map(); // Map<number, Connection>
const requests = []; // RequestContext + arrays of strings
const logBuffers = []; // arrays of strings
const handlers = []; // closures
const chains = []; // a few deep chains
globalThis.__server = { sessions, users, connections, requests, logBuffers, handlers, chains };

let unit = 0;
function addUnit() {
  const i = unit++;
  // class instances
  const user = new User(
    i,
    j(pick(WORDS), '_', pick(WORDS), '_', i),
    j('u', i, '@example.', pick(['com', 'org', 'io'])),
    [pick(ROLES), pick(ROLES)],
  );
  users.push(user);
  const conn = new Connection(i, j('10.', ri(256), '.', ri(256), '.', ri(256)), 1024 + ri(60000), user);
  connections.set(i, conn);
  // Map of plain objects
  sessions.set(j('sess-', i.toString(36), '-', ri(1e6)), {
    userId: i,
    csrf: j('t', ri(1e9).toString(16)),
    lastSeen: i * 7,
    flags: { beta: (i & 1) === 1, admin: i % 50 === 0 },
    cart: [ri(1000), ri(1000), ri(1000)],
  });
  // class instance holding an array of strings
  const req = new RequestContext(i, pick(METHODS), pick(ROUTES), conn);
  requests.push(req);
  // arrays of strings
  const lines = new Array(6);
  for (let k = 0; k < 5; k++)
    lines[k] = j(i, ' ', req.method, ' ', req.route, ' ', 200 + ri(300), ' ', ri(5000), 'ms ', pick(WORDS));
  lines[5] = `${i} ${req.route} done`; // one rope (concatenated string) per unit
  logBuffers.push(lines);
  // closures over small contexts
  const ctx = { id: i, hits: 0, route: req.route };
  handlers.push(function onRequest(n) {
    ctx.hits += n;
    return ctx.route;
  });
  if ((i & 3) === 0) handlers.push((e) => conn.bytesIn + e.length);
  // the leak: a few small records per unit (string and numeric keys)
  TimerMetrics.record(j('timer:', i, ':a'), pick(WORDS), i * 11, ri(1000));
  TimerMetrics.record(j('timer:', i, ':b'), pick(WORDS), i * 17, ri(1000));
  TimerMetrics.record(i * 4 + 1, 'poll', i * 13, ri(100));
  TimerMetrics.record(i * 4 + 3, 'flush', i * 19, ri(100));
}

function buildChains() {
  const CHAINS = 4,
    DEPTH = 25000;
  for (let c = 0; c < CHAINS; c++) {
    let head = null;
    for (let d = 0; d < DEPTH; d++) head = new ChainLink(d, head);
    head.payload = { chain: c };
    chains.push(head);
  }
}

function liveMB() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed / 1048576;
}

// Unit count is a pure function of the target (calibrated on Node 20.20 x64:
// ~1987 bytes of live heap per unit on top of ~9 MB baseline incl. chains),
// so the object graph is identical between runs. --units N overrides it.
const unitsIdx = args.indexOf('--units');
const UNITS =
  unitsIdx >= 0 ? Number(args[unitsIdx + 1]) : Math.max(1, Math.round(((targetMB - 9.0) * 1048576) / 1987));
const t0 = performance.now();
buildChains();
for (let k = 0; k < UNITS; k++) addUnit();
const live = liveMB();
const buildMs = performance.now() - t0;

const t1 = performance.now();
const written = v8.writeHeapSnapshot(outPath);
const writeMs = performance.now() - t1;

// node_count / edge_count come from the snapshot header
const fd = fs.openSync(written, 'r');
const head = Buffer.alloc(1 << 16);
fs.readSync(fd, head, 0, head.length, 0);
fs.closeSync(fd);
const h = head.toString('utf8');
const nodeCount = Number(/"node_count":(\d+)/.exec(h)?.[1]);
const edgeCount = Number(/"edge_count":(\d+)/.exec(h)?.[1]);
const fileBytes = fs.statSync(written).size;

const result = {
  node: process.version,
  targetMB,
  liveHeapMB: +live.toFixed(1),
  units: unit,
  timersSize: TimerMetrics.timers.size,
  file: written,
  fileBytes,
  fileMB: +(fileBytes / 1048576).toFixed(1),
  nodeCount,
  edgeCount,
  buildMs: Math.round(buildMs),
  writeMs: Math.round(writeMs),
  rssAfterWriteMB: Math.round(process.memoryUsage().rss / 1048576),
};
console.log(JSON.stringify(result));
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(result, null, 2));
