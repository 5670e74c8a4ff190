// One check of one program by one method, in a process of its own; prints one JSON line.
//   node child.mjs <method> <program file>
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { leakkitDist } from '../pin-leakkit.mjs';
import { leakageIterate } from './leakage-method.mjs';

const [method, file] = process.argv.slice(2);
const program = createRequire(import.meta.url)(file);
const dist = leakkitDist();
const started = performance.now();
let out;
if (method === 'leakkit') {
  const { checkBounded } = await import(pathToFileURL(path.join(dist, 'testing/index.js')).href);
  const result = await checkBounded(program.run);
  out = {
    leak: !result.bounded,
    evidence: result.evidence,
    findings: result.findings.map((f) => ({ path: f.path, file: f.site?.file, line: f.site?.line })),
  };
} else {
  const { HeapSnapshotParser } = await import(pathToFileURL(path.join(dist, 'heap/index.js')).href);
  const [, variant] = /^(?:leakage|heapUsed)(?:-(\d+))?$/.exec(method) ?? [];
  const iterations = variant ? Number(variant) : 30;
  const measure = method.startsWith('heapUsed') ? 'heapUsed' : 'heapdiff';
  const result = await leakageIterate(program.run, { iterations, measure, HeapSnapshotParser });
  out = { leak: result.leak, diffs: result.diffs };
}
out.seconds = (performance.now() - started) / 1000;
program.cleanup?.();
process.stdout.write(`${JSON.stringify(out)}\n`);
// Leaked timers of the programs would keep the process alive.
process.exit(0);
