// Noise schedules of the DDPM (docs/spec.md §1.3), computed in float64 exactly as the official
// `cosine_beta_schedule` / `linear_beta_schedule` of lucidrains' denoising-diffusion-pytorch
// (the 1-D file of mongeoroo/diffusion-bridge), including torch.linspace's two-sided formula, and
// the float32 buffers that GaussianDiffusion1D_norm registers (each computed in float64, then
// cast) — the sampler and the loss use those float32 values, as the official code does.
import { DbridgeError } from '../util/errors.ts';
import type { Objective } from './objectives.ts';

export type BetaScheduleKind = 'cosine' | 'linear';

export interface ScheduleConfig {
  /** Number of diffusion steps T (official: 1000). */
  timesteps: number;
  /** Beta schedule (official: 'cosine'). */
  kind: BetaScheduleKind;
  /** Offset s of the cosine schedule (official: 0.008). */
  cosineS?: number;
}

/** The float32 buffers the official module registers (all of length T). */
export interface ScheduleBuffers {
  betas: Float32Array;
  alphasCumprod: Float32Array;
  alphasCumprodPrev: Float32Array;
  sqrtAlphasCumprod: Float32Array;
  sqrtOneMinusAlphasCumprod: Float32Array;
  logOneMinusAlphasCumprod: Float32Array;
  sqrtRecipAlphasCumprod: Float32Array;
  sqrtRecipm1AlphasCumprod: Float32Array;
  posteriorVariance: Float32Array;
  posteriorLogVarianceClipped: Float32Array;
  posteriorMeanCoef1: Float32Array;
  posteriorMeanCoef2: Float32Array;
}

export interface NoiseSchedule {
  readonly config: Required<ScheduleConfig>;
  readonly T: number;
  /** float64 betas (clipped to [0, 0.999] for cosine). */
  readonly betas64: Float64Array;
  /** float64 alphā_t = prod_{s<=t} (1 - beta_s). */
  readonly alphasCumprod64: Float64Array;
  /** float32 buffers, as used by the official sampler and loss. */
  readonly f32: ScheduleBuffers;
}

/** torch.linspace(start, end, steps) in float64: start + i*step for the first half, end - (steps-1-i)*step after. */
export function linspace64(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  if (steps === 1) { out[0] = start; return out; }
  const step = (end - start) / (steps - 1);
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return out;
}

/** Official linear_beta_schedule(T): linspace(1e-4 * 1000/T, 0.02 * 1000/T, T) in float64. */
export function linearBetas(T: number): Float64Array {
  checkT(T);
  const scale = 1000 / T;
  return linspace64(scale * 0.0001, scale * 0.02, T);
}

/** Official cosine_beta_schedule(T, s): betas from ᾱ(x) = cos²(((x/T)+s)/(1+s)·π/2) / ᾱ(0), clipped to [0, 0.999]. */
export function cosineBetas(T: number, s = 0.008): Float64Array {
  checkT(T);
  const x = linspace64(0, T, T + 1);
  const ac = new Float64Array(T + 1);
  for (let i = 0; i <= T; i++) ac[i] = Math.cos((((x[i] / T) + s) / (1 + s)) * Math.PI * 0.5) ** 2;
  const a0 = ac[0];
  for (let i = 0; i <= T; i++) ac[i] = ac[i] / a0;
  const betas = new Float64Array(T);
  for (let i = 0; i < T; i++) betas[i] = Math.min(0.999, Math.max(0, 1 - ac[i + 1] / ac[i]));
  return betas;
}

function checkT(T: number): void {
  if (!Number.isInteger(T) || T < 1) throw new DbridgeError(`the number of diffusion steps T must be a positive integer, got ${T}`);
}

