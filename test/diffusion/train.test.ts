// The trainer on the small config: it learns (held-out loss on fixed t and noise goes down),
// checkpoints atomically, resumes exactly (3 + 3 steps == 6 steps), refuses to overwrite, writes
// the loss curve, leaks no tensors; EMA semantics (ema_pytorch warm-up).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { DiffusionModel, diffusionConfig, trainDiffusion, WeightEma, recoverPartialCheckpoint, BatchSampler, optimizerStep } from '../../lib/diffusion/index.ts';
import { Adam } from '../../lib/nn/optim.ts';
import { DENOISER_PRESETS } from '../../lib/diffusion/denoisers/index.ts';
import { ParamStore } from '../../lib/nn/params.ts';
import { preprocessRows } from '../../lib/embeddings/index.ts';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import { Rng } from '../../lib/util/rng.ts';
import { setupBackend, maxAbsDiff, tmpDir } from '../helpers.ts';

before(async () => { await setupBackend(); });

const L = 64;
const rng = new Rng(21);
// a structured data set: 4 clusters on the radius-5 sphere
const centers = rng.normals(4 * L);
const n = 64;
const raw = new Float32Array(n * L);
for (let i = 0; i < n; i++) for (let j = 0; j < L; j++) raw[i * L + j] = centers[(i % 4) * L + j] + 0.1 * rng.normal();
const z0 = preprocessRows(raw, n, L, new Float32Array(L));
const cfg = () => diffusionConfig(structuredClone(DENOISER_PRESETS.small), 'official');

test('training lowers a held-out loss (fixed t and noise)', async () => {
  const m = DiffusionModel.create(cfg(), 0);
  const evalLoss = () => tf.tidy(() => {
    const r = new Rng(99);
    const t = Array.from({ length: 32 }, (_, i) => 50 + i * 25);
    const x = tf.tensor2d(z0.subarray(0, 32 * L), [32, L]);
    return m.loss(x, t, tf.tensor2d(r.normals(32 * L), [32, L])).dataSync()[0];
  });
  const before = evalLoss();
  const tensors = tf.memory().numTensors;
  const res = await trainDiffusion(m, z0, n, { steps: 20, batchSize: 8, lr: 3e-3, logEvery: 5, progress: false });
  assert.equal(tf.memory().numTensors, tensors, 'trainDiffusion leaked tensors');
  const after = evalLoss();
  console.log(`# held-out loss ${before.toFixed(3)} -> ${after.toFixed(3)}; ${res.stepsPerSecond.toFixed(1)} steps/s (small, batch 8)`);
  assert.ok(after < 0.7 * before, `loss ${before} -> ${after}`);
  assert.deepEqual(res.curve.map((p) => p.step), [5, 10, 15, 20]);
  m.dispose();
});

test('paper variant (pred_noise, no re-normalisation) trains too; EMA weights are saved for inference', async () => {
  const m = DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS.small), 'paper'), 0);
  const evalLoss = () => tf.tidy(() => {
    const r = new Rng(98);
    const t = Array.from({ length: 16 }, (_, i) => 100 + i * 50);
    return m.loss(tf.tensor2d(z0.subarray(0, 16 * L), [16, L]), t, tf.tensor2d(r.normals(16 * L), [16, L])).dataSync()[0];
  });
  const before = evalLoss();
  const out = tmpDir();
  await trainDiffusion(m, z0, n, { steps: 12, batchSize: 8, lr: 3e-3, logEvery: 4, emaEvery: 1, emaAfterStep: 2, progress: false, outDir: out });
  const after = evalLoss();
  console.log(`# paper variant held-out eps loss ${before.toFixed(3)} -> ${after.toFixed(3)}`);
  assert.ok(after < before, `loss ${before} -> ${after}`);
  const loaded = DiffusionModel.load(out);
  assert.equal(loaded.loadedWeights, 'ema');
  assert.equal(loaded.config.objective, 'pred_noise');
  loaded.dispose(); m.dispose();
});

