// DiffusionModel: checkpoint folders (save/load, raw vs EMA weights, clear errors), objectives and
// conversions, augmentation (seeded, batch-independent, official off-by-one), sampling from noise,
// host helpers, variants and named configs, and leak checks for every public tensor function.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import {
  DiffusionModel, diffusionConfig, namedConfig, makeSchedule, coefsAt, predictStartFromNoise, predictNoiseFromStart,
  predictV, predictStartFromV, modelPredictions, objectiveTarget, qSample, qSampleWith, networkInput, applyNetwork, predict, ddimSample,
  bridge, augment, ddpmSample, ddimSampleFromNoise, diffusionLoss, diffusionLossParts, bridgeEmbeddings, augmentEmbeddings,
  gaussianRows, VARIANT_PRESETS, type DdimTrace,
} from '../../lib/diffusion/index.ts';
import { DENOISER_PRESETS } from '../../lib/diffusion/denoisers/index.ts';
import { preprocessRows, modalityMean, rowNorms } from '../../lib/embeddings/index.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { Rng } from '../../lib/util/rng.ts';
import { writeSafetensors } from '../../lib/io/safetensors.ts';
import { setupBackend, assertNoLeak, assertClose, maxAbsDiff, tmpDir } from '../helpers.ts';
import { ReplayDenoiser } from './replay.ts';
import { availableParallelism } from 'node:os';
import { chooseWorkers } from '../../lib/diffusion/parallel.ts';
import type { DiffusionCore } from '../../lib/diffusion/core.ts';

before(async () => { await setupBackend(); });

const L = 64;
const small = () => structuredClone(DENOISER_PRESETS.small);
const rng = new Rng(5);
const sphere = (n: number) => { const x = rng.normals(n * L); return preprocessRows(x, n, L, new Float32Array(L)); };

test('variants: official and paper presets, validation', () => {
  const o = diffusionConfig(small(), 'official');
  assert.equal(o.objective, 'pred_x0'); assert.equal(o.renormalize, true); assert.equal(o.sampling.steps, 5); assert.equal(o.inferenceWeights, 'raw');
  const p = diffusionConfig(small(), 'paper');
  assert.equal(p.objective, 'pred_noise'); assert.equal(p.renormalize, false); assert.equal(p.sampling.steps, 12); assert.equal(p.inferenceWeights, 'ema');
  assert.equal(VARIANT_PRESETS.official.timesteps, 1000);
  assert.throws(() => diffusionConfig(small(), 'nope' as never), /unknown variant/);
  assert.throws(() => diffusionConfig(small(), 'official', { objective: 'pred_y' as never }), /unknown objective/);
  assert.throws(() => diffusionConfig({ ...small(), length: 63 }, 'official'), DbridgeError);
  const n = namedConfig('smoke', { length: 96 });
  assert.equal(n.model.denoiser.length, 96); assert.equal(n.name, 'smoke:official');
  assert.equal(namedConfig('paper:paper', { length: 512 }).model.objective, 'pred_noise');
  const pc = namedConfig('paper', { length: 512 });
  assert.deepEqual(pc.model.denoiser, DENOISER_PRESETS.paper);
  assert.equal(pc.train.batchSize, 64); assert.equal(pc.train.lr, 8e-5); assert.equal(pc.train.beta2, 0.99); assert.equal(pc.train.emaDecay, 0.995);
  assert.equal(namedConfig('mini', { length: 100 }).model.denoiser.kind, 'unet1d');
  assert.throws(() => namedConfig('huge', { length: 64 }), /unknown diffusion config 'huge'/);
  assert.throws(() => namedConfig('smoke:weird', { length: 64 }), /unknown variant/);
});

