// The cost of the monitor's route probe, mechanism by mechanism, on a small node:http server whose
// handler runs the probed line once per request: requests per second and CPU per request with the
// probe off and on, in alternating rounds (load from a second process, 8 keep-alive connections).
//
//   node route-probe/run.cjs [rounds=4] [mode=probe]
//
// Modes: `probe`: what the probe sets (a context from http.server.request.start, the Debugger domain,
// a breakpoint whose condition calls a hook and is false), never stopped at 200 hits so every
// request pays; `false`: the same breakpoint with the condition `false` (V8's own cost of a
// conditional breakpoint); `enabled`: the context and the Debugger domain, no breakpoint (what the
// rest of the process pays while a probe waits for its line).
// CommonJS and no leakkit import: the breakpoint is set on this file's line, as the probe does.
const http = require('node:http');
const { fork } = require('node:child_process');
const diagnostics = require('node:diagnostics_channel');
const { AsyncLocalStorage } = require('node:async_hooks');
const inspector = require('node:inspector');
const { pathToFileURL } = require('node:url');

const PROBED_LINE = 28;
const kept = [];
function work(id) {
  if (kept.length < 100) kept.push(id);
  return handle(id);
}
function handle(id) {
  const o = { id, v: new Array(20).fill(id) };
  return o.v.length; // the probed line (PROBED_LINE)
}

function client(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const one = () =>
    new Promise((resolve) => {
      http
        .get({ port, host: '127.0.0.1', path: '/x/1', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', resolve);
    });
  process.on('message', async (ms) => {
    let n = 0;
    const end = Date.now() + ms;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < end) {
          await one();
          n++;
        }
      }),
    );
    process.send(n / (ms / 1000));
  });
}

function post(session, method, params) {
  let result;
  let failure;
  session.post(method, params ?? {}, (error, r) => {
    failure = error;
    result = r;
  });
  if (failure) throw failure;
  return result;
}

/** Turns the probe's mechanisms on; returns how to turn them off (and the hits counted). */
function probeOn(session, mode) {
  const als = new AsyncLocalStorage();
  let hits = 0;
  const key = Symbol.for('leakkit.bench.routeProbe');
  globalThis[key] = () => {
    if (als.getStore() !== undefined) hits++;
  };
  const onStart = (m) => als.enterWith(m.request.url);
  diagnostics.subscribe('http.server.request.start', onStart);
  const t0 = process.hrtime.bigint();
  post(session, 'Debugger.enable');
  post(session, 'Debugger.setSkipAllPauses', { skip: true });
  const enableMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let breakpointId;
  if (mode !== 'enabled') {
    ({ breakpointId } = post(session, 'Debugger.setBreakpointByUrl', {
      lineNumber: PROBED_LINE - 1,
      url: pathToFileURL(__filename).href,
      condition:
        mode === 'false' ? 'false' : '(globalThis[Symbol.for("leakkit.bench.routeProbe")]?.(), false)',
    }));
  }
  return () => {
    if (breakpointId !== undefined) post(session, 'Debugger.removeBreakpoint', { breakpointId });
    post(session, 'Debugger.disable');
    diagnostics.unsubscribe('http.server.request.start', onStart);
    als.disable();
    delete globalThis[key];
    return { hits, enableMs };
  };
}

function main() {
  const rounds = Number(process.argv[2] ?? 4);
  const mode = process.argv[3] ?? 'probe';
  const session = new inspector.Session();
  session.connect();
  const server = http.createServer((req, res) => {
    res.end(String(work(req.url.length)));
  });
  server.listen(0, '127.0.0.1', async () => {
    const load = fork(__filename, ['client', String(server.address().port)]);
    const round = (ms) =>
      new Promise((resolve) => {
        load.once('message', resolve);
        load.send(ms);
      });
    await round(1000);
    const results = { off: [], on: [] };
    for (let i = 0; i < rounds; i++) {
      for (const state of i % 2 ? ['on', 'off'] : ['off', 'on']) {
        const off = state === 'on' ? probeOn(session, mode) : undefined;
        const cpu0 = process.cpuUsage();
        const rps = await round(3000);
        const cpu = process.cpuUsage(cpu0);
        const extra =
          off === undefined
            ? ''
            : (({ hits, enableMs }) => ` hits ${hits}, Debugger.enable ${enableMs.toFixed(1)} ms`)(off());
        results[state].push({ rps, cpu: (cpu.user + cpu.system) / (rps * 3) });
        console.log(
          `${state.padEnd(3)} ${Math.round(rps)} req/s, ${((cpu.user + cpu.system) / (rps * 3)).toFixed(1)} µs CPU/req${extra}`,
        );
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const off = median(results.off.map((r) => r.rps));
    const on = median(results.on.map((r) => r.rps));
    const cpuOff = median(results.off.map((r) => r.cpu));
    const cpuOn = median(results.on.map((r) => r.cpu));
    console.log(
      `Node ${process.version}, mode ${mode}: median ${Math.round(off)} → ${Math.round(on)} req/s (${(on / off).toFixed(3)}×), CPU per request +${(cpuOn - cpuOff).toFixed(1)} µs`,
    );
    load.kill();
    server.close();
  });
}

if (process.argv[2] === 'client') client(Number(process.argv[3]));
else main();