test('checkpoints + exact resume: 3 steps, then resume to 6 == 6 steps straight', async () => {
  const common = { batchSize: 8, lr: 1e-3, logEvery: 1, checkpointEvery: 2, emaEvery: 1, emaAfterStep: 1, progress: false, seed: 3 };
  const dA = tmpDir(), dB = tmpDir();
  const a = DiffusionModel.create(cfg(), 7);
  await trainDiffusion(a, z0, n, { ...common, steps: 6, outDir: dA });
  const b = DiffusionModel.create(cfg(), 7);
  await trainDiffusion(b, z0, n, { ...common, steps: 3, outDir: dB, meta: { textMean: 'text_mean.npy' } });
  assert.equal(JSON.parse(readFileSync(join(dB, 'state.json'), 'utf8')).step, 3);
  await assert.rejects(trainDiffusion(b, z0, n, { ...common, steps: 6, outDir: dB }), /already holds a checkpoint; pass --resume/);
  b.dispose();
  const b2 = DiffusionModel.create(cfg(), 123); // different init: everything must come from the checkpoint
  const r = await trainDiffusion(b2, z0, n, { ...common, steps: 6, outDir: dB, resume: true });
  assert.equal(r.startStep, 3); assert.equal(r.endStep, 6);
  for (const f of ['weights.safetensors', 'ema.safetensors', 'optimizer.safetensors']) {
    const wa = readSafetensors(join(dA, f)).tensors, wb = readSafetensors(join(dB, f)).tensors;
    assert.deepEqual([...wa.keys()].sort(), [...wb.keys()].sort());
    let d = 0;
    for (const [k, v] of wa) d = Math.max(d, maxAbsDiff(v.data as Float32Array, wb.get(k)!.data as Float32Array));
    assert.ok(d <= 1e-6, `${f} differs by ${d}`);
  }
  const ca = JSON.parse(readFileSync(join(dA, 'loss_curve.json'), 'utf8')).points, cb = JSON.parse(readFileSync(join(dB, 'loss_curve.json'), 'utf8')).points;
  assert.deepEqual(cb.map((p: { step: number }) => p.step), [1, 2, 3, 4, 5, 6]);
  assert.ok(maxAbsDiff(ca.map((p: { loss: number }) => p.loss), cb.map((p: { loss: number }) => p.loss)) <= 1e-3 * Math.max(...ca.map((p: { loss: number }) => p.loss)));
  const conf = JSON.parse(readFileSync(join(dB, 'config.json'), 'utf8'));
  assert.equal(conf.train.batchSize, 8); assert.equal(conf.textMean, 'text_mean.npy');
  assert.ok(!existsSync(join(dB, '.partial')));
  // a resumed checkpoint loads as a model
  const loaded = DiffusionModel.load(dB);
  assert.equal(loaded.paramCount(), 53073);
  loaded.dispose(); a.dispose(); b2.dispose();
  // resume with a different model config is refused
  const c = DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS.small), 'paper'), 0);
  await assert.rejects(trainDiffusion(c, z0, n, { ...common, steps: 8, outDir: dB, resume: true }), /different model config/);
  c.dispose();
});

test('micro-batches give the same update as the whole batch', async () => {
  const make = () => DiffusionModel.create(cfg(), 4);
  const r = new Rng(2);
  const B = 8, x0 = z0.subarray(0, B * L), noise = r.normals(B * L), t = [0, 10, 100, 300, 500, 700, 900, 999];
  const results = [];
  for (const mb of [0, 4, 3]) {
    const m = make();
    const opt = new Adam(m.denoiser.params, { lr: 1e-3, beta1: 0.9, beta2: 0.99, clipGradNorm: 1 });
    const before = tf.memory().numTensors;
    const s = optimizerStep(m, opt, x0, noise, t, 1e-3, mb);
    assert.equal(tf.memory().numTensors, before + 2, `optimizerStep (micro-batch ${mb}) leaked (it returns 2 scalars)`);
    const [loss, gradNorm] = [(await s.loss.data())[0], (await s.gradNorm.data())[0]];
    tf.dispose([s.loss, s.gradNorm]);
    const w = await m.denoiser.params.toHost();
    opt.dispose(); m.dispose();
    results.push({ loss, gradNorm, w });
  }
  for (const k of [1, 2]) {
    assert.ok(Math.abs(results[k].loss - results[0].loss) <= 1e-5 * results[0].loss, `loss ${results[k].loss} vs ${results[0].loss}`);
    assert.ok(Math.abs(results[k].gradNorm - results[0].gradNorm) <= 1e-4 * results[0].gradNorm);
    let d = 0;
    for (const [name, a] of results[0].w) d = Math.max(d, maxAbsDiff(a.data as Float32Array, results[k].w.get(name)!.data as Float32Array));
    assert.ok(d < 1e-6, `weights differ by ${d}`);
  }
});

