// Decoder training and generation: a tiny decoder learns to reproduce a handful of captions from
// their embeddings (greedy and beam), --resume continues exactly, the paper mapper trains, the
// treatments do what the papers' code does, bad inputs give DbridgeErrors, and nothing leaks.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { Adam, lossAndGrads } from '../../lib/nn/index.ts';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { Rng } from '../../lib/util/rng.ts';
import {
  trainDecoder, loadDecoder, createDecoder, generate, generateCaptions, captionLoss, tokenNll, applyTestTreatment, applyTrainTreatment,
  trainTreatmentBase, normalizeRows, decoderTextSpace, clipcapMaxSeqLen, epochOrder, Vocab, FULL_STOP_IDS,
  type TrainDecoderOptions,
} from '../../lib/decoder/index.ts';
import { readCaptions } from '../../lib/decoder/io.ts';
import { setupBackend, assertNoLeak, assertClose, tmpDir } from '../helpers.ts';

before(async () => { await setupBackend(); });

const CAPS = [
  'A red circle on a white background.',
  'Two blue squares next to each other.',
  'a green triangle above a yellow star .',
  'There is a small pink diamond.',
  'A big black cross on the left.',
  'Three white stars on a dark background.',
];
const D = 16;
const EMB = new Rng(5).normals(CAPS.length * D);
const TINY = { lmOverrides: { nLayer: 1, nEmbd: 32, nHead: 2 }, prefixLength: 4 };

function base(out: string, over: Partial<TrainDecoderOptions> = {}): TrainDecoderOptions {
  return {
    embeddings: EMB, dim: D, captions: CAPS, treatment: 'augmented', out, ...TINY,
    epochs: 70, batchSize: 6, lr: 3e-3, warmup: 5, keepEpochs: false, quiet: true, ...over,
  };
}

test('a tiny decoder trained on six captions reproduces them from their embeddings (greedy and beam)', async () => {
  const out = tmpDir('dec-overfit-');
  const before = tf.memory().numTensors;
  const res = await trainDecoder(base(out));
  assert.equal(tf.memory().numTensors, before, 'trainDecoder leaked tensors');
  assert.equal(res.steps, 70);
  assert.ok(res.history[res.history.length - 1].trainLoss < res.history[0].trainLoss / 2);
  const dec = loadDecoder(out);
  assert.equal(dec.config.treatment, 'augmented');
  assert.ok(dec.vocab.compact && dec.vocab.size < 60);
  const x = await applyTestTreatment(EMB, D, { treatment: 'raw' });
  const greedy = await assertNoLeak(() => generateCaptions(dec, x, { batchSize: 4 }), 'greedy generation');
  assert.deepEqual(greedy, CAPS);
  const beam = await assertNoLeak(() => generate(dec, x, { method: 'beam', beamSize: 3, batchSize: 6 }), 'beam generation');
  assert.deepEqual(beam.captions, CAPS);
  // stop at the full stop (kept), and at most maxTokens new tokens
  const short = await generate(dec, x, { maxTokens: 3 });
  short.ids.forEach((ids) => assert.ok(ids.length <= 3));
  const noStop = await generate(dec, x.subarray(0, D), { stopAtPeriod: false, maxTokens: 12 });
  assert.equal(noStop.ids[0].length, 12);
  dec.dispose();
});

test('--resume continues exactly where an interrupted run stopped (c3 noise, AdamW state, schedule)', async () => {
  const textMean = new Float32Array(D).fill(0.05);
  const common = { treatment: 'c3' as const, textMean, epochs: 4, batchSize: 3, keepEpochs: true };
  const full = tmpDir('dec-full-'), cut = tmpDir('dec-cut-');
  await trainDecoder(base(full, common));
  const part = await trainDecoder(base(cut, { ...common, maxSteps: 4 }));
  assert.equal(part.steps, 4);
  assert.equal(part.history.length, 2);
  const resumed = await trainDecoder(base(cut, { ...common, resume: true }));
  assert.equal(resumed.steps, 8);
  assert.equal(resumed.history.length, 4);
  const a = readSafetensors(join(full, 'resume', 'weights.safetensors')).tensors;
  const b = readSafetensors(join(cut, 'resume', 'weights.safetensors')).tensors;
  for (const [k, v] of a) assertClose(v.data as Float32Array, b.get(k)!.data as Float32Array, 0, k);
  // a changed option refuses to resume
  await assert.rejects(trainDecoder(base(cut, { ...common, lr: 1e-3, resume: true })), (e: Error) => e instanceof DbridgeError && /cannot resume .*: --lr is 0.001 but the checkpoint was trained with 0.003/.test(e.message));
  const dec = loadDecoder(join(cut, 'epochs', 'epoch-03'));
  assert.equal(dec.config.treatment, 'c3');
  assert.deepEqual([...dec.textMean!], [...textMean]);
  assert.deepEqual(decoderTextSpace(dec).textMean, dec.textMean);
  dec.dispose();
});

