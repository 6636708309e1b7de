// The one interface every denoiser implements: (x_t, t) -> network output, on vectors of length L
// (the official code's [B, 1, L] with channels = 1, here [B, L]). What the output means (x0, eps
// or v) is the diffusion objective's business, not the network's.
import type { tf } from '../../tf.ts';
import type { ParamStore } from '../../nn/params.ts';

export interface Unet1DConfig {
  kind: 'unet1d';
  /** Vector length L (512 for CLIP ViT-B/32); must be divisible by 2^(len(dimMults)-1). */
  length: number;
  /** Width of the sinusoidal time embedding (the official `dim`). */
  dim: number;
  /** Channels of the first level (the official `init_dim`); time-MLP width is 4*initDim. */
  initDim: number;
  dimMults: number[];
  /** Attention heads and head width (official: 4 x 32 for both linear and full attention). */
  attnHeads?: number;
  attnDimHead?: number;
}

export interface ResMLPConfig {
  kind: 'resmlp';
  length: number;
  /** Hidden width of each residual block. */
  width: number;
  /** Number of residual MLP blocks (Diffusion-Link: 3). */
  blocks: number;
  /** Width of the sinusoidal time embedding. */
  timeDim: number;
}

export type DenoiserConfig = Unet1DConfig | ResMLPConfig;

export interface Denoiser {
  readonly config: DenoiserConfig;
  readonly params: ParamStore;
  /**
   * x: [B, L] float32; t: integer timesteps, B host integers (Int32Array), a number for the whole
   * batch, or a [B] int32 tensor whose values are still on the host (on webgpu a tensor that has
   * been on the device cannot be read synchronously). Returns [B, L]. Differentiable with respect
   * to `params` (used inside tf.variableGrads).
   */
  apply(x: tf.Tensor2D, t: tf.Tensor1D | number | Int32Array): tf.Tensor2D;
  dispose(): void;
}
