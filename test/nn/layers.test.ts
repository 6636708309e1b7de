import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../lib/tf.ts';
import { linear, conv1d, embedding, attention, layerNorm, geluTanh, torchConvWeightToIm2col, ParamStore, Adam, lossAndGrads } from '../../lib/nn/index.ts';
import { WeightEma } from '../../lib/diffusion/ema.ts';
import { setupBackend, assertClose, assertNoLeak } from '../helpers.ts';
import { Rng } from '../../lib/util/rng.ts';

before(async () => { await setupBackend(); });

const rng = new Rng(3);
const rand = (shape: number[]) => tf.tensor(rng.normals(shape.reduce((a, b) => a * b, 1)), shape);

/** Central finite differences of sum(f(x) * r) with respect to each element of `wrt` (a few sampled indices). */
function checkGrad(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], which: number, samples = 6): void {
  const out = f(...inputs);
  const r = rand(out.shape);
  out.dispose();
  const scalar = (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)) as tf.Scalar;
  const g = tf.grads(scalar)(inputs);
  const gd = g[which].dataSync();
  const base = inputs[which].dataSync();
  for (let s = 0; s < samples; s++) {
    const i = rng.int(base.length);
    const eps = 1e-2;
    const plus = Float32Array.from(base); plus[i] += eps;
    const minus = Float32Array.from(base); minus[i] -= eps;
    const run = (d: Float32Array) => tf.tidy(() => {
      const xs = inputs.slice(); xs[which] = tf.tensor(d, inputs[which].shape);
      return scalar(...xs).dataSync()[0];
    });
    const fd = (run(plus) - run(minus)) / (2 * eps);
    assert.ok(Math.abs(fd - gd[i]) <= 2e-2 * Math.max(1, Math.abs(fd)), `grad[${which}][${i}] analytic ${gd[i]} vs numeric ${fd}`);
  }
  tf.dispose([...g, r]);
}

test('linear matches matMul and its gradients match finite differences', () => {
  const x = rand([3, 4, 5]), w = rand([5, 6]), b = rand([6]);
  const y = linear(x, w, b);
  const ref = tf.add(tf.matMul(x.reshape([12, 5]), w), b).reshape([3, 4, 6]);
  assertClose(y.dataSync(), ref.dataSync(), 1e-5);
  for (const i of [0, 1, 2]) checkGrad((a, bb, c) => linear(a, bb, c), [x, w, b], i);
  tf.dispose([x, w, b, y, ref]);
});

test('conv1d (im2col) matches tf.conv1d for stride 1 and 2, with gradients', () => {
  for (const [k, pad, stride] of [[3, 1, 1], [7, 3, 1], [4, 1, 2], [1, 0, 1]] as const) {
    const x = rand([2, 8, 3]);
    const wt = rng.normals(5 * 3 * k); // torch [out=5, in=3, k]
    const w = tf.tensor(torchConvWeightToIm2col(wt, 5, 3, k), [k * 3, 5]);
    const b = rand([5]);
    const y = conv1d(x, w, b, k, { pad, stride });
    // tf.conv1d wants filter [k, in, out]
    const filt = tf.tensor(wt, [5, 3, k]).transpose([2, 1, 0]);
    const xp = tf.pad(x, [[0, 0], [pad, pad], [0, 0]]) as tf.Tensor3D; // (tf.conv1d's numeric padding is wrong on wasm)
    const ref = tf.add(tf.conv1d(xp, filt as tf.Tensor3D, stride, 'valid'), b);
    assert.deepEqual(y.shape, ref.shape);
    assertClose(y.dataSync(), ref.dataSync(), 1e-4, `conv k=${k} stride=${stride}`);
    checkGrad((a, ww) => conv1d(a, ww, undefined, k, { pad, stride }), [x, w], 1);
    checkGrad((a, ww) => conv1d(a, ww, undefined, k, { pad, stride }), [x, w], 0);
    tf.dispose([x, w, b, y, filt, ref, xp]);
  }
});

test('embedding gradient works on wasm (registered UnsortedSegmentSum)', () => {
  const table = rand([7, 4]);
  const ids = tf.tensor2d([[1, 3, 3], [6, 0, 1]], [2, 3], 'int32');
  const out = embedding(table, ids);
  assert.deepEqual(out.shape, [2, 3, 4]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(embedding(t, ids)))(table);
  const gd = g.dataSync();
  // row 3 used twice, row 1 twice, rows 0 and 6 once, rows 2,4,5 never
  assert.deepEqual([gd[3 * 4], gd[1 * 4], gd[0], gd[6 * 4], gd[2 * 4], gd[5 * 4]], [2, 2, 1, 1, 0, 0]);
  tf.dispose([table, ids, out, g]);
});

test('attention and layerNorm gradients', () => {
  const q = rand([1, 2, 3, 4]), k = rand([1, 2, 5, 4]), v = rand([1, 2, 5, 4]);
  for (const i of [0, 1, 2]) checkGrad((a, b, c) => attention(a, b, c), [q, k, v], i);
  const x = rand([2, 6]), g = rand([6]), bb = rand([6]);
  checkGrad((a, b, c) => layerNorm(a, b, c), [x, g, bb], 0);
  tf.dispose([q, k, v, x, g, bb]);
});

test('Adam matches torch.optim.Adam on a quadratic and leaks nothing', async () => {
  const store = new ParamStore();
  store.add('w', tf.tensor1d([1, -2]));
  const opt = new Adam(store, { lr: 0.1, beta1: 0.9, beta2: 0.99 });
  const ema = new WeightEma(store, { decay: 0.5, every: 1, afterStep: 0 });
  await assertNoLeak(() => {
    for (let s = 0; s < 3; s++) {
      const { loss, grads } = lossAndGrads(store, () => tf.sum(tf.square(store.get('w'))) as tf.Scalar);
      tf.dispose([loss, opt.apply(grads), ...Object.values(grads)]);
      ema.update();
    }
  }, 'Adam steps');
  // torch.optim.Adam([w], lr=0.1, betas=(0.9, 0.99)) on sum(w^2), 3 steps from [1, -2]: each step moves by ~lr
  assertClose(store.get('w').dataSync(), [0.7000000, -1.7000000], 2e-3);
  opt.dispose(); ema.dispose(); store.dispose();
});

test('Adam and EMA construction and disposal leave no tensors behind', async () => {
  await assertNoLeak(() => {
    const store = new ParamStore();
    store.add('w', tf.zeros([3, 2]));
    const opt = new Adam(store, { lr: 0.1 });
    const ema = new WeightEma(store, { decay: 0.9, every: 1, afterStep: 0 });
    opt.dispose(); ema.dispose(); store.dispose();
  }, 'Adam/EMA lifecycle');
});

test('geluTanh equals the tanh formula of GPT-2 gelu_new', () => {
  const x = tf.tensor1d([-4, -1.5, -0.3, 0, 0.2, 1, 3.7]);
  const ref = tf.tidy(() => tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))));
  const y = geluTanh(x);
  assertClose(y.dataSync(), ref.dataSync(), 1e-6, 'gelu_new');
  tf.dispose([x, ref, y]);
});