test('objective conversions are consistent (x0 <-> eps <-> v)', async () => {
  const s = makeSchedule({ timesteps: 1000, kind: 'cosine' });
  const x0 = tf.tensor2d(sphere(4), [4, L]);
  const eps = tf.tensor2d(rng.normals(4 * L), [4, L]);
  for (const t of [3, [0, 250, 600, 900]] as const) {
    await assertNoLeak(() => tf.tidy(() => {
      const c = coefsAt(s, t as number | number[]);
      const xt = qSample({ schedule: s }, x0, t as number | number[], eps);
      assertClose(predictStartFromNoise(xt, eps, c).dataSync(), x0.dataSync(), 5e-3, 'x0 from eps');
      assertClose(predictNoiseFromStart(xt, x0, c).dataSync(), eps.dataSync(), typeof t === 'number' ? 2e-3 : 0.3, 'eps from x0');
      const v = predictV(x0, eps, c);
      assertClose(predictStartFromV(xt, v, c).dataSync(), x0.dataSync(), 1e-4, 'x0 from v');
      for (const obj of ['pred_noise', 'pred_x0', 'pred_v'] as const) {
        const target = objectiveTarget(obj, x0, eps, c);
        const p = modelPredictions(obj, xt as tf.Tensor2D, target, c);
        assertClose(p.predX0.dataSync(), x0.dataSync(), 5e-3, `${obj} x0`);
        const pc = modelPredictions(obj, xt as tf.Tensor2D, target, c, 0.01);
        assert.ok(Math.max(...pc.predX0.dataSync()) <= 0.01);
      }
    }), 'conversions');
  }
  tf.dispose([x0, eps]);
});

test('leak checks: each conversion function called directly', async () => {
  const s = makeSchedule({ timesteps: 1000, kind: 'cosine' });
  const a = tf.tensor2d(sphere(3), [3, L]), b = tf.tensor2d(rng.normals(3 * L), [3, L]);
  const c = coefsAt(s, 500);
  const cv = coefsAt(s, [1, 2, 3]);
  const fns: [string, () => tf.Tensor | tf.Tensor[]][] = [
    ['predictStartFromNoise', () => predictStartFromNoise(a, b, c)],
    ['predictNoiseFromStart', () => predictNoiseFromStart(a, b, cv)],
    ['predictV', () => predictV(a, b, c)],
    ['predictStartFromV', () => predictStartFromV(a, b, cv)],
    ['qSampleWith', () => qSampleWith(a, b, c)],
    ['qSample', () => qSample({ schedule: s }, a, [5, 6, 7], b)],
    ['objectiveTarget pred_v', () => objectiveTarget('pred_v', a, b, cv)],
    ['objectiveTarget pred_x0', () => objectiveTarget('pred_x0', a, b, c)],
    ['modelPredictions pred_noise', () => { const p = modelPredictions('pred_noise', a, b, c, 1); return [p.predNoise, p.predX0]; }],
    ['modelPredictions pred_x0', () => { const p = modelPredictions('pred_x0', a, b, cv); return [p.predNoise, p.predX0]; }],
  ];
  for (const [name, fn] of fns) tf.dispose(await assertNoLeak(fn, name));
  tf.dispose([a, b, ...Object.values(cv) as tf.Tensor[]]);
});

test('checkpoint folder: save, load (raw / ema), same outputs; clear errors', async () => {
  const dir = tmpDir();
  const m = DiffusionModel.create(diffusionConfig(small(), 'official'), 3);
  const ema = await m.denoiser.params.toHost();
  for (const a of ema.values()) (a.data as Float32Array).fill(0.01);
  await m.save(dir, { ema, state: { step: 7 }, meta: { textMean: 'text_mean.npy' } });
  for (const f of ['weights.safetensors', 'ema.safetensors', 'config.json', 'state.json']) assert.ok(existsSync(join(dir, f)), f);
  const cfg = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(cfg.format, 'dbridge-diffusion'); assert.equal(cfg.denoiser.kind, 'unet1d'); assert.equal(cfg.objective, 'pred_x0');
  const x = tf.tensor2d(sphere(3), [3, L]);
  const a = m.bridge(x, { M: 100, steps: 2 });
  const m2 = DiffusionModel.load(dir);
  assert.equal(m2.loadedWeights, 'raw');
  const b = m2.bridge(x, { M: 100, steps: 2 });
  assert.equal(maxAbsDiff(a.dataSync(), b.dataSync()), 0);
  const m3 = DiffusionModel.load(dir, { weights: 'ema' });
  assert.equal(m3.loadedWeights, 'ema');
  assert.equal((await m3.denoiser.params.toHost()).values().next().value!.data[0], Math.fround(0.01));
  tf.dispose([a, b, x]); m.dispose(); m2.dispose(); m3.dispose();
  rmSync(join(dir, 'ema.safetensors'));
  assert.throws(() => DiffusionModel.load(dir, { weights: 'ema' }), /no ema.safetensors/);
  assert.throws(() => DiffusionModel.load(join(dir, 'nope')), /not found/);
  rmSync(join(dir, 'weights.safetensors'));
  assert.throws(() => DiffusionModel.load(dir), /weights.safetensors is missing/);
  const bad = tmpDir();
  mkdirSync(bad, { recursive: true });
  writeFileSync(join(bad, 'config.json'), '{"format": "something-else"}');
  writeSafetensors(join(bad, 'weights.safetensors'), new Map());
  assert.throws(() => DiffusionModel.load(bad), /not a dbridge diffusion config/);
});

