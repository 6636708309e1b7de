// Adam / AdamW over a ParamStore (the EMA of weights lives in lib/diffusion/ema.ts, with ema_pytorch's semantics), with global gradient-norm clipping (torch clip_grad_norm_
// semantics: scale by max_norm / (norm + 1e-6) when norm > max_norm) and state that can be saved
// and restored for --resume. Follows torch.optim.Adam / AdamW (bias-corrected moments; AdamW's
// decoupled weight decay p -= lr * wd * p before the Adam update); parameter groups (AdamGroups)
// and the Optimizer interface the training harness (lib/train) drives. Nothing here reads the device
// synchronously (webgpu cannot): the gradient norm, the clip factor and the loss stay on the device
// as scalar tensors, and state is read with `await` (stateToHost) at checkpoint boundaries.
import { tf } from '../tf.ts';
import type { HostArray } from '../io/dtype.ts';
import { toFloat32 } from '../io/dtype.ts';
import type { ParamStore } from './params.ts';
import { tensorsToHost } from './params.ts';

export interface AdamConfig {
  lr: number;
  beta1?: number;        // default 0.9
  beta2?: number;        // default 0.999
  eps?: number;          // default 1e-8
  weightDecay?: number;  // decoupled (AdamW) when > 0; default 0
  clipGradNorm?: number; // global norm clip; default none
}

/**
 * What the training harness (lib/train) drives: one update from gradients keyed by parameter
 * name, entirely on the device, and state for exact resume.
 */
export interface Optimizer {
  /** Updates applied so far. */
  readonly step: number;
  /** One update at learning rate `lr` (grads not disposed); returns the gradient norm before clipping (a device scalar the caller disposes). */
  apply(grads: Record<string, tf.Tensor>, lr: number): tf.Scalar;
  stateToHost(): Promise<Map<string, HostArray>>;
  loadState(state: Map<string, HostArray>): void;
  dispose(): void;
}

/** A non-trainable variable holding `init`, which is disposed (tf.variable keeps its own reference). */
function ownedVariable(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init, false);
  init.dispose();
  return v;
}

export class Adam implements Optimizer {
  step = 0;
  private m = new Map<string, tf.Variable>();
  private v = new Map<string, tf.Variable>();
  /**
   * `names` restricts the optimiser to these parameters (a parameter group; default all): only
   * their moments are kept, and apply() ignores (and leaves out of the norm) other gradients.
   */
  constructor(private readonly params: ParamStore, readonly config: AdamConfig, names?: readonly string[]) {
    const own = names ? new Set(names) : null;
    for (const [k, p] of params.vars) {
      if (own && !own.has(k)) continue;
      this.m.set(k, ownedVariable(tf.zerosLike(p)));
      this.v.set(k, ownedVariable(tf.zerosLike(p)));
    }
  }

  /** Global L2 norm of the gradients, as a scalar tensor on the device (the caller disposes it). */
  static gradNorm(grads: Record<string, tf.Tensor>): tf.Scalar {
    return tf.tidy(() => tf.sqrt(sumScalars(Object.values(grads).map((g) => tf.sum(tf.square(g)))))) as tf.Scalar;
  }