/** Builds the schedule: float64 betas and ᾱ, and the float32 buffers (computed in float64, then cast). */
export function makeSchedule(cfg: ScheduleConfig): NoiseSchedule {
  const config: Required<ScheduleConfig> = { timesteps: cfg.timesteps, kind: cfg.kind, cosineS: cfg.cosineS ?? 0.008 };
  const T = config.timesteps;
  let betas: Float64Array;
  if (config.kind === 'cosine') betas = cosineBetas(T, config.cosineS);
  else if (config.kind === 'linear') betas = linearBetas(T);
  else throw new DbridgeError(`unknown beta schedule '${String(config.kind)}' (choose cosine or linear)`);
  const ac = new Float64Array(T);
  let p = 1;
  for (let i = 0; i < T; i++) { p *= 1 - betas[i]; ac[i] = p; }
  const f = (fn: (i: number) => number) => Float32Array.from({ length: T }, (_, i) => fn(i));
  const prev = (i: number) => (i === 0 ? 1 : ac[i - 1]);
  const postVar = (i: number) => betas[i] * (1 - prev(i)) / (1 - ac[i]);
  const f32: ScheduleBuffers = {
    betas: f((i) => betas[i]),
    alphasCumprod: f((i) => ac[i]),
    alphasCumprodPrev: f(prev),
    sqrtAlphasCumprod: f((i) => Math.sqrt(ac[i])),
    sqrtOneMinusAlphasCumprod: f((i) => Math.sqrt(1 - ac[i])),
    logOneMinusAlphasCumprod: f((i) => Math.log(1 - ac[i])),
    sqrtRecipAlphasCumprod: f((i) => Math.sqrt(1 / ac[i])),
    sqrtRecipm1AlphasCumprod: f((i) => Math.sqrt(1 / ac[i] - 1)),
    posteriorVariance: f(postVar),
    posteriorLogVarianceClipped: f((i) => Math.log(Math.max(postVar(i), 1e-20))),
    posteriorMeanCoef1: f((i) => betas[i] * Math.sqrt(prev(i)) / (1 - ac[i])),
    posteriorMeanCoef2: f((i) => (1 - prev(i)) * Math.sqrt(1 - betas[i]) / (1 - ac[i])),
  };
  return { config, T, betas64: betas, alphasCumprod64: ac, f32 };
}

/** Signal-to-noise ratio ᾱ/(1-ᾱ) per step, float64. */
export function snr(s: NoiseSchedule): Float64Array {
  return Float64Array.from(s.alphasCumprod64, (a) => a / (1 - a));
}

export interface LossWeightOptions {
  /** Min-SNR-γ weighting (Hang et al. 2023): clamp the SNR at γ first. Default: none (the official weights). */
  minSnrGamma?: number | null;
}

/**
 * Per-step loss weights that make each objective's MSE equal to the ε-MSE of paper Eq. (5), as
 * the official code registers them: pred_noise 1, pred_x0 SNR, pred_v SNR/(SNR+1) — computed in
 * float64, returned as float32 (the official `loss_weight` buffer). With `minSnrGamma` the SNR
 * is clamped at γ in the numerator (lucidrains' min_snr_loss_weight).
 */
export function lossWeights(s: NoiseSchedule, objective: Objective, opts: LossWeightOptions = {}): Float32Array {
  const r = snr(s);
  const g = opts.minSnrGamma ?? null;
  if (g !== null && !(g > 0)) throw new DbridgeError(`minSnrGamma must be positive, got ${g}`);
  return Float32Array.from(r, (v) => {
    const c = g === null ? v : Math.min(v, g);
    switch (objective) {
      case 'pred_noise': return g === null ? 1 : c / v;
      case 'pred_x0': return c;
      case 'pred_v': return c / (v + 1);
      default: throw new DbridgeError(`unknown objective '${String(objective)}' (choose pred_noise, pred_x0 or pred_v)`);
    }
  });
}

/** Checks that t is an integer step of the schedule. */
export function checkStep(s: NoiseSchedule, t: number, what = 'timestep'): void {
  if (!Number.isInteger(t) || t < 0 || t >= s.T) throw new DbridgeError(`${what} must be an integer in [0, ${s.T - 1}], got ${t}`);
}
