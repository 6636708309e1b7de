// Diffusion-Link (Nam, Choi, Lee, Heo, Chung; arXiv 2510.11330): a diffusion module, "a lightweight
// network with three residual MLP blocks", trained on PAIRED audio-text embeddings of a frozen
// encoder to map audio embeddings into the text-embedding distribution. Published: the abstract
// (three residual MLP blocks, paired training on the encoder's output embeddings, evaluation by
// gap reduction and audio captioning); secondary summaries name a "cross-sample prediction loss"
// and a "topology loss" that keeps the text space's geometry. Not published: widths, schedule,
// step counts, loss definitions, the inference start point, code. What this file does instead
// (each an option, recorded in the checkpoint's config):
//   network   lib/diffusion's ResMLP (3 blocks; width as the harness's diffusion model), inside the
//             same DiffusionModel as Diffusion Bridge (schedule, objective, radius re-normalisation
//             of the run's variant), so bridging code is shared: modality is data.
//   losses    on the unit scale (x̂0/C), per pair (t ~ U{0..T-1}, fresh noise):
//               self   ||x̂0(q(z_text, t)) - z_text||²        the text DDPM (as Diffusion Bridge)
//               cross  ||x̂0(q(z_audio, t)) - z_text||²       "cross-sample prediction": the noised
//                                                            AUDIO embedding predicts its paired TEXT
//               topo   mean over batch pairs (i, j) of (cos(x̂0_i, x̂0_j) - cos(z_text_i, z_text_j))²
//                                                            of the cross predictions: "topology"
//             total = selfWeight·self + crossWeight·cross + topoWeight·topo (defaults 1, 1, 1).
//   inference the audio embedding is preprocessed with the audio mean, forward-noised to step M and
//             denoised with DDIM (lib/diffusion augmentEmbeddings: q_sample at M, then DDIM from M),
//             `inject: 'noise'`; `inject: 'direct'` uses it as x_M without noise (as Diffusion
//             Bridge does). M is an option (the run's default is the dataset's M).
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { DiffusionModel, augmentEmbeddings, bridgeEmbeddings, coefsAt, diffusionConfig, predict, qSampleWith, type DiffusionConfig, type Variant } from '../diffusion/index.ts';
import type { ResMLPConfig } from '../diffusion/denoisers/types.ts';
import { gaussianRows } from '../diffusion/sampling.ts';
import { l2Normalize } from '../embeddings/normalize.ts';
import { matMul2d } from '../nn/index.ts';
import { DbridgeError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { type PairedEmbeddings, type PairedTrainConfig, trainPaired } from './pairs.ts';

export interface DiffusionLinkConfig {
  /** Residual MLP width and blocks (Diffusion-Link: 3 blocks). */
  width: number;
  blocks: number;
  timeDim: number;
  selfWeight: number;
  crossWeight: number;
  topoWeight: number;
  train: PairedTrainConfig;
}

export const DEFAULT_DIFFUSION_LINK: DiffusionLinkConfig = {
  width: 256, blocks: 3, timeDim: 128, selfWeight: 1, crossWeight: 1, topoWeight: 1,
  train: { steps: 1000, batchSize: 64, lr: 1e-3, clipGradNorm: 1, checkpointEvery: 500 },
};

export interface DiffusionLinkInference {
  /** Start step of the reverse process. */
  M: number;
  /** DDIM steps. */
  steps: number;
  /** 'noise': q_sample the audio embedding to M first (default); 'direct': use it as x_M. */
  inject: 'noise' | 'direct';
  seed: number;
  batchSize?: number;
}

function validate(c: DiffusionLinkConfig): void {
  for (const k of ['selfWeight', 'crossWeight', 'topoWeight'] as const) {
    if (!(c[k] >= 0)) throw new DbridgeError(`Diffusion-Link: ${k} must be >= 0, got ${c[k]}`);
  }
  if (c.crossWeight === 0) throw new DbridgeError('Diffusion-Link: crossWeight 0 leaves no paired loss (that is Diffusion Bridge)');
}

/** Cosine-similarity matrix of the rows of x [B, d]. */
function cosineMatrix(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const u = l2Normalize(x) as tf.Tensor2D;
    return matMul2d(u, tf.transpose(u) as tf.Tensor2D) as tf.Tensor2D;
  });
}

