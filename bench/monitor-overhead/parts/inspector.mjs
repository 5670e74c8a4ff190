// An inspector session connected on the main thread and nothing else (allocation tracing and heap
// captures connect one).
import inspector from 'node:inspector';

const session = new inspector.Session();
session.connect();
