// What the samplers and the loss need from a diffusion model: the denoiser, the schedule, the
// objective and the official "radius re-normalisation" flag (GaussianDiffusion1D_norm feeds the
// network C·normalize(x_t) instead of x_t, in training and in DDIM bridging). DiffusionModel
// (model.ts) implements it; tests plug in a replay denoiser.
import { tf } from '../tf.ts';
import type { Denoiser } from './denoisers/types.ts';
import type { NoiseSchedule } from './schedule.ts';
import { type Objective, type Predictions, coefsAt, modelPredictions } from './objectives.ts';
import { l2Normalize } from '../embeddings/normalize.ts';
import { DbridgeError } from '../util/errors.ts';

export interface DiffusionCore {
  readonly denoiser: Denoiser;
  readonly schedule: NoiseSchedule;
  readonly objective: Objective;
  /** Feed the network radius·x/‖x‖ instead of x (official: true). */
  readonly renormalize: boolean;
  /** The radius C of preprocessed embeddings (official: 5). */
  readonly radius: number;
}

/** Vector length L the denoiser works on. */
export function vectorLength(core: DiffusionCore): number {
  return core.denoiser.config.length;
}

export function checkInput(core: DiffusionCore, x: tf.Tensor, what = 'input'): void {
  const L = vectorLength(core);
  if (x.rank !== 2) throw new DbridgeError(`${what}: expected a matrix [N, ${L}], got shape [${x.shape}]`);
  if (x.shape[1] !== L) throw new DbridgeError(`${what}: vectors have dimension ${x.shape[1]}, the diffusion model works on dimension ${L}`);
}

/** The network input for state x: radius·normalize(x) when `renormalize`, else x itself (a copy). */
export function networkInput(core: DiffusionCore, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => (core.renormalize ? l2Normalize(x, core.radius) : x.clone()));
}

/** Runs the network at timestep(s) t on an already prepared input. */
export function applyNetwork(core: DiffusionCore, xIn: tf.Tensor2D, t: number | readonly number[]): tf.Tensor2D {
  return tf.tidy(() => {
    return core.denoiser.apply(xIn, typeof t === 'number' ? t : Int32Array.from(t));
  });
}

export interface StepPrediction extends Predictions {
  /** What the network received (x itself, or its re-normalised copy). */
  xIn: tf.Tensor2D;
}

/** Network input, network call and conversion to (ε̂, x̂0) at timestep(s) t (official model_predictions on the renormalised input). */
export function predict(core: DiffusionCore, x: tf.Tensor2D, t: number | readonly number[], clipX0: number | null = null): StepPrediction {
  return tf.tidy(() => {
    const xIn = networkInput(core, x);
    const out = applyNetwork(core, xIn, t);
    const p = modelPredictions(core.objective, xIn, out, coefsAt(core.schedule, t), clipX0);
    return { xIn, predNoise: p.predNoise, predX0: p.predX0 };
  });
}
