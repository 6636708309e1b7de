// The training loss (official GaussianDiffusion1D_norm.p_losses): x_t = q_sample(z0, t, ε); the
// network sees radius·normalize(x_t) when the model re-normalises (official) or x_t (paper);
// per-sample mean of (out − target)² over the vector, times the float32 loss weight at t (SNR for
// pred_x0, 1 for pred_noise, SNR/(SNR+1) for pred_v), mean over the batch.
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';
import { type DiffusionCore, applyNetwork, checkInput, networkInput } from './core.ts';
import { coefsAt, objectiveTarget } from './objectives.ts';
import { qSampleWith } from './objectives.ts';

export interface LossParts {
  /** The scalar loss. */
  loss: tf.Scalar;
  /** What the network received [B, L]. */
  xIn: tf.Tensor2D;
  /** The network output [B, L]. */
  out: tf.Tensor2D;
}

/** Loss and its parts (for inspection and parity tests); the caller disposes all three. */
export function diffusionLossParts(core: DiffusionCore, z0: tf.Tensor2D, t: readonly number[], noise: tf.Tensor2D, weights: Float32Array): LossParts {
  checkInput(core, z0, 'diffusionLoss z0');
  if (noise.shape.join() !== z0.shape.join()) throw new DbridgeError(`diffusionLoss: noise shape [${noise.shape}] differs from z0 shape [${z0.shape}]`);
  if (t.length !== z0.shape[0]) throw new DbridgeError(`diffusionLoss: ${t.length} timesteps for a batch of ${z0.shape[0]}`);
  if (weights.length !== core.schedule.T) throw new DbridgeError(`diffusionLoss: ${weights.length} loss weights for T = ${core.schedule.T}`);
  return tf.tidy(() => {
    const c = coefsAt(core.schedule, t);
    const xt = qSampleWith(z0, noise, c) as tf.Tensor2D;
    const xIn = networkInput(core, xt);
    const out = applyNetwork(core, xIn, t);
    const target = objectiveTarget(core.objective, z0, noise, c);
    const perSample = rowMean(tf.square(tf.sub(out, target)) as tf.Tensor2D);
    const w = tf.tensor1d(Float32Array.from(t, (v) => weights[v]));
    const loss = tf.mean(tf.mul(perSample, w)) as tf.Scalar;
    return { loss, xIn, out };
  });
}

/**
 * Mean over each row with a pairwise (tree) sum, so that float32 rounding stays close to torch's
 * accurate cascade reduction: a sequential sum differs from the official loss by a few ulps of
 * the per-sample MSE, which the SNR weight of up to 2.4e4 at t = 0 magnifies to ~1e-4 absolute.
 */
function rowMean(x: tf.Tensor2D): tf.Tensor1D {
  const [B, L] = x.shape;
  let y: tf.Tensor = x;
  let n = L;
  while (n > 1 && n % 2 === 0) { y = tf.sum(y.reshape([B, n / 2, 2]), 2); n /= 2; }
  const s = n > 1 ? tf.sum(y, 1) : y.reshape([B]);
  return tf.div(s, L) as tf.Tensor1D;
}

/** The scalar training loss (differentiable with respect to the denoiser's parameters). */
export function diffusionLoss(core: DiffusionCore, z0: tf.Tensor2D, t: readonly number[], noise: tf.Tensor2D, weights: Float32Array): tf.Scalar {
  return tf.tidy(() => diffusionLossParts(core, z0, t, noise, weights).loss);
}
