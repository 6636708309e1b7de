// DiffusionModel = denoiser + noise schedule + objective + flags (the official
// GaussianDiffusion1D_norm around a Unet1D, or the paper's ε-prediction DDPM), and its checkpoint
// folder: weights.safetensors (raw weights), optional ema.safetensors / optimizer.safetensors,
// config.json (a DiffusionConfig, with a `denoiser` field of type DenoiserConfig) and state.json
// (lib/nn/checkpoint.ts). The two variants of docs/spec.md, Decisions, are named presets.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import type { HostArray } from '../io/dtype.ts';
import { readNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { loadCheckpoint, saveCheckpoint } from '../nn/checkpoint.ts';
import { DbridgeError } from '../util/errors.ts';
import { readJson } from '../util/fs.ts';
import type { Denoiser, DenoiserConfig } from './denoisers/types.ts';
import { createDenoiser, loadDenoiserWeights, validateDenoiserConfig } from './denoisers/index.ts';
import type { DiffusionCore } from './core.ts';
import { type Objective, checkObjective } from './objectives.ts';
import { type BetaScheduleKind, type NoiseSchedule, lossWeights, makeSchedule } from './schedule.ts';
import { diffusionLoss } from './loss.ts';
import { type AugmentOptions, type BridgeOptions, augment, bridge } from './sampling.ts';
import { recoverPartialCheckpoint } from '../train/checkpoint-files.ts';

export const VARIANTS = ['official', 'paper'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Everything that defines a diffusion model apart from its weights (saved as config.json). */
export interface DiffusionConfig {
  /** Which variant (docs/spec.md, Decisions) the flags came from ('custom' after overrides that match neither). */
  variant: Variant | 'custom';
  denoiser: DenoiserConfig;
  /** T (default 1000). */
  timesteps: number;
  /** Default 'cosine'. */
  betaSchedule: BetaScheduleKind;
  /** Cosine offset s (default 0.008). */
  cosineS: number;
  /** official: pred_x0; paper: pred_noise. */
  objective: Objective;
  /** Feed the network radius·normalize(x_t) (official: true; paper: false). */
  renormalize: boolean;
  /** Radius C of preprocessed embeddings (default 5). */
  radius: number;
  /** Min-SNR-γ loss weighting (default null: the official per-objective weights). */
  minSnrGamma: number | null;
  /** Default DDIM settings for bridging/augmentation: official 5 steps, paper 12; eta 0. */
  sampling: { steps: number; eta: number };
  /** Which weights inference uses: official 'raw' (the scripts load weights['model']), paper 'ema'. */
  inferenceWeights: 'raw' | 'ema';
}

/** DDIM steps of bridging and augmentation per variant: the official scripts' 5, the paper's 12 (docs/spec.md, Decisions). */
export const DDIM_STEPS: Readonly<Record<Variant, number>> = { official: 5, paper: 12 };

/** The bridging start step M per dataset (docs/spec.md §2: MSCOCO 600, Flickr30K 400). */
export const BRIDGE_M = { coco: 600, flickr30k: 400 } as const;

/** The variant presets (everything except the denoiser). */
export const VARIANT_PRESETS: Record<Variant, Omit<DiffusionConfig, 'denoiser'>> = {
  official: {
    variant: 'official', timesteps: 1000, betaSchedule: 'cosine', cosineS: 0.008, objective: 'pred_x0', renormalize: true,
    radius: 5, minSnrGamma: null, sampling: { steps: DDIM_STEPS.official, eta: 0 }, inferenceWeights: 'raw',
  },
  paper: {
    variant: 'paper', timesteps: 1000, betaSchedule: 'cosine', cosineS: 0.008, objective: 'pred_noise', renormalize: false,
    radius: 5, minSnrGamma: null, sampling: { steps: DDIM_STEPS.paper, eta: 0 }, inferenceWeights: 'ema',
  },
};

export function checkVariant(v: string): asserts v is Variant {
  if (!(VARIANTS as readonly string[]).includes(v)) throw new DbridgeError(`unknown variant '${v}' (choose ${VARIANTS.join(' or ')})`);
}

/** A full DiffusionConfig: the variant preset, the denoiser, then `overrides`. */
export function diffusionConfig(denoiser: DenoiserConfig, variant: Variant = 'official', overrides: Partial<Omit<DiffusionConfig, 'denoiser'>> = {}): DiffusionConfig {
  checkVariant(variant);
  const c: DiffusionConfig = { ...structuredClone(VARIANT_PRESETS[variant]), denoiser: structuredClone(denoiser), ...structuredClone(overrides) };
  validateDiffusionConfig(c);
  return c;
}

export function validateDiffusionConfig(c: DiffusionConfig): void {
  if (!c || typeof c !== 'object') throw new DbridgeError('diffusion config must be an object');
  if (!c.denoiser) throw new DbridgeError('diffusion config has no `denoiser` field');
  validateDenoiserConfig(c.denoiser);
  checkObjective(c.objective);
  if (!Number.isInteger(c.timesteps) || c.timesteps < 2) throw new DbridgeError(`diffusion config: timesteps must be an integer >= 2, got ${c.timesteps}`);
  if (c.betaSchedule !== 'cosine' && c.betaSchedule !== 'linear') throw new DbridgeError(`diffusion config: unknown beta schedule '${String(c.betaSchedule)}'`);
  if (!(c.radius > 0)) throw new DbridgeError(`diffusion config: radius must be positive, got ${c.radius}`);
  if (!c.sampling || !Number.isInteger(c.sampling.steps) || c.sampling.steps < 1) throw new DbridgeError('diffusion config: sampling.steps must be a positive integer');
  if (c.inferenceWeights !== 'raw' && c.inferenceWeights !== 'ema') throw new DbridgeError(`diffusion config: inferenceWeights must be raw or ema, got '${String(c.inferenceWeights)}'`);
}

/** config.json of a diffusion checkpoint folder. */
export interface DiffusionCheckpointConfig extends DiffusionConfig {
  format: 'dbridge-diffusion';
  version: 1;
  /** File in the folder holding the text mean used to preprocess the training data, if any. */
  textMean?: string;
  /** Training settings the weights came from, if trained here. */
  train?: unknown;
  /** Where imported weights came from. */
  source?: unknown;
}

export interface SaveExtras {
  ema?: Map<string, HostArray>;
  optimizer?: Map<string, HostArray>;
  state?: Record<string, unknown> & { step?: number };
  /** Extra fields for config.json (textMean, train, source). */
  meta?: Partial<Pick<DiffusionCheckpointConfig, 'textMean' | 'train' | 'source'>>;
}

export interface LoadOptions {
  /** 'raw' | 'ema' | 'config' (default: what config.inferenceWeights says; falls back to raw when there is no ema file only if 'config'). */
  weights?: 'raw' | 'ema' | 'config';
}

export class DiffusionModel implements DiffusionCore {
  readonly schedule: NoiseSchedule;
  /** float32 loss weight per timestep (official `loss_weight` buffer). */
  readonly lossWeights: Float32Array;
  /** Which weights were loaded (for records). */
  loadedWeights: 'raw' | 'ema' | 'init' = 'init';

  constructor(readonly denoiser: Denoiser, readonly config: DiffusionConfig) {
    validateDiffusionConfig(config);
    if (JSON.stringify(denoiser.config) !== JSON.stringify(config.denoiser)) {
      // key order may differ: compare structurally
      const a = denoiser.config as unknown as Record<string, unknown>, b = config.denoiser as unknown as Record<string, unknown>;
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) if (JSON.stringify(a[k]) !== JSON.stringify(b[k]) && b[k] !== undefined && a[k] !== undefined) {
        throw new DbridgeError(`DiffusionModel: denoiser config differs from config.denoiser at '${k}'`);
      }
    }
    this.schedule = makeSchedule({ timesteps: config.timesteps, kind: config.betaSchedule, cosineS: config.cosineS });
    this.lossWeights = lossWeights(this.schedule, config.objective, { minSnrGamma: config.minSnrGamma });
  }

  get objective(): Objective { return this.config.objective; }
  get renormalize(): boolean { return this.config.renormalize; }
  get radius(): number { return this.config.radius; }
  /** Vector length L. */
  get length(): number { return this.config.denoiser.length; }

  /** A freshly initialised model (torch-default init from Rng(seed)). */
  static create(config: DiffusionConfig, seed = 0): DiffusionModel {
    validateDiffusionConfig(config);
    return new DiffusionModel(createDenoiser(config.denoiser, seed), config);
  }

  /** Loads a checkpoint folder (weights per `opts.weights`, default config.inferenceWeights). */
  static load(dir: string, opts: LoadOptions = {}): DiffusionModel {
    if (!existsSync(dir)) throw new DbridgeError(`diffusion checkpoint folder not found: ${dir}`);
    recoverPartialCheckpoint(dir);
    const ck = loadCheckpoint<DiffusionCheckpointConfig>(dir);
    if (ck.config?.format !== 'dbridge-diffusion') {
      throw new DbridgeError(`${join(dir, 'config.json')} is not a dbridge diffusion config (format '${String(ck.config?.format)}')`);
    }
    const { format: _f, version: _v, textMean: _m, train: _t, source: _s, ...config } = ck.config;
    validateDiffusionConfig(config);
    const which = opts.weights === undefined || opts.weights === 'config' ? config.inferenceWeights : opts.weights;
    let weights = ck.weights;
    let loaded: 'raw' | 'ema' = 'raw';
    if (which === 'ema') {
      if (!ck.ema) {
        if (opts.weights === 'ema') throw new DbridgeError(`checkpoint ${dir} has no ema.safetensors (asked for EMA weights)`);
      } else { weights = ck.ema; loaded = 'ema'; }
    }
    const denoiser = createDenoiser(config.denoiser, 0);
    try {
      loadDenoiserWeights(denoiser, weights, join(dir, loaded === 'ema' ? 'ema.safetensors' : 'weights.safetensors'));
    } catch (e) {
      denoiser.dispose();
      throw e;
    }
    const m = new DiffusionModel(denoiser, config);
    m.loadedWeights = loaded;
    return m;
  }

  /** The text mean stored in a checkpoint folder (config.textMean), or null. */
  static textMeanOf(dir: string): Float32Array | null {
    const config = readJson<DiffusionCheckpointConfig>(join(dir, 'config.json'), 'checkpoint config');
    if (!config.textMean) return null;
    return toFloat32(readNpy(join(dir, config.textMean)));
  }

  /** config.json of this model's checkpoint folder, with `meta` (textMean, train, source). */
  checkpointConfig(meta: SaveExtras['meta'] = {}): DiffusionCheckpointConfig {
    return { format: 'dbridge-diffusion', version: 1, ...this.config, ...meta };
  }

  /** Writes the checkpoint folder (raw weights = the denoiser's current parameters, read asynchronously). */
  async save(dir: string, extras: SaveExtras = {}): Promise<void> {
    saveCheckpoint(dir, {
      config: this.checkpointConfig(extras.meta),
      weights: await this.denoiser.params.toHost(),
      ema: extras.ema,
      optimizer: extras.optimizer,
      state: { ...(extras.state ?? {}), step: extras.state?.step ?? 0 },
    });
  }

  /** Training loss for clean z0 [B, L], timesteps t (B integers) and noise [B, L]. */
  loss(z0: tf.Tensor2D, t: readonly number[], noise: tf.Tensor2D): tf.Scalar {
    return diffusionLoss(this, z0, t, noise, this.lossWeights);
  }

  /** Diffusion bridging of preprocessed embeddings (x used as x_M); steps/eta default to config.sampling. */
  bridge(x: tf.Tensor2D, opts: Partial<BridgeOptions> & { M: number }): tf.Tensor2D {
    return bridge(this, x, { steps: this.config.sampling.steps, eta: this.config.sampling.eta, ...opts });
  }

  /** Diffusion augmentation of preprocessed text embeddings; steps/eta default to config.sampling. */
  augment(z0: tf.Tensor2D, opts: Partial<AugmentOptions> & { A: number; seed: number }): tf.Tensor2D {
    return augment(this, z0, { steps: this.config.sampling.steps, eta: this.config.sampling.eta, ...opts });
  }

  paramCount(): number {
    return this.denoiser.params.count();
  }

  dispose(): void {
    this.denoiser.dispose();
  }
}
