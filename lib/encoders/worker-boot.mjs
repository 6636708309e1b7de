// Bootstrap for worker threads that run TypeScript modules: registers tsx's loader in the worker (workers do
// not inherit it from the parent process), then imports the module named in workerData.entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
