// Child of wasm-threads.test.ts: on the wasm backend with DBRIDGE_THREADS threads, hashes a small
// Unet1D's forward output and its gradients for a fixed batch; prints JSON.
import { createHash } from 'node:crypto';
import { initBackend, backendThreads } from '../../lib/backend.ts';
import { tf } from '../../lib/tf.ts';
import { createDenoiser, DENOISER_PRESETS } from '../../lib/diffusion/denoisers/index.ts';
import { lossAndGrads } from '../../lib/nn/optim.ts';
import { Rng } from '../../lib/util/rng.ts';

await initBackend('wasm', { quiet: true });
const d = createDenoiser(DENOISER_PRESETS.small, 3);
const x = tf.tensor2d(new Rng(4).normals(4 * 64), [4, 64]);
const t = tf.tensor1d([0, 250, 600, 999], 'int32');
const hash = (arrays: Float32Array[]) => { const h = createHash('sha256'); for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)); return h.digest('hex'); };
const y = d.apply(x, t);
const forward = hash([await y.data() as Float32Array]);
const { loss, grads } = lossAndGrads(d.params, () => tf.mean(tf.square(d.apply(x, t))) as tf.Scalar);
const g = await Promise.all(d.params.names().map(async (k) => await grads[k].data() as Float32Array));
process.stdout.write(JSON.stringify({ threads: backendThreads(), forward, grads: hash(g) }) + '\n');
tf.dispose([x, t, y, loss, ...Object.values(grads)]);
d.dispose();
