// A conditional residual-MLP denoiser for DiffGAP: lib/diffusion's ResMLP (denoisers/resmlp.ts:
// sinusoidal time embedding -> MLP, FiLM-conditioned residual blocks, LayerNorm + Linear out) with
// a condition vector c (the other modality's preprocessed embedding) and a direction (0: text given
// audio, 1: audio given text; one network serves both, DiffGAP's "bidirectional" module):
//   e = time_mlp(t) + cond_mlp(c) + direction_table[dir]      (the blocks' FiLM input, as ResMLP's time embedding)
//   h = in_proj([x_t ; c])                                     (the condition also enters the input)
// A zero condition vector is the "no condition" input of classifier-free guidance (real conditions
// lie on the radius-C sphere, never at 0). Initialisation as ResMLP: torch's Linear default.
// DiffGAP publishes no architecture; this is this project's choice (docs/audio.md).
import { tf } from '../tf.ts';
import { layerNorm, linear } from '../nn/layers.ts';
import { ParamStore, init } from '../nn/params.ts';
import { silu, sinusoidalEmbedding, timestepsOf } from '../diffusion/denoisers/ops.ts';
import { DbridgeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

export interface CondResMLPConfig {
  kind: 'cond-resmlp';
  /** Vector length L of x and of the condition. */
  length: number;
  width: number;
  blocks: number;
  timeDim: number;
  /** Number of directions (2 for DiffGAP). */
  directions: number;
}

export class CondResMLP {
  readonly params = new ParamStore();

  constructor(readonly config: CondResMLPConfig, seed: number) {
    const { length: L, width: W, blocks, timeDim, directions } = config;
    for (const [k, v] of Object.entries({ length: L, width: W, blocks, timeDim, directions })) {
      if (!Number.isInteger(v) || v < 1) throw new DbridgeError(`cond-resmlp config: ${k} must be a positive integer, got ${v}`);
    }
    if (timeDim % 2 !== 0) throw new DbridgeError(`cond-resmlp config: timeDim must be even, got ${timeDim}`);
    const rng = new Rng(seed).fork('cond-resmlp');
    const lin = (name: string, fin: number, fout: number) => {
      this.params.add(`${name}.weight`, init.torchDefault(rng.fork(`${name}.weight`), [fin, fout], fin));
      this.params.add(`${name}.bias`, init.torchDefault(rng.fork(`${name}.bias`), [fout], fin));
    };
    const ln = (name: string) => { this.params.add(`${name}.weight`, init.ones([W])); this.params.add(`${name}.bias`, init.zeros([W])); };
    lin('time_mlp.0', timeDim, W);
    lin('time_mlp.2', W, W);
    lin('cond_mlp.0', L, W);
    lin('cond_mlp.2', W, W);
    this.params.add('direction', init.normal(rng.fork('direction'), [directions, W], 0.02));
    lin('in_proj', 2 * L, W);
    for (let i = 0; i < blocks; i++) { lin(`blocks.${i}.film`, W, 2 * W); ln(`blocks.${i}.norm`); lin(`blocks.${i}.fc1`, W, W); lin(`blocks.${i}.fc2`, W, W); }
    ln('out_norm');
    lin('out_proj', W, L);
  }

  private p(name: string): tf.Variable { return this.params.get(name); }

  /** x, cond: [B, L]; t: timesteps; dir: one direction per row. Returns [B, L]. */
  apply(x: tf.Tensor2D, t: tf.Tensor1D | number | Int32Array, cond: tf.Tensor2D, dir: Int32Array): tf.Tensor2D {
    const { length: L, width: W, blocks, timeDim, directions } = this.config;
    const B = x.shape[0];
    if (x.shape[1] !== L || cond.shape[0] !== B || cond.shape[1] !== L) throw new DbridgeError(`cond-resmlp: x [${x.shape}] and condition [${cond.shape}] must both be [B, ${L}]`);
    if (dir.length !== B || dir.some((d) => d < 0 || d >= directions)) throw new DbridgeError(`cond-resmlp: need ${B} directions in 0..${directions - 1}`);
    const ts = timestepsOf(t, B);
    return tf.tidy(() => {
      const temb = tf.tensor2d(sinusoidalEmbedding(ts, timeDim), [B, timeDim]);
      const te = linear(silu(linear(temb, this.p('time_mlp.0.weight'), this.p('time_mlp.0.bias'))), this.p('time_mlp.2.weight'), this.p('time_mlp.2.bias'));
      const ce = linear(silu(linear(cond, this.p('cond_mlp.0.weight'), this.p('cond_mlp.0.bias'))), this.p('cond_mlp.2.weight'), this.p('cond_mlp.2.bias'));
      const de = linear(tf.oneHot(tf.tensor1d(dir, 'int32'), directions).toFloat(), this.p('direction'));
      const eAct = silu(tf.add(tf.add(te, ce), de));
      let h = linear(tf.concat([x, cond], 1), this.p('in_proj.weight'), this.p('in_proj.bias'));
      for (let i = 0; i < blocks; i++) {
        const ss = linear(eAct, this.p(`blocks.${i}.film.weight`), this.p(`blocks.${i}.film.bias`));
        const scale = tf.slice(ss, [0, 0], [B, W]), shift = tf.slice(ss, [0, W], [B, W]);
        let u = tf.add(tf.mul(layerNorm(h, this.p(`blocks.${i}.norm.weight`), this.p(`blocks.${i}.norm.bias`)), tf.add(scale, 1)), shift);
        u = linear(silu(linear(u, this.p(`blocks.${i}.fc1.weight`), this.p(`blocks.${i}.fc1.bias`))), this.p(`blocks.${i}.fc2.weight`), this.p(`blocks.${i}.fc2.bias`));
        h = tf.add(h, u);
      }
      return linear(layerNorm(h, this.p('out_norm.weight'), this.p('out_norm.bias')), this.p('out_proj.weight'), this.p('out_proj.bias')) as tf.Tensor2D;
    });
  }

  dispose(): void { this.params.dispose(); }
}
