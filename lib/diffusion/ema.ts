// Exponential moving average of the denoiser's weights with the semantics of ema_pytorch's EMA as
// the official Trainer1D uses it (beta 0.995, update_every 10, update_after_step 100, warm-up
// decay 1 - (1 + e/inv_gamma)^-power clamped to beta, inv_gamma 1, power 2/3): update() is called
// after every optimiser step; every `every`-th call either copies the weights (until
// `afterStep`) or moves the average towards them.
import { tf } from '../tf.ts';
import type { HostArray } from '../io/dtype.ts';
import { toFloat32 } from '../io/dtype.ts';
import type { ParamStore } from '../nn/params.ts';
import { tensorsToHost } from '../nn/params.ts';

export interface EmaOptions {
  decay: number;
  every: number;
  afterStep: number;
  invGamma?: number;
  power?: number;
}

export class WeightEma {
  readonly shadow = new Map<string, tf.Variable>();
  /** Number of update() calls so far (ema_pytorch `step`). */
  step = 0;
  initted = false;

  constructor(private readonly params: ParamStore, readonly opts: EmaOptions) {
    for (const [k, p] of params.vars) {
      const c = p.clone();
      this.shadow.set(k, tf.variable(c, false));
      c.dispose(); // the variable holds its own reference to the data
    }
  }

  /** ema_pytorch get_current_decay() for the current counter. */
  currentDecay(): number {
    const epoch = Math.max(this.step - this.opts.afterStep - 1, 0);
    if (epoch <= 0) return 0;
    const v = 1 - Math.pow(1 + epoch / (this.opts.invGamma ?? 1), -(this.opts.power ?? 2 / 3));
    return Math.min(Math.max(v, 0), this.opts.decay);
  }

  private copy(): void {
    tf.tidy(() => { for (const [k, p] of this.params.vars) this.shadow.get(k)!.assign(p); });
  }

  update(): void {
    const step = this.step;
    this.step++;
    if (step % this.opts.every !== 0) return;
    if (step <= this.opts.afterStep) { this.copy(); return; }
    if (!this.initted) { this.copy(); this.initted = true; }
    const w = 1 - this.currentDecay();
    tf.tidy(() => {
      for (const [k, p] of this.params.vars) {
        const s = this.shadow.get(k)!;
        s.assign(tf.add(s, tf.mul(tf.sub(p, s), w)));
      }
    });
  }

  /** The averaged weights, read from the device (asynchronously; works on webgpu). */
  toHost(): Promise<Map<string, HostArray>> {
    return tensorsToHost(this.shadow);
  }

  load(arrays: Map<string, HostArray>, state: { step: number; initted: boolean }): void {
    for (const [k, t] of this.shadow) { const a = arrays.get(k); if (a) tf.tidy(() => t.assign(tf.tensor(toFloat32(a), t.shape))); }
    this.step = state.step;
    this.initted = state.initted;
  }

  dispose(): void {
    for (const t of this.shadow.values()) t.dispose();
    this.shadow.clear();
  }
}
