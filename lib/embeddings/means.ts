// Modality means (docs/spec.md §1.1, official compute_embed_means.py): the mean of the L2-normalised
// training embeddings of one modality, kept unnormalised. Accumulated in float64 (the official
// script averages in float32 on the GPU; the difference is far below float32 resolution of the
// inputs' fp16 storage). Works for any dimension and any modality.
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';
import { checkFinite } from '../util/errors.ts';
import { checkMatrix, NORMALIZE_EPS } from './normalize.ts';

/** Mean of the L2-normalised rows of a host matrix [n, d] -> Float32Array [d]. */
export function modalityMean(data: Float32Array, n: number, d: number): Float32Array {
  checkMatrix(data, n, d, 'modalityMean');
  if (n === 0) throw new DbridgeError('modalityMean: no embeddings to average (0 rows)');
  checkFinite(data, 'modalityMean input');
  const acc = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += data[o + j] * data[o + j];
    const inv = 1 / Math.max(Math.sqrt(s), NORMALIZE_EPS);
    for (let j = 0; j < d; j++) acc[j] += data[o + j] * inv;
  }
  const out = new Float32Array(d);
  for (let j = 0; j < d; j++) out[j] = acc[j] / n;
  return out;
}

/** Tensor version: mean over rows of normalize(x) for x [N, D] -> [D]. */
export function modalityMeanTensor(x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    if (x.rank !== 2) throw new DbridgeError(`modalityMeanTensor: expected [N, D], got shape [${x.shape}]`);
    if (x.shape[0] === 0) throw new DbridgeError('modalityMeanTensor: no embeddings to average (0 rows)');
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), NORMALIZE_EPS);
    return tf.mean(tf.div(x, norm), 0) as tf.Tensor1D;
  });
}