test('bridge: input checks (dimension, M range), no leaks in DDIM helpers', async () => {
  const m = DiffusionModel.create(diffusionConfig(small(), 'official'), 1);
  const wrong = tf.zeros([2, 32]) as tf.Tensor2D;
  assert.throws(() => m.bridge(wrong, { M: 600 }), (e: Error) => e instanceof DbridgeError && /dimension 32.*dimension 64/.test(e.message));
  const x = tf.tensor2d(sphere(2), [2, L]);
  assert.throws(() => m.bridge(x, { M: 1001 }), /M must be an integer in \[1, 1000\]/);
  assert.throws(() => m.bridge(x, { M: 600, steps: 0 }), /DDIM steps/);
  assert.throws(() => m.bridge(x, { M: 600, eta: -1 }), /eta/);
  await assertNoLeak(() => networkInput(m, x), 'networkInput').then((t) => t.dispose());
  await assertNoLeak(() => applyNetwork(m, x, [1, 2]), 'applyNetwork').then((t) => t.dispose());
  await assertNoLeak(() => predict(m, x, 10), 'predict').then((p) => tf.dispose([p.xIn, p.predNoise, p.predX0]));
  await assertNoLeak(() => ddimSample(m, x, { M: 50, steps: 3, eta: 0.5, seed: 1 }), 'ddimSample eta').then((t) => t.dispose());
  const y = await assertNoLeak(() => bridge(m, x, { M: 50, steps: 2 }), 'bridge');
  for (const v of rowNorms(y.dataSync() as Float32Array, 2, L)) assert.ok(Math.abs(v - 1) < 1e-5);
  tf.dispose([wrong, x, y]); m.dispose();
});

test('augment: q_sample at A then DDIM from A-1 (official off-by-one), seeded and batch-independent', async () => {
  const A = 400, S = 5, B = 3;
  const z0h = sphere(B);
  // replay: check the first network input is 5*normalize(sqrt(ab[A]) z0 + sqrt(1-ab[A]) eps)
  const outs = Array.from({ length: S }, () => new Float32Array(z0h));
  const net = new ReplayDenoiser(L, outs);
  const rm = new DiffusionModel(net, diffusionConfig(net.config, 'official'));
  const z0 = tf.tensor2d(z0h, [B, L]);
  const trace: DdimTrace = { t: [], xIn: [], predX0: [] };
  const y = await assertNoLeak(() => augment(rm, z0, { A, steps: S, seed: 9, trace }), 'augment');
  assert.deepEqual(trace.t, [399, 319, 239, 159, 79]);
  const eps = gaussianRows(9, B, L);
  const sa = rm.schedule.f32.sqrtAlphasCumprod[A], sb = rm.schedule.f32.sqrtOneMinusAlphasCumprod[A];
  const zA = Float32Array.from(z0h, (v, i) => Math.fround(Math.fround(v * sa) + Math.fround(eps[i] * sb)));
  assertClose(trace.xIn[0], preprocessRows(zA, B, L, new Float32Array(L)), 2e-6, 'first network input');
  // the replayed network returns z0 itself, so the unit-norm output is z0/5
  assertClose(y.dataSync(), Float32Array.from(z0h, (v) => v / 5), 1e-6);
  tf.dispose([y]);
  // noiseStep moves the forward noise
  const t2: DdimTrace = { t: [], xIn: [], predX0: [] };
  const rm2 = new DiffusionModel(new ReplayDenoiser(L, outs), rm.config);
  tf.dispose(augment(rm2, z0, { A, steps: S, seed: 9, noiseStep: 399, trace: t2 }));
  assert.ok(maxAbsDiff(t2.xIn[0], trace.xIn[0]) > 0);
  assert.throws(() => augment(rm2, z0, { A: 1000, steps: S, seed: 9 }), /\[0, 999\]/);
  tf.dispose(z0);
  // real network: batch size does not change the result, the seed does
  const m = DiffusionModel.create(diffusionConfig(small(), 'official'), 2);
  const raw = rng.normals(5 * L), mean = modalityMean(rng.normals(20 * L), 20, L);
  const a1 = await augmentEmbeddings(m, raw, 5, L, mean, { A: 400, steps: 2, seed: 4, batchSize: 2 });
  const a2 = await assertNoLeak(() => augmentEmbeddings(m, raw, 5, L, mean, { A: 400, steps: 2, seed: 4, batchSize: 5 }), 'augmentEmbeddings');
  assert.ok(maxAbsDiff(a1, a2) < 1e-6, `batching changed the result by ${maxAbsDiff(a1, a2)}`);
  const a3 = await augmentEmbeddings(m, raw, 5, L, mean, { A: 400, steps: 2, seed: 5 });
  const zt = tf.tensor2d(preprocessRows(raw, 5, L, mean), [5, L]);
  const am = await assertNoLeak(() => m.augment(zt, { A: 400, steps: 2, seed: 4 }), 'DiffusionModel.augment');
  assert.ok(maxAbsDiff(am.dataSync(), a1) < 1e-6);
  tf.dispose([zt, am]);
  assert.ok(maxAbsDiff(a1, a3) > 1e-3);
  m.dispose();
});

