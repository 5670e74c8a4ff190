// Background job runner: the HTTP handler enqueues a job and returns 202; the runner waits for the
// worker to report completion, then writes an audit record with the job's payload checksum.

import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';

class Worker extends EventEmitter {
  enqueue(job) {
    // pretend to process it asynchronously; the worker announces `job:<id>:done` ...
    setImmediate(() => this.emit(`job:${job.id}:done`, { ok: true }));
  }
}

export const worker = new Worker();
let completed = 0;

async function runJob(job) {
  const payload = Buffer.alloc(10 * 1024, job.id % 251); // rendered document to hash after completion
  worker.enqueue(job);
  // ... but the runner waits for `job:<id>` (wrong event name): this never resolves
  await once(worker, `job:${job.id}`);
  completed++;
  return createHash('sha1').update(payload).digest('hex');
}

let nextId = 1;
export function submit(kind) {
  const job = { id: nextId++, kind, submittedAt: Date.now() };
  runJob(job).catch((err) => console.error('job failed', err));
  return job.id;
}

export const stats = () => ({ completed, submitted: nextId - 1 });
