// A named store of trainable tf.Variables, with conversion to and from host arrays
// (safetensors), counting, and initialisers drawn from the project's seeded Rng. Device reads are
// asynchronous (`await t.data()`), so they work on every backend, webgpu included.
import { tf } from '../tf.ts';
import type { HostArray } from '../io/dtype.ts';
import { toFloat32, numel } from '../io/dtype.ts';
import { DbridgeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

export class ParamStore {
  readonly vars = new Map<string, tf.Variable>();

  /** Adds a variable holding `init` (which the store takes over). */
  add(name: string, init: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) throw new Error(`parameter ${name} defined twice`);
    const v = tf.variable(init, true, `${name}_${Math.random().toString(36).slice(2, 8)}`);
    init.dispose();
    this.vars.set(name, v);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** Every parameter's values, read from the device (asynchronously). */
  toHost(): Promise<Map<string, HostArray>> {
    return tensorsToHost(this.vars);
  }

  /** Loads values by name; every parameter must be present with its shape unless `strict` is false. */
  load(arrays: Map<string, HostArray>, opts: { strict?: boolean; source?: string } = {}): void {
    const strict = opts.strict ?? true;
    const src = opts.source ?? 'checkpoint';
    const missing = this.names().filter((n) => !arrays.has(n));
    if (strict && missing.length) throw new DbridgeError(`${src} lacks ${missing.length} parameter(s), e.g. ${missing.slice(0, 3).join(', ')}`);
    for (const [name, v] of this.vars) {
      const a = arrays.get(name);
      if (!a) continue;
      if (numel(a.shape) !== v.size || a.shape.join(',') !== v.shape.join(',')) {
        throw new DbridgeError(`${src}: parameter ${name} has shape [${a.shape}], the model expects [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(toFloat32(a), v.shape)));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/** Reads named float32 tensors to host arrays, all transfers in flight at once. */
export async function tensorsToHost(entries: Iterable<readonly [string, tf.Tensor]>): Promise<Map<string, HostArray>> {
  const list = [...entries];
  const data = await Promise.all(list.map(([, t]) => t.data() as Promise<Float32Array>));
  return new Map(list.map(([k, t], i) => [k, { dtype: 'float32', shape: t.shape.slice(), data: data[i] }]));
}

/** Initialisers on the seeded Rng (host-side draws, so the values do not depend on the backend). */
export const init = {
  normal(rng: Rng, shape: number[], std: number, mean = 0): tf.Tensor {
    const n = numel(shape), d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = mean + std * rng.normal();
    return tf.tensor(d, shape);
  },
  uniform(rng: Rng, shape: number[], bound: number): tf.Tensor {
    const n = numel(shape), d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = (rng.uniform() * 2 - 1) * bound;
    return tf.tensor(d, shape);
  },
  /** PyTorch's default for Linear/Conv weights and biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
  torchDefault(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
    return init.uniform(rng, shape, 1 / Math.sqrt(fanIn));
  },
  zeros(shape: number[]): tf.Tensor { return tf.zeros(shape); },
  ones(shape: number[]): tf.Tensor { return tf.ones(shape); },
};
