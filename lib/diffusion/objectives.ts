// What the network predicts and how to convert between predictions (official
// GaussianDiffusion1D_norm: predict_start_from_noise, predict_noise_from_start, predict_v,
// predict_start_from_v, model_predictions), on [B, L] tensors with per-step coefficients taken
// from the float32 schedule buffers. A coefficient is a number (one timestep for the whole batch)
// or a [B, 1] tensor (one per row). Operation order follows the official code, so float32 results
// agree to rounding.
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';
import type { NoiseSchedule } from './schedule.ts';
import { checkStep } from './schedule.ts';

export const OBJECTIVES = ['pred_noise', 'pred_x0', 'pred_v'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export function checkObjective(o: string): asserts o is Objective {
  if (!(OBJECTIVES as readonly string[]).includes(o)) throw new DbridgeError(`unknown objective '${o}' (choose ${OBJECTIVES.join(', ')})`);
}

export type Coef = number | tf.Tensor;

/** The schedule's coefficients at timestep(s) t. */
export interface StepCoefs {
  sqrtAlphasCumprod: Coef;
  sqrtOneMinusAlphasCumprod: Coef;
  sqrtRecipAlphasCumprod: Coef;
  sqrtRecipm1AlphasCumprod: Coef;
}

/**
 * Coefficients at t: numbers for a single timestep, [B, 1] float32 tensors for an array of B
 * timesteps (the caller disposes them, or calls this inside tf.tidy).
 */
export function coefsAt(s: NoiseSchedule, t: number | readonly number[]): StepCoefs {
  const b = s.f32;
  if (typeof t === 'number') {
    checkStep(s, t);
    return {
      sqrtAlphasCumprod: b.sqrtAlphasCumprod[t], sqrtOneMinusAlphasCumprod: b.sqrtOneMinusAlphasCumprod[t],
      sqrtRecipAlphasCumprod: b.sqrtRecipAlphasCumprod[t], sqrtRecipm1AlphasCumprod: b.sqrtRecipm1AlphasCumprod[t],
    };
  }
  for (const v of t) checkStep(s, v);
  const col = (buf: Float32Array) => tf.tensor2d(Float32Array.from(t, (v) => buf[v]), [t.length, 1]);
  return {
    sqrtAlphasCumprod: col(b.sqrtAlphasCumprod), sqrtOneMinusAlphasCumprod: col(b.sqrtOneMinusAlphasCumprod),
    sqrtRecipAlphasCumprod: col(b.sqrtRecipAlphasCumprod), sqrtRecipm1AlphasCumprod: col(b.sqrtRecipm1AlphasCumprod),
  };
}

const mul = (x: tf.Tensor, c: Coef) => tf.mul(x, c as tf.Tensor);

/** x0 = sqrt(1/ᾱ)·x_t − sqrt(1/ᾱ − 1)·ε */
export function predictStartFromNoise(xt: tf.Tensor, eps: tf.Tensor, c: StepCoefs): tf.Tensor {
  return tf.tidy(() => tf.sub(mul(xt, c.sqrtRecipAlphasCumprod), mul(eps, c.sqrtRecipm1AlphasCumprod)));
}

/** ε = (sqrt(1/ᾱ)·x_t − x0) / sqrt(1/ᾱ − 1) */
export function predictNoiseFromStart(xt: tf.Tensor, x0: tf.Tensor, c: StepCoefs): tf.Tensor {
  return tf.tidy(() => tf.div(tf.sub(mul(xt, c.sqrtRecipAlphasCumprod), x0), c.sqrtRecipm1AlphasCumprod as tf.Tensor));
}

/** v = sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0 */
export function predictV(x0: tf.Tensor, eps: tf.Tensor, c: StepCoefs): tf.Tensor {
  return tf.tidy(() => tf.sub(mul(eps, c.sqrtAlphasCumprod), mul(x0, c.sqrtOneMinusAlphasCumprod)));
}

/** x0 = sqrt(ᾱ)·x_t − sqrt(1−ᾱ)·v */
export function predictStartFromV(xt: tf.Tensor, v: tf.Tensor, c: StepCoefs): tf.Tensor {
  return tf.tidy(() => tf.sub(mul(xt, c.sqrtAlphasCumprod), mul(v, c.sqrtOneMinusAlphasCumprod)));
}

/** q(x_t | x0): sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε */
export function qSampleWith(x0: tf.Tensor, eps: tf.Tensor, c: StepCoefs): tf.Tensor {
  return tf.tidy(() => tf.add(mul(x0, c.sqrtAlphasCumprod), mul(eps, c.sqrtOneMinusAlphasCumprod)));
}

export interface Predictions {
  predNoise: tf.Tensor2D;
  predX0: tf.Tensor2D;
}

/**
 * Official model_predictions: from the network output for input x_t, both the predicted noise and
 * the predicted x0. `clipX0` clamps x0 to [-clipX0, clipX0] (the official default for images is
 * 1; the bridge never clips) and re-derives ε from the clamped x0 for pred_x0/pred_v.
 */
export function modelPredictions(objective: Objective, xt: tf.Tensor2D, out: tf.Tensor2D, c: StepCoefs, clipX0: number | null = null): Predictions {
  return tf.tidy(() => {
    const clip = (x: tf.Tensor) => (clipX0 === null ? x : tf.clipByValue(x, -clipX0, clipX0));
    let predX0: tf.Tensor, predNoise: tf.Tensor;
    if (objective === 'pred_noise') {
      predNoise = out;
      predX0 = clip(predictStartFromNoise(xt, out, c));
    } else if (objective === 'pred_x0') {
      predX0 = clip(out);
      predNoise = predictNoiseFromStart(xt, predX0, c);
    } else if (objective === 'pred_v') {
      predX0 = clip(predictStartFromV(xt, out, c));
      predNoise = predictNoiseFromStart(xt, predX0, c);
    } else throw new DbridgeError(`unknown objective '${String(objective)}'`);
    // out may be returned as is: clone so the caller owns distinct tensors
    return { predNoise: (predNoise === out ? out.clone() : predNoise) as tf.Tensor2D, predX0: (predX0 === out ? out.clone() : predX0) as tf.Tensor2D };
  });
}

/** The regression target of an objective for clean x0 and noise ε. */
export function objectiveTarget(objective: Objective, x0: tf.Tensor2D, eps: tf.Tensor2D, c: StepCoefs): tf.Tensor2D {
  return tf.tidy(() => {
    switch (objective) {
      case 'pred_noise': return eps.clone();
      case 'pred_x0': return x0.clone();
      case 'pred_v': return predictV(x0, eps, c) as tf.Tensor2D;
      default: throw new DbridgeError(`unknown objective '${String(objective)}'`);
    }
  });
}
