// Worker-thread entry for parallel bridging/augmentation (lib/diffusion/parallel.ts): registers
// tsx so the TypeScript sources load inside the worker, then runs bridge-worker.ts.
import { register } from 'tsx/esm/api';
register();
await import('./bridge-worker.ts');
