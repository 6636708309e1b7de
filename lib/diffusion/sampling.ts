// Samplers (docs/spec.md §2, §3; official ddim_sample_with_img, ddim_sample, p_sample_loop and the
// make_dataset_with_diffusion_{vision,text}.py scripts):
//  - ddimSample: deterministic (eta = 0) or stochastic DDIM from a given x_M over the official
//    time grid; the network sees the re-normalised state when the model says so.
//  - bridge: the image (audio, ...) embedding is used directly as x_M — no forward noising — then
//    DDIM; the result is L2-normalised to unit norm (what the official caller feeds the decoder).
//    Without radius re-normalisation (the paper variant) the network never sees the radius-C input
//    at step M in training: there x_t = sqrt(ᾱ_t) z0 + sqrt(1-ᾱ_t) ε has norm about
//    sqrt(ᾱ_t C² + (1-ᾱ_t) L) (trainingRadius), ~13 at t = 600, L = 256. So x_M is rescaled to that
//    radius at the first network step (startRadius 'matched', the default without re-normalisation;
//    the official variant feeds C·normalize(x) anyway, where the start radius changes nothing).
//  - augment: z_A = q_sample(z0, A) with fresh noise, then DDIM from M = A: noise is added at
//    ᾱ[A] but denoising starts at A-1, the official off-by-one (`noiseStep` changes it).
//  - ddpmSample: ancestral sampling from pure noise through all T steps (teaching; not used by
//    the method).
// Divergence: with eta > 0 the official ddim_sample_with_img drops the σ·noise term and uses
// c = sqrt(1-ᾱ_next); here eta > 0 is proper DDIM (σ from eta, noise added). At eta = 0 (the only
// value the official code uses) both are the same arithmetic.
import { tf } from '../tf.ts';
import { Rng } from '../util/rng.ts';
import { DbridgeError } from '../util/errors.ts';
import { l2Normalize } from '../embeddings/normalize.ts';
import { type DiffusionCore, checkInput, predict, vectorLength } from './core.ts';
import { coefsAt, qSampleWith } from './objectives.ts';
import { checkStep } from './schedule.ts';
import { ddimTimePairs } from './timesteps.ts';

const f = Math.fround;

/** Per-call record of a DDIM run (filled when passed in the options; host copies). */
export interface DdimTrace {
  t: number[];
  xIn: Float32Array[];
  predX0: Float32Array[];
}

export interface DdimOptions {
  /** Start step M: x is taken as x_M and the first network call is at t = M-1. */
  M: number;
  /** Number of DDIM steps S (network calls). */
  steps: number;
  /** DDIM eta (default 0: deterministic, the official setting). */
  eta?: number;
  /** Seed of the noise added when eta > 0 (default 0). */
  seed?: number;
  /** Clamp x̂0 to [-clipX0, clipX0] (default null: never, as the official bridge). */
  clipX0?: number | null;
  /**
   * Filled with what the network received and returned at each call: a diagnostic (tests, the
   * teaching notebook) that reads every step synchronously, so only on CPU backends (not webgpu).
   */
  trace?: DdimTrace;
}

/** n×d standard normals where row i comes from Rng(seed).fork(rowOffset + i): independent of batching. */
export function gaussianRows(seed: number, n: number, d: number, rowOffset = 0): Float32Array {
  const root = new Rng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) out.set(root.fork(rowOffset + i).normals(d), i * d);
  return out;
}

function checkFiniteOption(v: number, name: string): void {
  if (!Number.isFinite(v) || v < 0) throw new DbridgeError(`${name} must be a non-negative number, got ${v}`);
}

/**
 * DDIM from x_M down to x̂0 over the pairs of ddimTimePairs(M, S). Returns the final state, not
 * normalised (official ddim_sample_with_img). x: [N, L].
 */
