// A "replay" denoiser for testing the sampling and loss code independently of the network: it
// returns the network outputs recorded from the official code (fixture traces) call by call, and
// records what it was given so the test can compare it with the official network inputs.
import { tf } from '../../lib/tf.ts';
import { ParamStore } from '../../lib/nn/params.ts';
import type { Denoiser, Unet1DConfig } from '../../lib/diffusion/denoisers/types.ts';

export class ReplayDenoiser implements Denoiser {
  readonly params = new ParamStore();
  readonly config: Unet1DConfig;
  calls: { x: Float32Array; t: number[] }[] = [];
  private k = 0;

  /** outputs[k] is returned (as [B, L]) at the k-th call. */
  constructor(length: number, private readonly outputs: Float32Array[]) {
    this.config = { kind: 'unet1d', length, dim: length, initDim: 8, dimMults: [1] };
  }

  apply(x: tf.Tensor2D, t: tf.Tensor1D | number | Int32Array): tf.Tensor2D {
    const B = x.shape[0];
    this.calls.push({ x: x.dataSync() as Float32Array, t: typeof t === 'number' ? new Array(B).fill(t) : Array.from(t instanceof Int32Array ? t : t.dataSync()) });
    const out = this.outputs[this.k++];
    if (!out) throw new Error(`replay denoiser: no recorded output for call ${this.k}`);
    return tf.tensor2d(out, [B, this.config.length]);
  }

  dispose(): void {}
}