test('bridgeEmbeddings: preprocess + batched bridging + unit norm; bad inputs', async () => {
  const m = DiffusionModel.create(diffusionConfig(small(), 'official'), 2);
  const n = 5, raw = rng.normals(n * L), mean = modalityMean(rng.normals(30 * L), 30, L);
  const y1 = await assertNoLeak(() => bridgeEmbeddings(m, raw, n, L, mean, { M: 300, steps: 2, batchSize: 2 }), 'bridgeEmbeddings');
  const xt = tf.tensor2d(preprocessRows(raw, n, L, mean), [n, L]);
  const y2 = m.bridge(xt, { M: 300, steps: 2 });
  assert.ok(maxAbsDiff(y1, y2.dataSync()) < 1e-6);
  const y3 = await bridgeEmbeddings(m, preprocessRows(raw, n, L, mean), n, L, null, { M: 300, steps: 2 });
  assert.ok(maxAbsDiff(y1, y3) < 1e-6);
  for (const v of rowNorms(y1, n, L)) assert.ok(Math.abs(v - 1) < 1e-5);
  tf.dispose([xt, y2]);
  const bad = Float32Array.from(raw); bad[7] = NaN;
  await assert.rejects(bridgeEmbeddings(m, bad, n, L, mean, { M: 300, steps: 2 }), /NaN/);
  await assert.rejects(bridgeEmbeddings(m, raw.subarray(0, 4 * 32), 4, 32, null, { M: 300, steps: 2 }), /dimension 32/);
  await assert.rejects(bridgeEmbeddings(m, raw, n, L, new Float32Array(10), { M: 300, steps: 2 }), /mean has 10/);
  await assert.rejects(bridgeEmbeddings(m, raw, n, L, mean, { M: 300, steps: 2, batchSize: 0 }), /batch size/);
  m.dispose();
});

test('sampling from noise (ancestral DDPM and DDIM) on a short chain; loss helpers; no leaks', async () => {
  for (const variant of ['official', 'paper'] as const) {
    const m = DiffusionModel.create(diffusionConfig(small(), variant, { timesteps: 20 }), 1);
    let calls = 0;
    const s = await assertNoLeak(() => ddpmSample(m, 2, { seed: 1, onStep: () => calls++ }), 'ddpmSample');
    assert.equal(calls, 20);
    assert.deepEqual(s.shape, [2, L]);
    assert.ok(s.dataSync().every(Number.isFinite));
    const s2 = ddpmSample(m, 2, { seed: 1 });
    assert.equal(maxAbsDiff(s.dataSync(), s2.dataSync()), 0, 'same seed, same samples');
    const d = await assertNoLeak(() => ddimSampleFromNoise(m, 2, { steps: 4, seed: 2 }), 'ddimSampleFromNoise');
    assert.deepEqual(d.shape, [2, L]);
    const z0 = tf.tensor2d(sphere(2), [2, L]), eps = tf.tensor2d(rng.normals(2 * L), [2, L]);
    const l = await assertNoLeak(() => diffusionLoss(m, z0, [0, 19], eps, m.lossWeights), 'diffusionLoss');
    assert.ok(Number.isFinite(l.dataSync()[0]));
    const parts = await assertNoLeak(() => diffusionLossParts(m, z0, [0, 19], eps, m.lossWeights), 'diffusionLossParts');
    assert.throws(() => m.loss(z0, [0], eps), /1 timesteps for a batch of 2/);
    assert.throws(() => m.loss(z0, [0, 20], eps), /\[0, 19\]/);
    tf.dispose([s, s2, d, z0, eps, l, parts.loss, parts.xIn, parts.out]);
    m.dispose();
  }
});

