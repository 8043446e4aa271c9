// Loads a TypeScript worker through tsx: worker threads do not inherit the
// main thread's --import loader hooks on Node 20.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.module);
