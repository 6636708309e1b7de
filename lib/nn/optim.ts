// Adam / AdamW over a ParamStore (the EMA of weights lives in lib/diffusion/ema.ts, with ema_pytorch's semantics), with global gradient-norm clipping (torch clip_grad_norm_
// semantics: scale by max_norm / (norm + 1e-6) when norm > max_norm) and state that can be saved
// and restored for --resume. Follows torch.optim.Adam / AdamW (bias-corrected moments; AdamW's
// decoupled weight decay p -= lr * wd * p before the Adam update).
import { tf } from '../tf.ts';
import type { HostArray } from '../io/dtype.ts';
import { toFloat32 } from '../io/dtype.ts';
import type { ParamStore } from './params.ts';

export interface AdamConfig {
  lr: number;
  beta1?: number;        // default 0.9
  beta2?: number;        // default 0.999
  eps?: number;          // default 1e-8
  weightDecay?: number;  // decoupled (AdamW) when > 0; default 0
  clipGradNorm?: number; // global norm clip; default none
}

/** A non-trainable variable holding `init`, which is disposed (tf.variable keeps its own reference). */
function ownedVariable(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init, false);
  init.dispose();
  return v;
}

export class Adam {
  step = 0;
  private m = new Map<string, tf.Variable>();
  private v = new Map<string, tf.Variable>();
  constructor(private readonly params: ParamStore, readonly config: AdamConfig) {
    for (const [k, p] of params.vars) {
      this.m.set(k, ownedVariable(tf.zerosLike(p)));
      this.v.set(k, ownedVariable(tf.zerosLike(p)));
    }
  }

  /** Global L2 norm of the gradients (a number). */
  static gradNorm(grads: Record<string, tf.Tensor>): number {
    return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  }

  /**
   * Applies one update with `grads` (keyed like the store; missing keys are treated as zero
   * gradients and skipped). `lr` overrides the configured rate (for schedules). Returns the
   * gradient norm before clipping. Does not dispose `grads`.
   */
  apply(grads: Record<string, tf.Tensor>, lr = this.config.lr): number {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, clipGradNorm } = this.config;
    const norm = Adam.gradNorm(grads);
    const scale = clipGradNorm !== undefined && norm > clipGradNorm ? clipGradNorm / (norm + 1e-6) : 1;
    this.step++;
    const bc1 = 1 - Math.pow(beta1, this.step), bc2 = 1 - Math.pow(beta2, this.step);
    tf.tidy(() => {
      for (const [k, p] of this.params.vars) {
        const g0 = grads[k];
        if (!g0) continue;
        const g = scale !== 1 ? tf.mul(g0, scale) : g0;
        const m = this.m.get(k)!, v = this.v.get(k)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        let next: tf.Tensor = p;
        if (weightDecay > 0) next = tf.mul(next, 1 - lr * weightDecay);
        next = tf.sub(next, tf.mul(tf.div(m, denom), lr / bc1));
        p.assign(next);
      }
    });
    return norm;
  }

  stateToHost(): Map<string, HostArray> {
    const out = new Map<string, HostArray>();
    for (const [k, t] of this.m) out.set(`m.${k}`, { dtype: 'float32', shape: t.shape.slice(), data: t.dataSync() as Float32Array });
    for (const [k, t] of this.v) out.set(`v.${k}`, { dtype: 'float32', shape: t.shape.slice(), data: t.dataSync() as Float32Array });
    out.set('step', { dtype: 'float64', shape: [1], data: Float64Array.from([this.step]) });
    return out;
  }

  loadState(state: Map<string, HostArray>): void {
    for (const [k, t] of this.m) { const a = state.get(`m.${k}`); if (a) tf.tidy(() => t.assign(tf.tensor(toFloat32(a), t.shape))); }
    for (const [k, t] of this.v) { const a = state.get(`v.${k}`); if (a) tf.tidy(() => t.assign(tf.tensor(toFloat32(a), t.shape))); }
    const s = state.get('step');
    if (s) this.step = Number((s.data as Float64Array)[0]);
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear(); this.v.clear();
  }
}

/** Linear warm-up to `lr` over `warmup` steps, then linear decay to 0 at `total` (transformers' get_linear_schedule_with_warmup). */
export function linearWarmupDecay(step: number, lr: number, warmup: number, total: number): number {
  if (step < warmup) return lr * (step / Math.max(1, warmup));
  return lr * Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/**
 * Loss and gradients of `lossFn` with respect to every variable of the store: returns the loss
 * value (a number) and the gradients (caller disposes them with tf.dispose).
 */
export function lossAndGrads(params: ParamStore, lossFn: () => tf.Scalar): { loss: number; grads: Record<string, tf.Tensor> } {
  const varList = [...params.vars.values()];
  const { value, grads } = tf.variableGrads(lossFn, varList);
  const loss = value.dataSync()[0];
  value.dispose();
  const byName: Record<string, tf.Tensor> = {};
  const nameOf = new Map(varList.map((v, i) => [v.name, [...params.vars.keys()][i]]));
  for (const [vn, g] of Object.entries(grads)) byName[nameOf.get(vn)!] = g;
  return { loss, grads: byName };
}
