// ResMLP: a residual-MLP denoiser on flat vectors, after Diffusion-Link (Nam et al., arXiv
// 2510.11330: "a lightweight network with three residual MLP blocks"). The paper gives no widths,
// norms or conditioning scheme and its code is not published, so the design here is this
// project's own, chosen to be the plainest modern form of that description:
//   time:   e = Linear(width) . SiLU . Linear(width) of the sinusoidal embedding (SinusoidalPosEmb,
//           theta 10000, `timeDim` wide; the same float32 recipe as Unet1D)
//   input:  h = Linear(L -> width)(x)
//   block:  (scale, shift) = Linear(width -> 2*width)(SiLU(e))        (FiLM / adaLN conditioning,
//           u = LayerNorm(h) * (1 + scale) + shift                     one Linear per block)
//           h = h + Linear(width -> width) . SiLU . Linear(width -> width) (u)
//   output: y = Linear(width -> L)(LayerNorm(h))
// LayerNorms have affine gain/bias (torch default, eps 1e-5); all Linear layers use torch's default
// U(+-1/sqrt(fan_in)) initialisation (no zero-init of the output or of the FiLM layers, so the
// network starts like a torch model built with default arguments). With `width` 512 and three
// blocks on L = 512 it has ~4.1M parameters, close to the paper's Unet1D (4.04M), at ~1% of its MACs;
// the `resmlp` preset uses width 1024 (15.0M parameters, ~4.6% of the Unet1D's MACs).
import { tf } from '../../tf.ts';
import { linear, layerNorm } from '../../nn/layers.ts';
import { ParamStore, init } from '../../nn/params.ts';
import { numel } from '../../io/dtype.ts';
import { DbridgeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { Denoiser, ResMLPConfig } from './types.ts';
import { silu, sinusoidalEmbedding, timestepsOf } from './ops.ts';

export interface ResMLPParamSpec {
  name: string;
  kind: 'linear' | 'bias' | 'gain' | 'shift';
  shape: number[];
  fanIn: number;
}

export function validateResMLPConfig(c: ResMLPConfig): void {
  const bad = (why: string) => new DbridgeError(`resmlp config: ${why}`);
  for (const [k, v] of [['length', c.length], ['width', c.width], ['blocks', c.blocks], ['timeDim', c.timeDim]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw bad(`${k} must be a positive integer, got ${v}`);
  }
  if (c.timeDim % 2 !== 0 || c.timeDim < 4) throw bad(`timeDim must be even and >= 4, got ${c.timeDim}`);
}

export function resmlpParamSpecs(c: ResMLPConfig): ResMLPParamSpec[] {
  const out: ResMLPParamSpec[] = [];
  const lin = (name: string, fin: number, fout: number) => {
    out.push({ name: `${name}.weight`, kind: 'linear', shape: [fin, fout], fanIn: fin });
    out.push({ name: `${name}.bias`, kind: 'bias', shape: [fout], fanIn: fin });
  };
  const ln = (name: string, d: number) => {
    out.push({ name: `${name}.weight`, kind: 'gain', shape: [d], fanIn: 0 });
    out.push({ name: `${name}.bias`, kind: 'shift', shape: [d], fanIn: 0 });
  };
  const w = c.width;
  lin('time_mlp.0', c.timeDim, w);
  lin('time_mlp.2', w, w);
  lin('in_proj', c.length, w);
  for (let i = 0; i < c.blocks; i++) {
    lin(`blocks.${i}.film`, w, 2 * w);
    ln(`blocks.${i}.norm`, w);
    lin(`blocks.${i}.fc1`, w, w);
    lin(`blocks.${i}.fc2`, w, w);
  }
  ln('out_norm', w);
  lin('out_proj', w, c.length);
  return out;
}

export function resmlpParamsPerModule(c: ResMLPConfig): [string, number][] {
  const m = new Map<string, number>();
  for (const s of resmlpParamSpecs(c)) {
    const parts = s.name.split('.');
    const top = parts[0] === 'blocks' ? `blocks.${parts[1]}` : parts[0];
    m.set(top, (m.get(top) ?? 0) + numel(s.shape));
  }
  return [...m];
}

export class ResMLP implements Denoiser {
  readonly params = new ParamStore();

  constructor(readonly config: ResMLPConfig, rng: Rng) {
    validateResMLPConfig(config);
    for (const s of resmlpParamSpecs(config)) {
      const t = s.kind === 'gain' ? init.ones(s.shape) : s.kind === 'shift' ? init.zeros(s.shape) : init.torchDefault(rng.fork(s.name), s.shape, s.fanIn);
      this.params.add(s.name, t);
    }
  }

  private p(name: string): tf.Variable {
    return this.params.get(name);
  }

  apply(x: tf.Tensor2D, t: tf.Tensor1D | number | Int32Array): tf.Tensor2D {
    const { length: L, width: W, blocks, timeDim } = this.config;
    if (x.rank !== 2 || x.shape[1] !== L) throw new DbridgeError(`ResMLP: input has shape [${x.shape}], expected [B, ${L}]`);
    const B = x.shape[0];
    const ts = timestepsOf(t, B);
    return tf.tidy(() => {
      const temb = tf.tensor2d(sinusoidalEmbedding(ts, timeDim), [B, timeDim]);
      let e = silu(linear(temb, this.p('time_mlp.0.weight'), this.p('time_mlp.0.bias')));
      e = linear(e, this.p('time_mlp.2.weight'), this.p('time_mlp.2.bias'));
      const eAct = silu(e);
      let h = linear(x, this.p('in_proj.weight'), this.p('in_proj.bias'));
      for (let i = 0; i < blocks; i++) {
        const ss = linear(eAct, this.p(`blocks.${i}.film.weight`), this.p(`blocks.${i}.film.bias`));
        const scale = tf.slice(ss, [0, 0], [B, W]), shift = tf.slice(ss, [0, W], [B, W]);
        let u = layerNorm(h, this.p(`blocks.${i}.norm.weight`), this.p(`blocks.${i}.norm.bias`));
        u = tf.add(tf.mul(u, tf.add(scale, 1)), shift);
        u = silu(linear(u, this.p(`blocks.${i}.fc1.weight`), this.p(`blocks.${i}.fc1.bias`)));
        u = linear(u, this.p(`blocks.${i}.fc2.weight`), this.p(`blocks.${i}.fc2.bias`));
        h = tf.add(h, u);
      }
      const y = linear(layerNorm(h, this.p('out_norm.weight'), this.p('out_norm.bias')), this.p('out_proj.weight'), this.p('out_proj.bias'));
      return y as tf.Tensor2D;
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}