  /**
   * Applies one update with `grads` (keyed like the store; missing keys are treated as zero
   * gradients and skipped). `lr` overrides the configured rate (for schedules). Returns the
   * gradient norm before clipping as a device scalar (the caller disposes it; read it with
   * `await norm.data()` when needed). Clipping multiplies by torch's clamp(max / (norm + 1e-6), max = 1),
   * computed on the device. Does not dispose `grads`.
   */
  apply(allGrads: Record<string, tf.Tensor>, lr = this.config.lr): tf.Scalar {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, clipGradNorm } = this.config;
    const grads: Record<string, tf.Tensor> = {};
    for (const k of this.m.keys()) if (allGrads[k]) grads[k] = allGrads[k];
    const norm = Object.keys(grads).length ? Adam.gradNorm(grads) : tf.scalar(0);
    this.step++;
    const bc1 = 1 - Math.pow(beta1, this.step), bc2 = 1 - Math.pow(beta2, this.step);
    tf.tidy(() => {
      const scale = clipGradNorm !== undefined ? tf.minimum(tf.div(clipGradNorm, tf.add(norm, 1e-6)), 1) : null;
      for (const [k, g0] of Object.entries(grads)) {
        const p = this.params.vars.get(k)!;
        const g = scale ? tf.mul(g0, scale) : g0;
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

  async stateToHost(): Promise<Map<string, HostArray>> {
    const out = await tensorsToHost([...[...this.m].map(([k, t]) => [`m.${k}`, t] as const), ...[...this.v].map(([k, t]) => [`v.${k}`, t] as const)]);
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

/**
 * Sum of many scalars: addN in groups of at most 7 inputs (a webgpu shader may bind only 8
 * storage buffers per stage; one addN over a model's ~100-200 gradients fails to compile there).
 */
function sumScalars(xs: tf.Tensor[]): tf.Tensor {
  const GROUP = 7;
  while (xs.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < xs.length; i += GROUP) {
      const part = xs.slice(i, i + GROUP);
      next.push(part.length === 1 ? part[0] : tf.addN(part));
    }
    xs = next;
  }
  return xs[0];
}

/**
 * Parameter groups, each with its own Adam (clipped over its own gradients) and learning-rate
 * multiplier, as one Optimizer; state keys carry the group's name as a prefix. apply() returns
 * the first group's gradient norm.
 */
export class AdamGroups implements Optimizer {
  constructor(readonly groups: { name: string; adam: Adam; lrMult: number }[]) {
    if (groups.length === 0) throw new Error('AdamGroups needs at least one group');
  }
  get step(): number { return this.groups[0].adam.step; }
  apply(grads: Record<string, tf.Tensor>, lr: number): tf.Scalar {
    const norms = this.groups.map((g) => g.adam.apply(grads, lr * g.lrMult));
    tf.dispose(norms.slice(1));
    return norms[0];
  }
  async stateToHost(): Promise<Map<string, HostArray>> {
    const out = new Map<string, HostArray>();
    for (const g of this.groups) for (const [k, v] of await g.adam.stateToHost()) out.set(`${g.name}.${k}`, v);
    return out;
  }
  loadState(state: Map<string, HostArray>): void {
    for (const g of this.groups) {
      const p = `${g.name}.`;
      g.adam.loadState(new Map([...state].filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v])));
    }
  }
  dispose(): void { for (const g of this.groups) g.adam.dispose(); }
}

/** Linear warm-up to `lr` over `warmup` steps, then linear decay to 0 at `total` (transformers' get_linear_schedule_with_warmup). */
export function linearWarmupDecay(step: number, lr: number, warmup: number, total: number): number {
  if (step < warmup) return lr * (step / Math.max(1, warmup));
  return lr * Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/**
 * Loss and gradients of `lossFn` with respect to the store's trainable variables: returns the loss
 * as a device scalar and the gradients keyed by parameter name (the caller disposes both, e.g.
 * tf.dispose([loss, ...grads])). A variable the loss does not reach, or one marked non-trainable
 * (`variable.trainable = false`, e.g. a fixed temperature), gets no entry.
 */
export function lossAndGrads(params: ParamStore, lossFn: () => tf.Scalar): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const names = params.names().filter((k) => params.vars.get(k)!.trainable);
  const varList = names.map((k) => params.vars.get(k)!);
  const { value: loss, grads } = tf.variableGrads(lossFn, varList);
  const byName: Record<string, tf.Tensor> = {};
  names.forEach((k, i) => { const g = grads[varList[i].name]; if (g) byName[k] = g; });
  return { loss, grads: byName };
}
