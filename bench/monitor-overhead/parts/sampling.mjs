// Allocation tracing's mechanism alone: V8's sampling heap profiler through a same-thread
// inspector session, at the monitor's production interval (512 KiB; SAMPLING_INTERVAL to change).
import inspector from 'node:inspector';

const session = new inspector.Session();
session.connect();
session.post('HeapProfiler.startSampling', {
  samplingInterval: Number(process.env.SAMPLING_INTERVAL || 512 * 1024),
});
