// LM pre-training on web captions (lib/decoder/pretrain.ts) and decoders that start from it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pretrainLm, packWindows, loadPretrainedLm, createDecoder, trainDecoder, Vocab, GPT2_EOS } from '../../lib/decoder/index.ts';
import { loadCheckpoint } from '../../lib/nn/checkpoint.ts';
import { Rng } from '../../lib/util/rng.ts';
import { setupBackend, tmpDir, maxAbsDiff } from '../helpers.ts';

before(async () => { await setupBackend(); });

const COLORS = ['red', 'blue', 'green', 'yellow'], THINGS = ['cube', 'ball', 'star', 'ring'];
const WEB = Array.from({ length: 64 }, (_, i) => `a ${COLORS[i % 4]} ${THINGS[(i >> 2) % 4]} on a plain background.`);
const CAPS = ['a red cube.', 'two blue balls.', 'a green star.', 'a yellow ring.'];
const TINY = { nLayer: 1, nHead: 2, nEmbd: 32, nPositions: 64 };

test('packed windows: <|endoftext|> before every caption, windows of seqLen + 1, every caption once per pass', () => {
  const ids = [[1, 2, 3], [4, 5, 6]];
  const w = packWindows(ids, 0, 3, new Rng(1));
  const stream = w.flatMap((x) => Array.from(x));
  assert.ok(w.length === 2 && w.every((x) => x.length === 4 && x[0] === 0));
  assert.equal(stream.filter((t) => t === 0).length, 2);
  assert.deepEqual([...stream].filter((t) => t !== 0).sort(), [1, 2, 3, 4, 5, 6]);
});

test('pre-training lowers the LM loss; decoders start from its weights and vocabulary; resume gives the same weights', async () => {
  const out = tmpDir('lm-');
  const opts = { captions: WEB, vocabTexts: CAPS, lmOverrides: TINY, steps: 24, batchSize: 4, seqLen: 16, lr: 1e-2, seed: 2, quiet: true };
  const r = await pretrainLm({ ...opts, out });
  const lm = loadPretrainedLm(out);
  const hist = (loadCheckpoint<unknown, { lossHistory: number[] }>(out).state).lossHistory;
  assert.ok(hist[hist.length - 1] < 0.6 * hist[0], `loss ${hist.join(' -> ')}`);
  const vocab = new Vocab(lm.config.vocab);
  for (const c of [...WEB, ...CAPS]) vocab.encode(c); // covered
  assert.ok(vocab.has(GPT2_EOS));
  assert.equal(r.vocabSize, lm.config.vocab.length);
  // a decoder created from it carries the LM weights unchanged, and the LM's vocabulary
  const dec = createDecoder({ inputDim: 8, lm: { pretrained: out }, treatment: 'capdec', seed: 1 });
  const w = await dec.params.toHost();
  assert.equal(maxAbsDiff(w.get('gpt.h.0.attn.c_attn.weight')!.data as Float32Array, lm.weights.get('gpt.h.0.attn.c_attn.weight')!.data as Float32Array), 0);
  assert.deepEqual(dec.config.vocab, lm.config.vocab);
  assert.equal(dec.config.lmSource, out);
  dec.dispose();
  assert.throws(() => createDecoder({ inputDim: 8, lm: { pretrained: out }, lmOverrides: { nEmbd: 64 }, treatment: 'capdec' }), /cannot override nEmbd/);
  assert.throws(() => createDecoder({ inputDim: 8, lm: { pretrained: out }, vocab: [1, 2, 3], treatment: 'capdec' }), /uses the LM's vocabulary/);
  // fine-tuning from it (text only) uses the LM's vocabulary
  const fine = await trainDecoder({ embeddings: new Rng(3).normals(4 * 8), dim: 8, captions: CAPS, treatment: 'capdec', out: tmpDir('dec-'), lm: { pretrained: out }, epochs: 1, batchSize: 2, quiet: true, keepEpochs: false });
  assert.deepEqual(fine.config.vocab, lm.config.vocab);
  // interrupted after 12 steps, resumed: the same final weights
  const out2 = tmpDir('lm2-');
  await pretrainLm({ ...opts, out: out2, stopAfter: 12 });
  await pretrainLm({ ...opts, out: out2, resume: true });
  const a = lm.weights, b = loadPretrainedLm(out2).weights;
  for (const [k, v] of a) assert.ok(maxAbsDiff(v.data as Float32Array, b.get(k)!.data as Float32Array) < 1e-6, `${k} differs after resume`);
  await assert.rejects(pretrainLm({ ...opts, captions: [], out: tmpDir() }), /no captions/);
});

test('pre-training on 2 worker threads gives the bits of one thread for the same micro-batch', async () => {
  const opts = { captions: WEB, vocabTexts: CAPS, lmOverrides: TINY, steps: 3, batchSize: 4, seqLen: 16, microBatch: 2, seed: 5, quiet: true };
  const one = tmpDir('lm1-'), two = tmpDir('lm2w-');
  await pretrainLm({ ...opts, out: one });
  await pretrainLm({ ...opts, out: two, workers: 2 });
  const a = loadPretrainedLm(one).weights, b = loadPretrainedLm(two).weights;
  for (const [k, v] of a) assert.equal(maxAbsDiff(v.data as Float32Array, b.get(k)!.data as Float32Array), 0, `${k} differs`);
});

test('mapper input scale: the same prefix as the reference mapper with its first layer scaled; stored in the config', async () => {
  const { PrefixMapper } = await import('../../lib/decoder/mapper.ts');
  const { ParamStore } = await import('../../lib/nn/index.ts');
  const { tf } = await import('../../lib/tf.ts');
  const base = { variant: 'official' as const, inputDim: 8, width: 4, prefixLength: 2 };
  const pa = new ParamStore(), pb = new ParamStore();
  const a = PrefixMapper.create({ ...base, inputScale: 3 }, pa, new Rng(1));
  const b = PrefixMapper.create(base, pb, new Rng(1));
  const w = await pb.toHost();
  const fc1 = w.get('mapper.fc1.weight')!;
  w.set('mapper.fc1.weight', { ...fc1, data: (fc1.data as Float32Array).map((x) => 3 * x) });
  pb.load(w);
  const e = tf.tensor2d(new Rng(2).normals(3 * 8), [3, 8]);
  const [ya, yb] = [a.apply(e), b.apply(e)];
  assert.ok(maxAbsDiff(await ya.data() as Float32Array, await yb.data() as Float32Array) < 1e-5);
  tf.dispose([e, ya, yb]); pa.dispose(); pb.dispose();
  const dec = createDecoder({ inputDim: 8, lm: 'tiny', lmOverrides: TINY, vocab: [1, 2, 3, 13], mapperInputScale: 4, treatment: 'plain', textMean: new Float32Array(8) });
  assert.equal(dec.config.mapper.inputScale, 4);
  dec.dispose();
  assert.throws(() => PrefixMapper.create({ ...base, inputScale: -1 }, new ParamStore(), new Rng(1)), /inputScale must be a positive number/);
});
