// A decoder on a pretrained (Hugging Face) GPT-2: the compact vocabulary slices wte without changing
// the kept logits, and fine-tuning runs with GPT-2's dropout (0.1 in the fixture's config).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { Rng } from '../../lib/util/rng.ts';
import { createDecoder, loadDecoder, loadHfGpt2, trainDecoder, captionLoss, Vocab, FULL_STOP_IDS, gpt2Encode } from '../../lib/decoder/index.ts';
import { setupBackend, assertClose, tmpDir, FIXTURES } from '../helpers.ts';

before(async () => { await setupBackend(); });
const HF = join(FIXTURES, 'gpt2_tiny');
const CAPS = ['A man riding a horse on the beach.', 'two dogs play in the snow'];

test('a compact vocabulary keeps the pretrained logits of the kept tokens', () => {
  const vocab = Vocab.fromTexts(CAPS, FULL_STOP_IDS);
  const full = loadHfGpt2(HF);
  const dec = createDecoder({ inputDim: 8, lm: { hfDir: HF }, vocab: vocab.ids, treatment: 'augmented' });
  assert.equal(dec.config.lm.vocabSize, vocab.size);
  assert.equal(dec.config.lm.dropout, 0.1);
  const ids = gpt2Encode(CAPS[0]);
  const a = tf.tidy(() => full.logitsOfIds(tf.tensor2d(ids, [1, ids.length], 'int32')).dataSync() as Float32Array);
  const b = tf.tidy(() => dec.lm.logitsOfIds(tf.tensor2d(ids.map((g) => vocab.modelId(g)), [1, ids.length], 'int32')).dataSync() as Float32Array);
  const picked = new Float32Array(ids.length * vocab.size);
  for (let p = 0; p < ids.length; p++) vocab.ids!.forEach((g, j) => { picked[p * vocab.size + j] = a[p * 50257 + g]; });
  assertClose(b, picked, 1e-5, 'compact logits');
  full.params.dispose(); dec.dispose();
});

test('fine-tuning a pretrained GPT-2 uses dropout in training only, and saves a loadable decoder', async () => {
  const vocab = Vocab.fromTexts(CAPS, FULL_STOP_IDS);
  const dec = createDecoder({ inputDim: 8, lm: { hfDir: HF }, vocab: vocab.ids, treatment: 'augmented' });
  const x = tf.tensor2d(new Rng(1).normals(16), [2, 8]);
  const ex = CAPS.map((c) => vocab.encode(c));
  const loss = (r?: Rng) => tf.tidy(() => captionLoss(dec, x, ex, r).dataSync()[0]);
  assert.equal(loss(), loss(), 'evaluation is deterministic');
  assert.notEqual(loss(new Rng(1)), loss(new Rng(2)), 'dropout masks differ between draws');
  assert.equal(loss(new Rng(3)), loss(new Rng(3)), 'dropout is seeded');
  tf.dispose(x); dec.dispose();
  const out = tmpDir('dec-hf-');
  const before = tf.memory().numTensors;
  const r = await trainDecoder({ embeddings: new Rng(2).normals(16), dim: 8, captions: CAPS, treatment: 'augmented', out, lm: { hfDir: HF }, compactVocab: true, epochs: 2, batchSize: 2, quiet: true, keepEpochs: false });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(r.history.every((h) => Number.isFinite(h.trainLoss)));
  const d2 = loadDecoder(out);
  assert.equal(d2.config.lmSource, HF);
  assert.equal(d2.config.lm.nEmbd, 64);
  d2.dispose();
});
