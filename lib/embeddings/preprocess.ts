// Preprocessing of embeddings before the diffusion model (docs/spec.md §1.1, official train_norm.py and the
// make_dataset scripts): z = C * normalize(normalize(e) - mean), C = 5. The text mean is used for
// text, the image (audio, ...) mean for the other modality; nothing here knows which is which.
import { tf } from '../tf.ts';
import { DbridgeError, checkFinite } from '../util/errors.ts';
import { checkMatrix, NORMALIZE_EPS } from './normalize.ts';

/** The radius C of preprocessed embeddings (docs/spec.md, Decisions (3)). */
export const DEFAULT_RADIUS = 5;

/**
 * z = C * normalize(normalize(e) - mean) for e [N, D] (or [D]); `mean` is [D] (tensor or host
 * array). Follows the official operation order in float32: e / max(|e|, 1e-12), minus the mean,
 * divided by its norm, times C.
 */
export function preprocess<T extends tf.Tensor1D | tf.Tensor2D>(e: T, mean: tf.Tensor1D | Float32Array, C = DEFAULT_RADIUS): T {
  return tf.tidy(() => {
    const d = e.shape[e.rank - 1]!;
    const m = mean instanceof Float32Array ? tf.tensor1d(mean) : mean;
    if (m.rank !== 1 || m.shape[0] !== d) {
      throw new DbridgeError(`preprocess: embeddings have dimension ${d} but the mean has shape [${m.shape}]`);
    }
    const axis = e.rank - 1;
    const n1 = tf.maximum(tf.sqrt(tf.sum(tf.square(e), axis, true)), NORMALIZE_EPS);
    const c = tf.sub(tf.div(e, n1), m);
    const n2 = tf.maximum(tf.sqrt(tf.sum(tf.square(c), axis, true)), NORMALIZE_EPS);
    return tf.mul(tf.div(c, n2), C) as T;
  });
}

/** Host version of `preprocess` for n rows of width d; validates sizes and finiteness. */
export function preprocessRows(data: Float32Array, n: number, d: number, mean: Float32Array, C = DEFAULT_RADIUS): Float32Array {
  checkMatrix(data, n, d, 'preprocess');
  if (mean.length !== d) throw new DbridgeError(`preprocess: embeddings have dimension ${d} but the mean has ${mean.length} values`);
  checkFinite(mean, 'the modality mean');
  const out = new Float32Array(n * d);
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += data[o + j] * data[o + j];
    if (!Number.isFinite(s)) throw new DbridgeError(`preprocess: row ${i} is not finite`);
    const n1 = f(Math.max(Math.sqrt(s), NORMALIZE_EPS));
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const c = f(f(data[o + j] / n1) - mean[j]);
      out[o + j] = c;
      s2 += c * c;
    }
    const n2 = f(Math.max(Math.sqrt(s2), NORMALIZE_EPS));
    for (let j = 0; j < d; j++) out[o + j] = f(f(out[o + j] / n2) * C);
  }
  return out;
}