test('best epoch by a caption metric on val images when a scorer is given, else by val loss', async () => {
  const out = tmpDir('dec-select-');
  const scores = [0.2, 0.9, 0.5];
  let calls = 0;
  const res = await trainDecoder(base(out, {
    epochs: 3, keepEpochs: true,
    valImages: { embeddings: await applyTestTreatment(EMB, D, { treatment: 'raw' }), ids: CAPS.map((_, i) => 10 + i), references: CAPS.map((c) => [c]) },
    scorer: (cands, refs) => { assert.equal(cands.size, 6); assert.deepEqual(refs.get('10'), [CAPS[0]]); return scores[calls++]; },
    scorerName: 'fake',
  }));
  assert.equal(res.bestEpoch, 2);
  assert.deepEqual(res.history.map((h) => h.metric), scores);
  const st = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')) as { epoch: number; selectedBy: string };
  assert.equal(st.epoch, 2);
  assert.equal(st.selectedBy, 'fake');
  const byLoss = await trainDecoder(base(tmpDir('dec-select2-'), { epochs: 2, val: { embeddings: EMB, captions: CAPS }, textMean: new Float32Array(D).fill(0.01) }));
  assert.ok(byLoss.history.every((h) => h.valLoss !== null && h.metric === null));
});

test('the paper mapper (projection + projector + soft prompts) trains and its gradients reach the prompts; no leaks in a step', async () => {
  const vocab = Vocab.fromTexts(CAPS, FULL_STOP_IDS);
  const dec = createDecoder({ inputDim: D, ...TINY, mapper: 'paper', vocab: vocab.ids, treatment: 'plain', seed: 1 });
  assert.equal(dec.prefixPositions, 5);
  const opt = new Adam(dec.params, { lr: 3e-3, weightDecay: 0.01 });
  const ex = CAPS.map((c) => vocab.encode(c));
  const x = tf.tensor2d(normalizeRows(Float32Array.from(EMB), D), [CAPS.length, D]);
  let first = 0, last = 0;
  for (let i = 0; i < 25; i++) {
    await assertNoLeak(() => {
      const { loss: lossT, grads } = lossAndGrads(dec.params, () => captionLoss(dec, x, ex, new Rng(i)));
      const loss = lossT.dataSync()[0];
      if (i === 0) {
        first = loss;
        assert.ok(tf.tidy(() => tf.sum(tf.abs(grads['mapper.prompts'])).dataSync()[0]) > 0, 'no gradient on the soft prompts');
        assert.ok(tf.tidy(() => tf.sum(tf.abs(grads['gpt.wte.weight'])).dataSync()[0]) > 0, 'no gradient on wte');
      }
      last = loss;
      tf.dispose([lossT, opt.apply(grads), ...Object.values(grads)]);
    }, 'training step');
  }
  assert.ok(last < first * 0.7, `loss ${first} -> ${last}`);
  tf.dispose(x); opt.dispose(); dec.dispose();
});

