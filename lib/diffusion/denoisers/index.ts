// Denoisers (public API): build one from its config (seeded, torch-default initialisation), load
// weights into it, named presets, parameter counts, and the official Unet1D state-dict import.
// Unet1D follows the official Diffusion Bridge network (unet1d.ts); ResMLP is the Diffusion-Link
// style residual MLP (resmlp.ts), whose details are this project's choices.
import type { HostArray } from '../../io/dtype.ts';
import { DbridgeError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { Denoiser, DenoiserConfig, Unet1DConfig, ResMLPConfig } from './types.ts';
import { Unet1D, unet1dParamCount, unet1dParamSpecs, unet1dParamsPerModule, validateUnet1DConfig } from './unet1d.ts';
import { ResMLP, resmlpParamSpecs, resmlpParamsPerModule, validateResMLPConfig } from './resmlp.ts';

export type { Denoiser, DenoiserConfig, Unet1DConfig, ResMLPConfig } from './types.ts';
export { Unet1D, unet1dFromTorchStateDict, unet1dParamSpecs, unet1dParamCount } from './unet1d.ts';
export { ResMLP } from './resmlp.ts';

/**
 * Named configurations. `paper`: the official train_norm.py network (4,037,313 parameters) on
 * CLIP ViT-B/32's 512-d embeddings. `small`: the fixture config (53,073 parameters, L = 64) for
 * fast tests. `resmlp`: a three-block residual MLP (Diffusion-Link design), width 1024, on 512-d
 * vectors (the `resmlp` diffusion scale's network; 15.0M parameters, ~1/22 of the Unet1D's MACs).
 * `resmlp-small`: width 128 on 64-d vectors.
 */
/** The official train_norm.py Unet1D (docs/spec.md §1.2): 512/32/(1,2,4,8), 4 heads of 32, on 512-d vectors. Do not mutate: `denoiserPreset('paper')` gives a copy. */
export const PAPER_UNET1D: Unet1DConfig = { kind: 'unet1d', length: 512, dim: 512, initDim: 32, dimMults: [1, 2, 4, 8], attnHeads: 4, attnDimHead: 32 };

export const DENOISER_PRESETS: Record<string, DenoiserConfig> = {
  paper: PAPER_UNET1D,
  small: { kind: 'unet1d', length: 64, dim: 64, initDim: 8, dimMults: [1, 2], attnHeads: 4, attnDimHead: 32 },
  resmlp: { kind: 'resmlp', length: 512, width: 1024, blocks: 3, timeDim: 256 },
  'resmlp-small': { kind: 'resmlp', length: 64, width: 128, blocks: 3, timeDim: 64 },
};

/** A preset by name (DbridgeError listing the names for an unknown one). */
export function denoiserPreset(name: string): DenoiserConfig {
  const c = DENOISER_PRESETS[name];
  if (!c) throw new DbridgeError(`unknown denoiser config '${name}' (choose from ${Object.keys(DENOISER_PRESETS).join(', ')})`);
  return structuredClone(c);
}

/** Throws DbridgeError unless `c` is a valid DenoiserConfig. */
export function validateDenoiserConfig(c: DenoiserConfig): void {
  if (!c || typeof c !== 'object') throw new DbridgeError('denoiser config must be an object');
  if (c.kind === 'unet1d') validateUnet1DConfig(c);
  else if (c.kind === 'resmlp') validateResMLPConfig(c);
  else throw new DbridgeError(`denoiser config: unknown kind '${(c as { kind?: unknown }).kind}' (expected unet1d or resmlp)`);
}

/** Builds a denoiser with torch-default initialisation drawn from Rng(seed). */
export function createDenoiser(config: DenoiserConfig, seed: number): Denoiser {
  validateDenoiserConfig(config);
  const rng = new Rng(seed).fork('denoiser');
  return config.kind === 'unet1d' ? new Unet1D(config, rng) : new ResMLP(config, rng);
}

/** Loads dbridge-layout weights (as saved by `d.params.toHost()`); every parameter must be present with its shape. */
export function loadDenoiserWeights(d: Denoiser, weights: Map<string, HostArray>, source = 'checkpoint'): void {
  const extra = [...weights.keys()].filter((k) => !d.params.vars.has(k));
  if (extra.length) throw new DbridgeError(`${source} has ${extra.length} parameter(s) the ${d.config.kind} denoiser does not, e.g. ${extra.slice(0, 3).join(', ')}`);
  d.params.load(weights, { strict: true, source });
}

/** Parameter count of a config, without building it. */
export function denoiserParamCount(c: DenoiserConfig): number {
  validateDenoiserConfig(c);
  return c.kind === 'unet1d' ? unet1dParamCount(c) : resmlpParamSpecs(c).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** Parameters per top-level submodule, in order. */
export function denoiserParamsPerModule(c: DenoiserConfig): [string, number][] {
  validateDenoiserConfig(c);
  return c.kind === 'unet1d' ? unet1dParamsPerModule(c) : resmlpParamsPerModule(c);
}

export { unet1dParamsPerModule };