test('worker threads: parallel bridging and augmentation give the same rows as one thread, bit for bit; the pool is reused', async () => {
  const m = DiffusionModel.create(diffusionConfig(small(), 'official'), 6);
  const n = 6, raw = rng.normals(n * L), mean = modalityMean(rng.normals(10 * L), 10, L);
  const a = await bridgeEmbeddings(m, raw, n, L, mean, { M: 200, steps: 2, workers: 1 });
  const b = await bridgeEmbeddings(m, raw, n, L, mean, { M: 200, steps: 2, workers: 2 });
  assert.deepEqual(b, a, 'bridging on 2 workers');
  const c = await augmentEmbeddings(m, raw, n, L, mean, { A: 300, steps: 2, seed: 1, workers: 1 });
  const e = await augmentEmbeddings(m, raw, n, L, mean, { A: 300, steps: 2, seed: 1, workers: 2 });
  assert.deepEqual(e, c, 'augmentation on 2 workers');
  // new weights reach the workers (same model object, its variables reassigned)
  tf.tidy(() => { for (const v of m.denoiser.params.vars.values()) v.assign(tf.mul(v, 0.5)); });
  const a2 = await bridgeEmbeddings(m, raw, n, L, mean, { M: 200, steps: 2, workers: 1 });
  const b2 = await bridgeEmbeddings(m, raw, n, L, mean, { M: 200, steps: 2, workers: 2 });
  assert.notDeepEqual(a2, a);
  assert.deepEqual(b2, a2, 'bridging on 2 workers after a weight change');
  await assert.rejects(bridgeEmbeddings(m, raw, n, L, mean, { M: 2000, steps: 2, workers: 2 }), /M must be an integer/);
  // concurrent requests to the pool (the pipeline bridges several M at once) each get their own rows,
  // also when one of them needs another model sent to the workers
  const m2 = DiffusionModel.create(diffusionConfig(small(), 'official'), 7);
  const seq = [
    await bridgeEmbeddings(m, raw, n, L, mean, { M: 100, steps: 2, workers: 1 }),
    await bridgeEmbeddings(m, raw, n, L, mean, { M: 300, steps: 2, workers: 1 }),
    await bridgeEmbeddings(m2, raw, n, L, mean, { M: 200, steps: 2, workers: 1 }),
    await augmentEmbeddings(m, raw, n, L, mean, { A: 300, steps: 2, seed: 1, workers: 1 }),
  ];
  const par = await Promise.all([
    bridgeEmbeddings(m, raw, n, L, mean, { M: 100, steps: 2, workers: 2 }),
    bridgeEmbeddings(m, raw, n, L, mean, { M: 300, steps: 2, workers: 2 }),
    bridgeEmbeddings(m2, raw, n, L, mean, { M: 200, steps: 2, workers: 2 }),
    augmentEmbeddings(m, raw, n, L, mean, { A: 300, steps: 2, seed: 1, workers: 2 }),
  ]);
  assert.deepEqual(par, seq, 'concurrent parallel requests');
  m2.dispose();
  m.dispose();
});

test("auto workers: a core the workers cannot rebuild (no config, e.g. the posterior-mean oracle) stays on this thread", () => {
  const m = DiffusionModel.create(diffusionConfig(small(), 'official'), 6);
  const rows = 1_000_000; // far above the threshold for the small network
  const bare: DiffusionCore = { denoiser: m.denoiser, schedule: m.schedule, objective: m.objective, renormalize: m.renormalize, radius: m.radius };
  assert.equal(chooseWorkers(bare, rows, 5, 'auto'), 1);
  const cores = Math.min(availableParallelism(), 8);
  assert.equal(chooseWorkers(m, rows, 5, 'auto'), cores >= 2 ? cores : 1);
  m.dispose();
});
