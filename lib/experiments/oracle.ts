// The oracle row `oracle:posterior-bridge`: bridging with the exact posterior mean of x0 over the
// train texts in place of the network. A denoiser trained to convergence on a finite set of texts
// {z_i} (all at radius C) predicts E[x0 | x_t] = sum_i w_i z_i with
//   w_i = softmax_i( (sqrt(ᾱ_t) x_t·z_i - ᾱ_t |z_i|² / 2) / (1 - ᾱ_t) )   (x_t ~ N(sqrt(ᾱ_t) z_i, (1-ᾱ_t) I)),
// so this is what a perfectly trained (minimum-MSE) denoiser would do; the row shows what better
// denoiser training could change at each M. It need not caption best: at large t the posterior
// mean averages many texts, and DDIM's few steps can end near generic ("hub") texts. It plugs into
// the same DDIM grid as the network (it implements the Denoiser interface and returns what the
// model's objective expects). When the model re-normalises its
// input (official variant: the network sees C·normalize(x_t)), the posterior is taken at
// trainingRadius(t)·normalize(x), the norm x_t has at step t in training (for large L, x_t's norm
// concentrates there, so this is the posterior given the direction the network sees).
import { tf } from '../tf.ts';
import { ParamStore } from '../nn/index.ts';
import { DbridgeError } from '../util/errors.ts';
import { l2Normalize } from '../embeddings/normalize.ts';
import type { DiffusionCore } from '../diffusion/core.ts';
import type { Denoiser, DenoiserConfig } from '../diffusion/denoisers/types.ts';
import { coefsAt, predictNoiseFromStart, predictV } from '../diffusion/objectives.ts';
import { trainingRadius } from '../diffusion/sampling.ts';
import { bridgeEmbeddings } from '../diffusion/host.ts';

type CoreShape = Pick<DiffusionCore, 'schedule' | 'objective' | 'renormalize' | 'radius'>;

export class PosteriorMeanDenoiser implements Denoiser {
  readonly params = new ParamStore();
  private readonly z: tf.Tensor2D;
  private readonly zT: tf.Tensor2D;
  private readonly sqNorms: tf.Tensor2D;

  /** texts: [n, L] preprocessed train text embeddings (radius C); config: the replaced network's (for its length L). */
  constructor(readonly config: DenoiserConfig, texts: Float32Array, n: number, private readonly core: CoreShape) {
    const L = config.length;
    if (texts.length !== n * L || n < 1) throw new DbridgeError(`posterior-mean denoiser: ${texts.length} values are not ${n} texts of dimension ${L}`);
    this.z = tf.tensor2d(texts, [n, L]);
    this.zT = tf.tidy(() => tf.transpose(this.z) as tf.Tensor2D); // wasm's transposed matMul is slow: transpose once
    this.sqNorms = tf.tidy(() => tf.sum(tf.square(this.z), 1).reshape([1, n]) as tf.Tensor2D);
  }

  /** E[x0 | x_t = x] over the texts, x: [B, L] at timestep t. */
  posteriorMean(x: tf.Tensor2D, t: number): tf.Tensor2D {
    return tf.tidy(() => {
      const a2 = this.core.schedule.alphasCumprod64[t];
      const s2 = 1 - a2;
      const logits = tf.div(tf.sub(tf.mul(tf.matMul(x, this.zT), Math.sqrt(a2)), tf.mul(this.sqNorms, a2 / 2)), s2);
      return tf.matMul(tf.softmax(logits, -1), this.z) as tf.Tensor2D;
    });
  }

  apply(xIn: tf.Tensor2D, tIn: tf.Tensor1D | number | Int32Array): tf.Tensor2D {
    // DDIM sampling calls with one timestep for the whole batch
    const t = tIn instanceof Int32Array && tIn.every((v) => v === tIn[0]) ? tIn[0] : tIn;
    if (typeof t !== 'number') throw new DbridgeError('posterior-mean denoiser: one timestep per call (DDIM sampling), not a batch of timesteps');
    return tf.tidy(() => {
      const xt = this.core.renormalize ? l2Normalize(xIn, trainingRadius(this.core, t, this.config.length)) : xIn;
      const x0 = this.posteriorMean(xt, t);
      if (this.core.objective === 'pred_x0') return x0;
      const c = coefsAt(this.core.schedule, t);
      // the conversions of modelPredictions run on xIn: return what gives back exactly x0 there
      const eps = predictNoiseFromStart(xIn, x0, c) as tf.Tensor2D;
      return (this.core.objective === 'pred_noise' ? eps : predictV(x0, eps, c)) as tf.Tensor2D;
    });
  }

  dispose(): void {
    tf.dispose([this.z, this.zT, this.sqNorms]);
    this.params.dispose();
  }
}

/**
 * Oracle bridging of raw image rows [n, d]: preprocess with the image mean, then the model's DDIM
 * from M with the posterior mean over `texts` (preprocessed, radius C, [nText, d]) as the denoiser;
 * unit-norm rows, exactly as bridgeEmbeddings returns them for the network.
 */
export async function oracleBridgeEmbeddings(model: DiffusionCore, texts: Float32Array, nText: number, raw: Float32Array, n: number, d: number,
  imageMean: Float32Array, opts: { M: number; steps: number; batchSize?: number; progress?: boolean }): Promise<Float32Array> {
  const den = new PosteriorMeanDenoiser(model.denoiser.config, texts, nText, model);
  try {
    const core: DiffusionCore = { denoiser: den, schedule: model.schedule, objective: model.objective, renormalize: model.renormalize, radius: model.radius };
    // runs on this thread: 'auto' workers (chooseWorkers) choose 1 for a denoiser the workers cannot rebuild
    return await bridgeEmbeddings(core, raw, n, d, imageMean, { M: opts.M, steps: opts.steps, batchSize: opts.batchSize ?? 128, progress: opts.progress });
  } finally { den.dispose(); }
}
