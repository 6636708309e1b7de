// Reference rows (random / frequent / nearest / held-out captions) and the posterior-mean oracle
// that replaces the denoiser in oracle:posterior-bridge.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { nearestRows, referenceCaptions } from '../../lib/experiments/references.ts';
import { referenceCandidates } from '../../lib/world/reference.ts';
import { PosteriorMeanDenoiser, oracleBridgeEmbeddings } from '../../lib/experiments/oracle.ts';
import type { SplitEmbeddings } from '../../lib/experiments/data.ts';
import { DiffusionModel, diffusionConfig, predict, trainingRadius } from '../../lib/diffusion/index.ts';
import { l2Normalize } from '../../lib/embeddings/normalize.ts';
import { preprocessRows } from '../../lib/embeddings/preprocess.ts';
import { Rng } from '../../lib/util/rng.ts';
import { setupBackend, assertNoLeak, tmpDir } from '../helpers.ts';

before(async () => { await setupBackend(); });

function split(d: number, texts: string[], text: Float32Array, nImage: number, image: Float32Array): SplitEmbeddings {
  return {
    d, text, nText: texts.length, image, nImage,
    index: { split: 's', images: Array.from({ length: nImage }, (_, i) => ({ image_id: 100 + i, file: `${i}.png`, text_rows: [] })), texts: texts.map((caption) => ({ image_id: 0, caption })) },
  };
}

test('reference captions: nearest by cosine; random / frequent / human taken from the Karpathy file by image id', async () => {
  const d = 3;
  const trainText = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const train = split(d, ['x', 'y', 'z'], trainText, 0, new Float32Array(0));
  const test = split(d, [], new Float32Array(0), 2, Float32Array.from([0, 5, 1, 0.2, 0.1, -3]));
  assert.deepEqual(Array.from(await nearestRows(test.image, trainText, d)), [1, 0]);
  assert.deepEqual(await referenceCaptions('nearest-caption', { test, train }), ['y', 'x']);
  const file = join(tmpDir(), 'dataset_world.json');
  const sent = (raw: string) => ({ raw, tokens: raw.split(' ') });
  writeFileSync(file, JSON.stringify({ dataset: 'world', images: [
    { imgid: 1, split: 'train', filename: 't1', sentences: [sent('a red dog'), sent('a red dog'), sent('a cat')] },
    { imgid: 100, split: 'test', filename: 'a', sentences: [sent('a dog')], heldout: [sent('a sixth caption')] },
    { imgid: 101, split: 'test', filename: 'b', sentences: [sent('a cat')], heldout: [sent('another one')] },
  ] }));
  const candidates = referenceCandidates(file, { split: 'test', seed: 3 });
  assert.deepEqual(await referenceCaptions('frequent-caption', { test, train, candidates }), ['a red dog', 'a red dog']);
  assert.deepEqual(await referenceCaptions('human', { test, train, candidates }), ['a sixth caption', 'another one']);
  const r = await referenceCaptions('random-caption', { test, train, candidates });
  assert.deepEqual(r, await referenceCaptions('random-caption', { test, train, candidates: referenceCandidates(file, { split: 'test', seed: 3 }) }));
  assert.ok(r.every((c) => ['a red dog', 'a cat'].includes(c)));
  // an image the file does not know is an error, not a silent gap
  const other = split(d, [], new Float32Array(0), 3, new Float32Array(9));
  await assert.rejects(referenceCaptions('human', { test: other, train, candidates }), /test image 102 has no caption/);
});

test('posterior-mean oracle: matches the closed form, picks the nearest text at small t, the mean at large t, and round-trips every objective', async () => {
  const L = 8, n = 5, C = 5, rng = new Rng(7);
  const texts = preprocessRows(rng.normals(n * L), n, L, new Float32Array(L), C);
  for (const variant of ['official', 'paper'] as const) {
    const cfg = diffusionConfig({ kind: 'resmlp', length: L, width: 16, blocks: 1, timeDim: 8 }, variant);
    const model = DiffusionModel.create(cfg, 0);
    const den = new PosteriorMeanDenoiser(model.denoiser.config, texts, n, model);
    const x = tf.tensor2d(texts.slice(0, 2 * L).map((v, i) => v + 0.05 * Math.sin(i)), [2, L]);
    // closed form at t = 300 on the host
    const t = 300, a2 = model.schedule.alphasCumprod64[t];
    const got = den.posteriorMean(x, t).dataSync();
    const xs = x.dataSync();
    for (let r = 0; r < 2; r++) {
      const logit = Array.from({ length: n }, (_, i) => { let dot = 0, sq = 0; for (let j = 0; j < L; j++) { dot += xs[r * L + j] * texts[i * L + j]; sq += texts[i * L + j] ** 2; } return (Math.sqrt(a2) * dot - a2 * sq / 2) / (1 - a2); });
      const mx = Math.max(...logit), w = logit.map((l) => Math.exp(l - mx)), z = w.reduce((s, v) => s + v, 0);
      for (let j = 0; j < L; j++) { let m = 0; for (let i = 0; i < n; i++) m += (w[i] / z) * texts[i * L + j]; assert.ok(Math.abs(m - got[r * L + j]) < 1e-3, `${variant} row ${r} dim ${j}: ${got[r * L + j]} vs ${m}`); }
    }
    // small t: the nearest text itself; t near T: about the mean of the texts
    const near = den.posteriorMean(x, 0).dataSync();
    for (let j = 0; j < L; j++) assert.ok(Math.abs(near[j] - texts[j]) < 1e-3);
    const far = den.posteriorMean(x, 999).dataSync();
    for (let j = 0; j < L; j++) { let m = 0; for (let i = 0; i < n; i++) m += texts[i * L + j] / n; assert.ok(Math.abs(far[j] - m) < 0.05, `t = 999: ${far[j]} vs mean ${m}`); }
    // through the model's own conversion the prediction is x0 = the posterior mean, whatever the objective
    const core = { denoiser: den, schedule: model.schedule, objective: model.objective, renormalize: model.renormalize, radius: model.radius };
    const p = await assertNoLeak(() => predict(core, x, t), 'predict with the oracle');
    // official: the oracle first moves the renormalised input to the training radius of step t
    const xt = variant === 'official' ? l2Normalize(p.xIn, trainingRadius(model, t, L)) : p.xIn.clone();
    const want = den.posteriorMean(xt, t);
    const gotX0 = p.predX0.dataSync(), wantX0 = want.dataSync();
    gotX0.forEach((v, i) => assert.ok(Math.abs(v - wantX0[i]) < 1e-3, `${variant}: x0 through ${model.objective} ${v} vs ${wantX0[i]}`));
    tf.dispose([x, xt, p.xIn, p.predX0, p.predNoise, want]);
    // oracle bridging of images equal to texts at a small M returns those texts (unit norm)
    const out = await oracleBridgeEmbeddings(model, texts, n, texts.slice(0, 3 * L), 3, L, new Float32Array(L), { M: 20, steps: 2 });
    for (let r = 0; r < 3; r++) for (let j = 0; j < L; j++) assert.ok(Math.abs(out[r * L + j] - texts[r * L + j] / C) < 1e-2, `${variant} oracle bridge row ${r}`);
    den.dispose();
    model.dispose();
  }
});