test('token cross-entropy (custom gradient) equals the composed log-softmax form, value and gradient', () => {
  const lg = tf.tensor2d(new Rng(8).normals(7 * 11).map((v) => 2 * v), [7, 11]);
  const tg = tf.tensor1d([0, 3, 10, 5, 5, 2, 9], 'int32');
  const w = tf.tensor1d(new Rng(9).normals(7));
  const f1 = (x: tf.Tensor) => tf.sum(tf.mul(tokenNll(x as tf.Tensor2D, tg), w));
  const f2 = (x: tf.Tensor) => tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(tf.logSoftmax(x, -1), tf.oneHot(tg, 11)), 1)), w));
  assertClose(tf.tidy(() => f1(lg).dataSync()), tf.tidy(() => f2(lg).dataSync()), 1e-5, 'value');
  assertClose(tf.tidy(() => tf.grad(f1)(lg).dataSync()), tf.tidy(() => tf.grad(f2)(lg).dataSync()), 1e-6, 'gradient');
  tf.dispose([lg, tg, w]);
});

test('training treatments follow the reference code', () => {
  const rng = new Rng(2);
  const e = rng.normals(50 * D), mean = rng.normals(D).map((v) => v * 0.1);
  const nrm = normalizeRows(Float32Array.from(e), D);
  const plain = trainTreatmentBase('plain', e, D, { textMean: mean });
  const expect = Float32Array.from(nrm);
  for (let i = 0; i < expect.length; i++) expect[i] -= mean[i % D];
  assertClose(plain, normalizeRows(expect, D), 1e-6, 'plain = renorm(norm(e) - mean)');
  const rowNorms = (x: Float32Array) => Array.from({ length: x.length / D }, (_, i) => Math.hypot(...x.subarray(i * D, (i + 1) * D)));
  for (const t of ['plain', 'capdec', 'c3', 'augmented'] as const) {
    const y = applyTrainTreatment(t, e, D, new Rng(3), { textMean: mean });
    rowNorms(y).forEach((n) => assert.ok(Math.abs(n - 1) < 1e-5, `${t}: unit rows`));
  }
  // capdec: cos(norm(e), norm(norm(e) + N(0, 0.016 I))) ~ 1/sqrt(1 + 0.016 D) on average
  const big = new Rng(4).normals(400 * 512);
  const cd = applyTrainTreatment('capdec', big, 512, new Rng(5));
  const nb = normalizeRows(Float32Array.from(big), 512);
  let cos = 0;
  for (let i = 0; i < cd.length; i++) cos += cd[i] * nb[i];
  cos /= 400;
  assert.ok(Math.abs(cos - 1 / Math.sqrt(1 + 0.016 * 512)) < 0.01, `capdec cosine ${cos}`);
  // the noise differs between draws and is reproducible per seed
  assert.notDeepEqual(applyTrainTreatment('c3', e, D, new Rng(1), { textMean: mean }), applyTrainTreatment('c3', e, D, new Rng(2), { textMean: mean }));
  assert.deepEqual(applyTrainTreatment('c3', e, D, new Rng(1), { textMean: mean }), applyTrainTreatment('c3', e, D, new Rng(1), { textMean: mean }));
  // length bucketing: every example once, batches of similar length, less padding than a plain shuffle
  const ex = Array.from({ length: 400 }, (_, i) => ({ ids: new Array(5 + ((i * 7919) % 20)).fill(0) }));
  const pad = (order: number[]) => { let p = 0; for (let b = 0; b < order.length; b += 10) { const l = order.slice(b, b + 10).map((i) => ex[i].ids.length); p += Math.max(...l) * l.length - l.reduce((a, c) => a + c, 0); } return p; };
  const bucketed = epochOrder(ex, 10, new Rng(1), true), plainOrder = epochOrder(ex, 10, new Rng(1), false);
  assert.deepEqual([...bucketed].sort((a, b) => a - b), Array.from({ length: 400 }, (_, i) => i));
  assert.ok(pad(bucketed) < pad(plainOrder) / 3, `padding ${pad(bucketed)} vs ${pad(plainOrder)}`);
  assert.equal(clipcapMaxSeqLen([10, 10, 10, 40]), 40);
  assert.equal(clipcapMaxSeqLen([10, 10, 10, 10]), 10);
});

