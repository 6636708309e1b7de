// Small shared training problems for the harness tests: clustered data on the radius-5 sphere for
// the small Unet1D, and a train function the kill test also runs in a child process.
import { DiffusionModel, diffusionConfig, trainDiffusion, type TrainOptions } from '../../lib/diffusion/index.ts';
import { DENOISER_PRESETS } from '../../lib/diffusion/denoisers/index.ts';
import { preprocessRows } from '../../lib/embeddings/index.ts';
import { Rng } from '../../lib/util/rng.ts';

export const L = 64;
export const N = 32;

export function clusteredData(): Float32Array {
  const rng = new Rng(21);
  const centers = rng.normals(4 * L);
  const raw = new Float32Array(N * L);
  for (let i = 0; i < N; i++) for (let j = 0; j < L; j++) raw[i * L + j] = centers[(i % 4) * L + j] + 0.1 * rng.normal();
  return preprocessRows(raw, N, L, new Float32Array(L));
}

/** Trains the small Unet1D (seed-0 weights) on clusteredData and returns the model (caller disposes). */
export async function trainSmall(opts: TrainOptions): Promise<DiffusionModel> {
  const m = DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS.small), 'official'), 0);
  await trainDiffusion(m, clusteredData(), N, { batchSize: 8, lr: 3e-3, logEvery: 2, emaEvery: 1, emaAfterStep: 1, progress: false, ...opts });
  return m;
}
