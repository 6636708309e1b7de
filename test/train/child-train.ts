// Child process of the kill test (parallel.test.ts): trains the small Unet1D with workers into a
// folder, checkpointing every 2 steps, until killed or done. Args: outDir steps workers [resume].
import { initBackend } from '../../lib/backend.ts';
import { trainSmall } from './fixtures.ts';

const [out, steps, workers, resume] = process.argv.slice(2);
await initBackend('wasm', { quiet: true });
const m = await trainSmall({ outDir: out, steps: Number(steps), workers: Number(workers), checkpointEvery: 2, resume: resume === 'resume' });
m.dispose();
process.stdout.write('done\n');