export function ddimSample(core: DiffusionCore, x: tf.Tensor2D, opts: DdimOptions): tf.Tensor2D {
  checkInput(core, x, 'ddimSample');
  const { M, steps } = opts;
  const eta = opts.eta ?? 0;
  checkFiniteOption(eta, 'eta');
  if (!Number.isInteger(M) || M < 1 || M > core.schedule.T) throw new DbridgeError(`M must be an integer in [1, ${core.schedule.T}], got ${M}`);
  if (opts.trace && tf.getBackend() === 'webgpu') throw new DbridgeError('a DDIM trace reads every step synchronously: run it on the wasm or cpu backend, not webgpu');
  const pairs = ddimTimePairs(M, steps);
  const ac = core.schedule.f32.alphasCumprod;
  const [n, d] = x.shape;
  const rng = new Rng(opts.seed ?? 0);
  let cur = x.clone();
  pairs.forEach(([t, tn], k) => {
    const next = tf.tidy(() => {
      const p = predict(core, cur, t, opts.clipX0 ?? null);
      if (opts.trace) {
        opts.trace.t.push(t);
        opts.trace.xIn.push(p.xIn.dataSync() as Float32Array);
        opts.trace.predX0.push(p.predX0.dataSync() as Float32Array);
      }
      if (tn < 0) return p.predX0;
      const a = ac[t], an = ac[tn];
      // float32 arithmetic in the official order
      const sigma = eta === 0 ? 0 : f(eta * f(Math.sqrt(f(f(f(1 - f(a / an)) * f(1 - an)) / f(1 - a)))));
      const c = f(Math.sqrt(f(f(1 - an) - f(sigma * sigma))));
      let y = tf.add(tf.mul(p.predX0, f(Math.sqrt(an))), tf.mul(c, p.predNoise));
      if (sigma > 0) y = tf.add(y, tf.mul(sigma, tf.tensor2d(rng.fork(k).normals(n * d), [n, d])));
      return y as tf.Tensor2D;
    });
    cur.dispose();
    cur = next;
  });
  return cur;
}

export interface BridgeOptions {
  /** Start step M (official: 600 for MSCOCO, 400 for Flickr30K). */
  M: number;
  /** DDIM steps (official variant 5, paper variant 12). */
  steps: number;
  eta?: number;
  seed?: number;
  /** L2-normalise the result to unit norm (default true, as the official caller does). */
  normalizeOutput?: boolean;
  /**
   * Norm of x_M: 'input' keeps the preprocessed embedding's (radius C); 'matched' rescales it to
   * trainingRadius at the first network step t = M-1. Default: 'matched' when the model does not
   * re-normalise its input (paper variant), else 'input' (the official code; the same numbers).
   */
  startRadius?: 'input' | 'matched';
  trace?: DdimTrace;
}

/**
 * Expected norm of a training state x_t = sqrt(ᾱ_t) z0 + sqrt(1-ᾱ_t) ε with |z0| = C and ε ~ N(0, I_L):
 * sqrt(ᾱ_t C² + (1-ᾱ_t) L) (the root of E|x_t|²; |x_t| concentrates there for large L).
 */
export function trainingRadius(core: Pick<DiffusionCore, 'schedule' | 'radius'>, t: number, L: number): number {
  checkStep(core.schedule, t);
  const a = core.schedule.alphasCumprod64[t];
  return Math.sqrt(a * core.radius * core.radius + (1 - a) * L);
}

/**
 * Diffusion bridging (docs/spec.md §2): x is a preprocessed embedding (radius C, other modality's mean
 * removed) used directly as x_M; DDIM to x̂0; unit-norm result. x: [N, L] -> [N, L].
 */
export function bridge(core: DiffusionCore, x: tf.Tensor2D, opts: BridgeOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const matched = (opts.startRadius ?? (core.renormalize ? 'input' : 'matched')) === 'matched';
    const xM = matched ? l2Normalize(x, trainingRadius(core, Math.max(0, opts.M - 1), x.shape[1])) : x;
    const raw = ddimSample(core, xM, { M: opts.M, steps: opts.steps, eta: opts.eta, seed: opts.seed, trace: opts.trace });
    return opts.normalizeOutput === false ? raw : l2Normalize(raw);
  });
}

/** q_sample: sqrt(ᾱ_t)·x0 + sqrt(1-ᾱ_t)·ε with the float32 buffers; t a number or one per row. */
export function qSample(core: Pick<DiffusionCore, 'schedule'>, x0: tf.Tensor2D, t: number | readonly number[], noise: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    if (noise.shape.join() !== x0.shape.join()) throw new DbridgeError(`qSample: noise shape [${noise.shape}] differs from x0 shape [${x0.shape}]`);
    if (typeof t !== 'number' && t.length !== x0.shape[0]) throw new DbridgeError(`qSample: ${t.length} timesteps for ${x0.shape[0]} rows`);
    return qSampleWith(x0, noise, coefsAt(core.schedule, t)) as tf.Tensor2D;
  });
}

