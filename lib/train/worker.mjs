// Worker-thread entry of the training pool (pool.ts): registers tsx so the TypeScript sources load
// inside the worker, then runs worker.ts.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
