// Embeddings: L2 normalisation, modality means, preprocessing (docs/spec.md §1.1) on tensors and host
// arrays, for any dimension; errors for bad inputs; leak checks.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../lib/tf.ts';
import { l2Normalize, l2NormalizeRows, rowNorms, modalityMean, modalityMeanTensor, preprocess, preprocessRows } from '../../lib/embeddings/index.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { Rng } from '../../lib/util/rng.ts';
import { setupBackend, assertClose, assertNoLeak } from '../helpers.ts';

before(async () => { await setupBackend(); });

const rng = new Rng(11);

/** Straightforward float64 reference of C*normalize(normalize(e) - mean). */
function ref(e: Float32Array, n: number, d: number, mean: Float32Array, C: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = Array.from(e.subarray(i * d, (i + 1) * d));
    const n1 = Math.hypot(...row);
    const c = row.map((v, j) => v / n1 - mean[j]);
    const n2 = Math.hypot(...c);
    c.forEach((v, j) => { out[i * d + j] = (C * v) / n2; });
  }
  return out;
}

for (const d of [3, 64, 512, 768]) {
  test(`preprocess matches the float64 formula, d=${d}`, async () => {
    const n = 7;
    const e = rng.normals(n * d).map((v) => v * 3 + 0.5);
    const mean = modalityMean(rng.normals(20 * d), 20, d);
    const want = ref(e, n, d, mean, 5);
    assertClose(preprocessRows(e, n, d, mean), want, 2e-6, 'host');
    const got = await assertNoLeak(() => tf.tidy(() => preprocess(tf.tensor2d(e, [n, d]), mean)), 'preprocess');
    assertClose(got.dataSync(), want, 2e-6, 'tensor');
    const norms = rowNorms(got.dataSync() as Float32Array, n, d);
    for (const v of norms) assert.ok(Math.abs(v - 5) < 1e-5);
    got.dispose();
  });
}

test('preprocess with another radius and a 1-D input; mean as tensor', async () => {
  const d = 16;
  const e = rng.normals(d), meanArr = rng.normals(d).map((v) => v * 0.1);
  const mean = tf.tensor1d(meanArr);
  const et = tf.tensor1d(e);
  const y = await assertNoLeak(() => preprocess(et, mean, 20), 'preprocess 1-D');
  assertClose(y.dataSync(), ref(e, 1, d, meanArr, 20), 1e-5);
  tf.dispose([y, mean, et]);
});

test('modality mean = mean of the normalised rows (host and tensor agree)', async () => {
  const n = 50, d = 10;
  const x = rng.normals(n * d);
  const m = modalityMean(x, n, d);
  const u = l2NormalizeRows(x, n, d);
  const want = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) want[j] += u[i * d + j] / n;
  assertClose(m, want, 1e-6);
  const xt = tf.tensor2d(x, [n, d]);
  const mt = await assertNoLeak(() => modalityMeanTensor(xt), 'modalityMeanTensor');
  assertClose(mt.dataSync(), want, 1e-6);
  tf.dispose([mt, xt]);
  // scaling a row does not change the mean
  const x2 = Float32Array.from(x); for (let j = 0; j < d; j++) x2[j] *= 37;
  assertClose(modalityMean(x2, n, d), m, 1e-6);
});

test('l2Normalize: unit rows, radius, zero rows stay zero (F.normalize eps)', async () => {
  const x = tf.tensor2d([[3, 4], [0, 0]]);
  const y = await assertNoLeak(() => l2Normalize(x), 'l2Normalize');
  assert.deepEqual(Array.from(y.dataSync()), [Math.fround(0.6), Math.fround(0.8), 0, 0]);
  const z = l2Normalize(x, 5);
  assertClose(z.dataSync(), [3, 4, 0, 0], 1e-6);
  tf.dispose([x, y, z]);
  assert.deepEqual(Array.from(l2NormalizeRows(new Float32Array([0, 0, 6, 8]), 2, 2)), [0, 0, 0.6000000238418579, 0.800000011920929]);
});

test('bad inputs give DbridgeErrors', () => {
  assert.throws(() => preprocessRows(new Float32Array(6), 2, 3, new Float32Array(4)), (e: Error) => e instanceof DbridgeError && /dimension 3.*4 values/.test(e.message));
  assert.throws(() => preprocessRows(new Float32Array(5), 2, 3, new Float32Array(3)), DbridgeError);
  assert.throws(() => preprocessRows(new Float32Array([1, NaN, 1]), 1, 3, new Float32Array(3)), /not finite/);
  assert.throws(() => preprocessRows(new Float32Array(3), 1, 3, new Float32Array([0, NaN, 0])), /mean contains NaN/);
  assert.throws(() => modalityMean(new Float32Array(0), 0, 3), /0 rows/);
  assert.throws(() => modalityMean(new Float32Array([1, Infinity]), 1, 2), DbridgeError);
  assert.throws(() => tf.tidy(() => preprocess(tf.zeros([2, 3]) as tf.Tensor2D, new Float32Array(4))), /dimension 3/);
});