export interface AugmentOptions {
  /** Forward-noising step A (official: 400). */
  A: number;
  /** DDIM steps (official: 5). */
  steps: number;
  /** Seed of the forward noise (row i uses Rng(seed).fork(rowOffset + i)). */
  seed: number;
  /** Index of the first row in a larger set (so batching does not change the noise). Default 0. */
  rowOffset?: number;
  /** Timestep of ᾱ used for the forward noise; default A (official off-by-one: DDIM then starts at A-1). */
  noiseStep?: number;
  /** Explicit noise [N, L] instead of the seeded draw. */
  noise?: tf.Tensor2D;
  eta?: number;
  normalizeOutput?: boolean;
  trace?: DdimTrace;
}

/**
 * Diffusion augmentation of preprocessed text embeddings (docs/spec.md §3): z_A = q_sample(z0, A), then
 * DDIM from M = A; unit-norm result. z0: [N, L] on the radius-C sphere.
 */
export function augment(core: DiffusionCore, z0: tf.Tensor2D, opts: AugmentOptions): tf.Tensor2D {
  checkInput(core, z0, 'augment');
  const noiseStep = opts.noiseStep ?? opts.A;
  checkStep(core.schedule, noiseStep, 'augmentation step A (forward noise)');
  return tf.tidy(() => {
    const [n, d] = z0.shape;
    const noise = opts.noise ?? tf.tensor2d(gaussianRows(opts.seed, n, d, opts.rowOffset ?? 0), [n, d]);
    const zA = qSample(core, z0, noiseStep, noise);
    return bridge(core, zA, { M: opts.A, steps: opts.steps, eta: opts.eta, seed: opts.seed, normalizeOutput: opts.normalizeOutput, trace: opts.trace });
  });
}

export interface DdpmSampleOptions {
  seed: number;
  /** Clamp x̂0 (official p_sample default for images: 1; default here null = never). */
  clipX0?: number | null;
  /** Called after each step with the step index (for progress). */
  onStep?: (t: number) => void;
}

/**
 * Ancestral DDPM sampling from pure noise through t = T-1 .. 0 (official p_sample_loop):
 * x_{t-1} = μ̃(x̂0, x_t) + exp(½ log σ̃²)·z, no noise at t = 0. Returns n samples [n, L].
 */
export function ddpmSample(core: DiffusionCore, n: number, opts: DdpmSampleOptions): tf.Tensor2D {
  const L = vectorLength(core);
  if (!Number.isInteger(n) || n < 1) throw new DbridgeError(`ddpmSample: number of samples must be a positive integer, got ${n}`);
  const s = core.schedule.f32;
  const rng = new Rng(opts.seed);
  let x = tf.tensor2d(rng.fork('init').normals(n * L), [n, L]);
  for (let t = core.schedule.T - 1; t >= 0; t--) {
    const next = tf.tidy(() => {
      const p = predict(core, x, t, opts.clipX0 ?? null);
      const mean = tf.add(tf.mul(p.predX0, s.posteriorMeanCoef1[t]), tf.mul(p.xIn, s.posteriorMeanCoef2[t]));
      if (t === 0) return mean as tf.Tensor2D;
      const std = f(Math.exp(f(0.5 * s.posteriorLogVarianceClipped[t])));
      return tf.add(mean, tf.mul(tf.tensor2d(rng.fork(t).normals(n * L), [n, L]), std)) as tf.Tensor2D;
    });
    x.dispose();
    x = next;
    opts.onStep?.(t);
  }
  return x;
}

/** DDIM sampling from pure noise (official ddim_sample): x_T ~ N(0, I), S steps over the whole chain. */
export function ddimSampleFromNoise(core: DiffusionCore, n: number, opts: { steps: number; seed: number; eta?: number; clipX0?: number | null }): tf.Tensor2D {
  const L = vectorLength(core);
  return tf.tidy(() => {
    const x = tf.tensor2d(new Rng(opts.seed).fork('init').normals(n * L), [n, L]);
    return ddimSample(core, x, { M: core.schedule.T, steps: opts.steps, eta: opts.eta, seed: opts.seed, clipX0: opts.clipX0 });
  });
}
