// The paper variant's bridge starts from an x_M of the radius its epsilon-network saw at that step
// in training (issue 11): trainingRadius matches the empirical norm of q_sample, the first network
// input of a paper-variant bridge has that norm, and the official variant is unchanged.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../lib/tf.ts';
import { DiffusionModel, diffusionConfig, qSample, bridge, trainingRadius, type DdimTrace } from '../../lib/diffusion/index.ts';
import { DENOISER_PRESETS } from '../../lib/diffusion/denoisers/index.ts';
import { preprocessRows } from '../../lib/embeddings/index.ts';
import { Rng } from '../../lib/util/rng.ts';
import { setupBackend, assertNoLeak } from '../helpers.ts';

before(async () => { await setupBackend(); });

const L = 64;
const rowNorms = (x: Float32Array) => Array.from({ length: x.length / L }, (_, i) => Math.hypot(...x.subarray(i * L, (i + 1) * L)));

test('trainingRadius is the norm of training states x_t at radius C', () => {
  const m = DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS.small), 'paper'), 0);
  const rng = new Rng(1), n = 2000;
  const z0 = tf.tensor2d(preprocessRows(rng.normals(n * L), n, L, new Float32Array(L)), [n, L]);
  const eps = tf.tensor2d(rng.normals(n * L), [n, L]);
  for (const t of [0, 199, 599, 999]) {
    const xt = qSample(m, z0, t, eps);
    const norms = rowNorms(xt.dataSync() as Float32Array);
    const mean = norms.reduce((a, b) => a + b, 0) / n;
    const r = trainingRadius(m, t, L);
    assert.ok(Math.abs(mean - r) / r < 0.02, `t = ${t}: empirical ${mean.toFixed(3)} vs ${r.toFixed(3)}`);
    xt.dispose();
  }
  assert.ok(trainingRadius(m, 599, L) > 1.3 * m.radius, 'at t = 599 the training states lie well outside radius C (L = 64; more at larger L)');
  tf.dispose([z0, eps]);
  m.dispose();
});

test('paper variant: the first network input of a bridge has the training radius; official: radius C as before', async () => {
  const rng = new Rng(2), n = 4, M = 600;
  const x = tf.tensor2d(preprocessRows(rng.normals(n * L), n, L, new Float32Array(L)), [n, L]);
  for (const variant of ['paper', 'official'] as const) {
    const m = DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS.small), variant), 3);
    const want = variant === 'paper' ? trainingRadius(m, M - 1, L) : m.radius;
    const trace: DdimTrace = { t: [], xIn: [], predX0: [] };
    const y = await assertNoLeak(() => bridge(m, x, { M, steps: 3, trace }), 'bridge');
    assert.equal(trace.t[0], M - 1);
    for (const r of rowNorms(trace.xIn[0])) assert.ok(Math.abs(r - want) < 1e-3 * want, `${variant}: first input norm ${r} vs ${want}`);
    // opting out keeps the preprocessed radius
    const keep: DdimTrace = { t: [], xIn: [], predX0: [] };
    tf.dispose(bridge(m, x, { M, steps: 3, trace: keep, startRadius: 'input' }));
    for (const r of rowNorms(keep.xIn[0])) assert.ok(Math.abs(r - m.radius) < 1e-3, `${variant} 'input': ${r}`);
    y.dispose();
    m.dispose();
  }
  x.dispose();
});