test('maxSeconds stops early with a checkpoint that resumes', async () => {
  const out = tmpDir();
  const m = DiffusionModel.create(cfg(), 1);
  const r = await trainDiffusion(m, z0, n, { steps: 50, batchSize: 4, logEvery: 10, maxSeconds: 0, progress: false, outDir: out });
  assert.equal(r.endStep, 1);
  assert.equal(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).step, 1);
  assert.deepEqual(r.curve, [], 'the open loss window is saved in the checkpoint, not logged early');
  const r2 = await trainDiffusion(m, z0, n, { steps: 2, batchSize: 4, logEvery: 10, progress: false, outDir: out, resume: true });
  assert.equal(r2.startStep, 1); assert.equal(r2.endStep, 2);
  assert.deepEqual(r2.curve.map((p) => p.step), [2], 'the last point averages both steps, the first from the checkpoint');
  m.dispose();
});

test('interrupted checkpoint writes are completed or discarded', () => {
  const d = tmpDir();
  mkdirSync(join(d, '.partial'));
  writeFileSync(join(d, '.partial', 'weights.safetensors'), 'x');
  assert.equal(recoverPartialCheckpoint(d), 'discarded');
  assert.ok(!existsSync(join(d, '.partial')) && !existsSync(join(d, 'weights.safetensors')));
  mkdirSync(join(d, '.partial'));
  writeFileSync(join(d, '.partial', 'config.json'), '{}');
  writeFileSync(join(d, '.partial', 'state.json'), '{"step": 5}');
  assert.equal(recoverPartialCheckpoint(d), 'completed');
  assert.equal(JSON.parse(readFileSync(join(d, 'state.json'), 'utf8')).step, 5);
  assert.equal(recoverPartialCheckpoint(d), 'none');
});

test('EMA follows ema_pytorch: copies until update_after_step, then warm-up decay capped at beta', () => {
  const ps = new ParamStore();
  const p = ps.add('w', tf.tensor1d([0]));
  const ema = new WeightEma(ps, { decay: 0.9, every: 2, afterStep: 3 });
  const val = () => ema.shadow.get('w')!.dataSync()[0];
  const setP = (v: number) => tf.tidy(() => p.assign(tf.tensor1d([v])));
  const n0 = tf.memory().numTensors;
  setP(1); ema.update(); assert.equal(val(), 1);        // step 0: copy
  assert.equal(tf.memory().numTensors, n0, 'WeightEma.update leaked');
  setP(2); ema.update(); assert.equal(val(), 1);        // step 1: skipped (every 2)
  setP(3); ema.update(); assert.equal(val(), 3);        // step 2 <= 3: copy
  setP(4); ema.update();                                // step 3: skipped
  setP(5); ema.update(); assert.equal(val(), 5);        // step 4 > 3, first real update: initialise by copying
  setP(7); ema.update(); assert.equal(val(), 5);        // step 5: skipped
  setP(9); ema.update();                                // step 6: average with the decay at counter 7
  const dec = Math.min(0.9, 1 - Math.pow(1 + 3, -2 / 3)); // epoch = 7 - 3 - 1 = 3
  assert.ok(Math.abs(val() - (5 + (9 - 5) * (1 - dec))) < 1e-5, `ema ${val()}`);
  ema.step = 10_000; assert.equal(ema.currentDecay(), 0.9);
  ema.dispose(); ps.dispose();
});

test('batch sampler: epochs are permutations, order depends only on (seed, step)', () => {
  const s = new BatchSampler(10, 4, 1);
  const seen = [...s.indices(0), ...s.indices(1), ...s.indices(2)].slice(0, 10);
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(new BatchSampler(10, 4, 1).indices(5), s.indices(5));
  assert.notDeepEqual(new BatchSampler(10, 4, 2).indices(0), s.indices(0));
});