test('test treatments: raw, image-mean removal, DeCap memory projection', async () => {
  const rng = new Rng(7);
  const v = rng.normals(5 * D), imean = rng.normals(D).map((x) => x * 0.1), tmean = rng.normals(D).map((x) => x * 0.1);
  const raw = await applyTestTreatment(v, D, { treatment: 'raw' });
  assertClose(raw, normalizeRows(Float32Array.from(v), D), 0, 'raw');
  const m = await applyTestTreatment(v, D, { treatment: 'mean', imageMean: imean });
  const exp = normalizeRows(Float32Array.from(v), D);
  for (let i = 0; i < exp.length; i++) exp[i] -= imean[i % D];
  assertClose(m, normalizeRows(exp, D), 1e-6, 'mean');
  // memory = the queries themselves plus distractors: at temperature 0.01 each query maps onto itself
  const memory = new Float32Array(9 * D);
  memory.set(v.map((x) => x * 3));
  memory.set(rng.normals(4 * D), 5 * D);
  const dc = await applyTestTreatment(v, D, { treatment: 'decap', memory, temperature: 0.001 });
  assertClose(dc, raw, 1e-4, 'decap onto itself');
  const soft = await applyTestTreatment(v, D, { treatment: 'decap', memory, temperature: 10 });
  assert.ok(Math.abs(Math.hypot(...soft.subarray(0, D)) - 1) < 1e-5);
  const dm = await applyTestTreatment(v, D, { treatment: 'decap', memory, temperature: 0.001, textMean: tmean });
  const expDm = Float32Array.from(raw);
  for (let i = 0; i < expDm.length; i++) expDm[i] -= tmean[i % D];
  assertClose(dm, normalizeRows(expDm, D), 1e-4, 'decap into the mean-removed text space');
});

test('bad inputs give clear DbridgeErrors', async () => {
  const out = tmpDir('dec-bad-');
  const isErr = (re: RegExp) => (e: Error) => e instanceof DbridgeError && re.test(e.message);
  await assert.rejects(trainDecoder(base(out, { treatment: 'noisy' as never })), isErr(/unknown training treatment 'noisy'/));
  await assert.rejects(trainDecoder(base(out, { captions: [] })), isErr(/no captions/));
  await assert.rejects(trainDecoder(base(out, { captions: CAPS.slice(1) })), isErr(/5 captions but 6 embedding rows/));
  await assert.rejects(trainDecoder(base(out, { captions: [...CAPS.slice(1), '  '] })), isErr(/caption 5 is empty/));
  await assert.rejects(trainDecoder(base(out, { treatment: 'plain' })), isErr(/needs the text mean/));
  await assert.rejects(trainDecoder(base(out, { dim: 7 })), isErr(/not a whole number of rows of dimension 7/));
  await assert.rejects(applyTestTreatment(EMB, D, { treatment: 'bridge' as never }), isErr(/unknown test treatment 'bridge'/));
  await assert.rejects(applyTestTreatment(EMB, D, { treatment: 'mean' }), isErr(/image mean is required/));
  await assert.rejects(applyTestTreatment(EMB, D, { treatment: 'mean', imageMean: new Float32Array(3) }), isErr(/dimension 3/));
  await assert.rejects(applyTestTreatment(EMB, D, { treatment: 'decap' }), isErr(/memory/));
  const empty = join(out, 'empty.json');
  writeFileSync(empty, '[]');
  assert.throws(() => readCaptions(empty), isErr(/is empty/));
  const emptyTxt = join(out, 'empty.txt');
  writeFileSync(emptyTxt, '\n\n');
  assert.throws(() => readCaptions(emptyTxt), isErr(/is empty/));
  const vocab = Vocab.fromTexts(CAPS, FULL_STOP_IDS);
  const dec = createDecoder({ inputDim: D, ...TINY, vocab: vocab.ids, treatment: 'augmented' });
  await assert.rejects(generate(dec, new Float32Array(2 * 12)), isErr(/input dimension 16/));
  assert.throws(() => tf.tidy(() => dec.prefix(tf.zeros([2, 12]))), isErr(/mapper expects embeddings of dimension 16/));
  await assert.rejects(generate(dec, EMB, { maxTokens: 1000 }), isErr(/does not fit/));
  dec.dispose();
  assert.throws(() => loadDecoder(join(out, 'nope')), isErr(/not found/));
});
