// L2 normalisation of embedding rows, as torch.nn.functional.normalize(x, dim=-1) does it:
// x / max(||x||_2, eps) with eps = 1e-12 (a zero row stays zero instead of becoming NaN).
// Two forms: on tensors ([N, D], any D) and on host row-major Float32Arrays.
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';

/** torch's default eps for F.normalize. */
export const NORMALIZE_EPS = 1e-12;

/** Rows of x [N, D] (or a vector [D]) scaled to unit L2 norm along the last axis, times `radius` (default 1). */
export function l2Normalize<T extends tf.Tensor>(x: T, radius = 1): T {
  return tf.tidy(() => {
    if (x.rank < 1) throw new DbridgeError(`l2Normalize: expected a vector or a matrix, got a scalar`);
    const axis = x.rank - 1;
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), axis, true)), NORMALIZE_EPS);
    const unit = tf.div(x, norm);
    return (radius === 1 ? unit : tf.mul(unit, radius)) as T;
  });
}

/** Host version: returns a new Float32Array whose n rows of width d have unit norm (times `radius`). */
export function l2NormalizeRows(data: Float32Array, n: number, d: number, radius = 1): Float32Array {
  return normalizeInto(data, new Float32Array(n * d), n, d, radius, 'l2NormalizeRows');
}

/** As l2NormalizeRows, overwriting `data` (returned). */
export function l2NormalizeRowsInPlace(data: Float32Array, n: number, d: number, radius = 1): Float32Array {
  return normalizeInto(data, data, n, d, radius, 'l2NormalizeRowsInPlace');
}

function normalizeInto(data: Float32Array, out: Float32Array, n: number, d: number, radius: number, what: string): Float32Array {
  checkMatrix(data, n, d, what);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += data[o + j] * data[o + j];
    const inv = radius / Math.max(Math.sqrt(s), NORMALIZE_EPS);
    for (let j = 0; j < d; j++) out[o + j] = data[o + j] * inv;
  }
  return out;
}

/** L2 norm of each of the n rows of width d. */
export function rowNorms(data: Float32Array, n: number, d: number): Float64Array {
  checkMatrix(data, n, d, 'rowNorms');
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[i * d + j] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

export function checkMatrix(data: ArrayLike<number>, n: number, d: number, what: string): void {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1) throw new DbridgeError(`${what}: bad matrix size ${n} x ${d}`);
  if (data.length !== n * d) throw new DbridgeError(`${what}: data has ${data.length} values, a ${n} x ${d} matrix needs ${n * d}`);
}
