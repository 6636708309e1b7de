// Named configurations for training the diffusion model at different scales, combined with a
// variant (docs/spec.md, Decisions: official | paper). A scale fixes the denoiser's shape (its vector
// length comes from the data) and the training defaults; `paper` is the official train_norm.py
// setting (Unet1D 512/32/(1,2,4,8), batch 64, Adam 8e-5 (0.9, 0.99), clip 1.0, EMA 0.995 every
// 10 steps, checkpoint every 10k, 3M steps).
import { DbridgeError } from '../util/errors.ts';
import type { DenoiserConfig } from './denoisers/types.ts';
import { PAPER_UNET1D } from './denoisers/index.ts';
import { type DiffusionConfig, type Variant, diffusionConfig } from './model.ts';

export interface TrainConfig {
  /** Optimiser steps (paper: 3,000,000). */
  steps: number;
  /** Batch size (paper: 64). */
  batchSize: number;
  /** Adam learning rate (paper: 8e-5). */
  lr: number;
  /** Adam betas (paper: 0.9, 0.99). */
  beta1: number;
  beta2: number;
  /** Global gradient-norm clip (paper: 1.0). */
  clipGradNorm: number;
  /** EMA decay (paper: 0.995), updated every `emaEvery` steps (paper: 10) after `emaAfterStep` (ema_pytorch: 100), with ema_pytorch's warm-up (inv_gamma 1, power 2/3). */
  emaDecay: number;
  emaEvery: number;
  emaAfterStep: number;
  /** Save a checkpoint every N steps (paper: 10,000) and at the end. */
  checkpointEvery: number;
  /** Average the loss over this many steps per loss-curve point. */
  logEvery: number;
  /**
   * Rows per forward/backward pass; a batch is split into micro-batches whose gradients are summed
   * (the same mean loss, the same update up to float rounding). 0 = the whole batch at once.
   * The paper config uses 16: its activations for 64 rows do not fit the wasm heap.
   */
  microBatch: number;
}

export const PAPER_TRAIN: TrainConfig = {
  steps: 3_000_000, batchSize: 64, lr: 8e-5, beta1: 0.9, beta2: 0.99, clipGradNorm: 1.0,
  emaDecay: 0.995, emaEvery: 10, emaAfterStep: 100, checkpointEvery: 10_000, logEvery: 100, microBatch: 16,
};

export interface ScaleConfig {
  description: string;
  denoiser: (length: number) => DenoiserConfig;
  train: TrainConfig;
}

/** Largest number of U-Net levels (up to `want`) such that L is divisible by 2^(levels-1). */
function levelsFor(L: number, want: number): number {
  let lv = want;
  while (lv > 1 && L % 2 ** (lv - 1) !== 0) lv--;
  return lv;
}

const unet = (L: number, initDim: number, mults: number[]): DenoiserConfig => ({
  kind: 'unet1d', length: L, dim: L <= 512 ? Math.max(16, L - (L % 2)) : 512, initDim,
  dimMults: mults.slice(0, levelsFor(L, mults.length)), attnHeads: 4, attnDimHead: 32,
});

export const SCALES: Record<string, ScaleConfig> = {
  smoke: {
    description: 'seconds: the small fixture U-Net (initDim 8, mults 1,2), 200 steps, batch 32',
    denoiser: (L) => unet(L, 8, [1, 2]),
    train: { ...PAPER_TRAIN, steps: 200, batchSize: 32, lr: 1e-3, emaAfterStep: 10, emaEvery: 1, emaDecay: 0.99, checkpointEvery: 100, logEvery: 10, microBatch: 0 },
  },
  mini: {
    description: 'minutes: U-Net initDim 16, mults 1,2,4, 5000 steps, batch 64',
    denoiser: (L) => unet(L, 16, [1, 2, 4]),
    train: { ...PAPER_TRAIN, steps: 5000, lr: 3e-4, emaAfterStep: 100, emaDecay: 0.995, checkpointEvery: 1000, logEvery: 50, microBatch: 0 },
  },
  paper: {
    description: 'the official train_norm.py setting: U-Net 512/32/(1,2,4,8), 3M steps, batch 64, lr 8e-5',
    denoiser: (L) => ({ ...PAPER_UNET1D, length: L, dimMults: PAPER_UNET1D.dimMults.slice(0, levelsFor(L, 4)) }),
    train: { ...PAPER_TRAIN },
  },
  resmlp: {
    description: 'Diffusion-Link style residual MLP (3 blocks, width 1024), 20000 steps, batch 64',
    denoiser: (L) => ({ kind: 'resmlp', length: L, width: 1024, blocks: 3, timeDim: 256 }),
    train: { ...PAPER_TRAIN, steps: 20_000, lr: 1e-4, checkpointEvery: 2000, logEvery: 100, microBatch: 0 },
  },
};

export const SCALE_NAMES = Object.keys(SCALES);

export interface NamedConfig {
  name: string;
  model: DiffusionConfig;
  train: TrainConfig;
}

/**
 * A named scale for vectors of length L, with a variant: `smoke`, `mini`, `paper`, `resmlp`;
 * `NAME:VARIANT` (e.g. `paper:paper`) is accepted as a shorthand for the variant.
 */
export function namedConfig(name: string, opts: { length: number; variant?: Variant }): NamedConfig {
  let scaleName = name, variant = opts.variant ?? 'official';
  if (name.includes(':')) {
    const [a, b] = name.split(':');
    scaleName = a;
    if (b !== 'official' && b !== 'paper') throw new DbridgeError(`config '${name}': unknown variant '${b}' (official or paper)`);
    variant = b;
  }
  const scale = SCALES[scaleName];
  if (!scale) throw new DbridgeError(`unknown diffusion config '${scaleName}' (choose ${SCALE_NAMES.join(', ')}, optionally with :official or :paper)`);
  if (!Number.isInteger(opts.length) || opts.length < 2) throw new DbridgeError(`bad vector length ${opts.length}`);
  return { name: `${scaleName}:${variant}`, model: diffusionConfig(scale.denoiser(opts.length), variant), train: { ...scale.train } };
}