/** Diffusion-Link's batch loss (see the header) for a model and a batch of preprocessed pairs. */
export function diffusionLinkLoss(model: DiffusionModel, c: DiffusionLinkConfig, batch: { text: tf.Tensor2D; media: tf.Tensor2D }, rng: Rng): tf.Scalar {
  return tf.tidy(() => {
    const [B, d] = batch.text.shape;
    const T = model.schedule.T;
    const t = Array.from({ length: B }, () => rng.int(T));
    const C = model.radius;
    const coefs = coefsAt(model.schedule, t);
    const noisy = (x: tf.Tensor2D, seed: number) => qSampleWith(x, tf.tensor2d(gaussianRows(seed, B, d), [B, d]), coefs) as tf.Tensor2D;
    const sq = (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.sum(tf.square(tf.div(tf.sub(a, b), C)), 1));
    const seedSelf = rng.nextU32(), seedCross = rng.nextU32();
    const cross = predict(model, noisy(batch.media, seedCross), t).predX0;
    let loss = tf.mul(sq(cross, batch.text), c.crossWeight);
    if (c.selfWeight > 0) loss = tf.add(loss, tf.mul(sq(predict(model, noisy(batch.text, seedSelf), t).predX0, batch.text), c.selfWeight));
    if (c.topoWeight > 0) loss = tf.add(loss, tf.mul(tf.mean(tf.square(tf.sub(cosineMatrix(cross), cosineMatrix(batch.text)))), c.topoWeight));
    return loss as tf.Scalar;
  });
}

/** The DiffusionModel config of a Diffusion-Link network on vectors of length d. */
export function diffusionLinkModelConfig(c: DiffusionLinkConfig, d: number, variant: Variant): DiffusionConfig {
  const denoiser: ResMLPConfig = { kind: 'resmlp', length: d, width: c.width, blocks: c.blocks, timeDim: c.timeDim };
  return diffusionConfig(denoiser, variant);
}

/**
 * Trains Diffusion-Link on paired train embeddings; checkpoints in <outDir>/train, the finished
 * model as a DiffusionModel folder in <outDir>/model (returned).
 */
export async function trainDiffusionLink(pairs: PairedEmbeddings, opts: { config?: Partial<DiffusionLinkConfig>; variant: Variant; seed: number; outDir: string; quiet?: boolean }): Promise<{ dir: string; loss: number; seconds: number; stepsPerSecond: number }> {
  const c: DiffusionLinkConfig = { ...DEFAULT_DIFFUSION_LINK, ...opts.config, train: { ...DEFAULT_DIFFUSION_LINK.train, ...opts.config?.train } };
  validate(c);
  const model = DiffusionModel.create(diffusionLinkModelConfig(c, pairs.d, opts.variant), opts.seed);
  try {
    const r = await trainPaired({
      params: model.denoiser.params, pairs, train: c.train, seed: opts.seed, label: 'train-diffusion-link', outDir: join(opts.outDir, 'train'),
      config: { method: 'diffusion-link', link: c, model: model.config }, quiet: opts.quiet,
      loss: (batch, rng) => diffusionLinkLoss(model, c, batch, rng),
    });
    const dir = join(opts.outDir, 'model');
    await model.save(dir, { state: { step: c.train.steps }, meta: { train: { method: 'diffusion-link', ...c, seed: opts.seed } } });
    return { dir, loss: r.loss, seconds: r.seconds, stepsPerSecond: r.stepsPerSecond };
  } finally { model.dispose(); }
}

/** Maps raw audio embeddings [n, d] to unit-norm text-like embeddings (see the header's inference). */
export async function applyDiffusionLink(model: DiffusionModel, audioRaw: Float32Array, n: number, d: number, audioMean: Float32Array, o: DiffusionLinkInference): Promise<Float32Array> {
  if (o.inject === 'direct') return bridgeEmbeddings(model, audioRaw, n, d, audioMean, { M: o.M, steps: o.steps, batchSize: o.batchSize });
  if (o.inject !== 'noise') throw new DbridgeError(`Diffusion-Link: inject must be 'noise' or 'direct', got '${String(o.inject)}'`);
  return augmentEmbeddings(model, audioRaw, n, d, audioMean, { A: o.M, steps: o.steps, seed: o.seed, batchSize: o.batchSize });
}
