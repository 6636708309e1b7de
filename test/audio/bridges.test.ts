// The paired bridges on a synthetic paired set with a known gap: text rows z and "audio" rows
// z + a constant offset c + a little noise (the C3 paper's model of the gap). Diffusion-Link must
// move audio towards its own caption (paired cosine up, above the no-bridge level); DiffGAP must
// generate, in both directions, embeddings that match their pair better than chance; the
// conditional denoiser's gradient matches finite differences; training resumes exactly; nothing leaks.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertNoLeak, setupBackend, tmpDir } from '../helpers.ts';
import { tf } from '../../lib/tf.ts';
import { Rng } from '../../lib/util/rng.ts';
import { l2NormalizeRows } from '../../lib/embeddings/normalize.ts';
import { modalityMean } from '../../lib/embeddings/means.ts';
import { DiffusionModel } from '../../lib/diffusion/index.ts';
import { type PairedEmbeddings, pairedEmbeddings, trainPaired } from '../../lib/bridges/pairs.ts';
import { applyDiffusionLink, trainDiffusionLink, diffusionLinkLoss, diffusionLinkModelConfig, DEFAULT_DIFFUSION_LINK } from '../../lib/bridges/diffusion-link.ts';
import { AUDIO_GIVEN_TEXT, DiffGapModel, TEXT_GIVEN_AUDIO, trainDiffGap } from '../../lib/bridges/diffgap.ts';
import { CondResMLP } from '../../lib/bridges/cond-resmlp.ts';
import { lossAndGrads } from '../../lib/nn/index.ts';
import type { SplitEmbeddings } from '../../lib/experiments/data.ts';

const d = 16;

/**
 * n clips with 2 captions each: captions near a clip concept z; audio = a fixed linear distortion
 * of z (0.6 z + 0.8 Mz, M a random matrix) plus a constant offset and noise. Mean removal takes the
 * offset away but not the distortion: the gap a paired bridge can learn and mean removal cannot.
 */
function synthetic(n: number, seed: number): SplitEmbeddings {
  const rng = new Rng(seed);
  const world = new Rng(99); // the "encoder": the same distortion and offset for every split
  const offset = world.fork('offset').normals(d).map((v) => 1.2 * v);
  const M = world.fork('mix').normals(d * d).map((v) => v / Math.sqrt(d));
  const text = new Float32Array(2 * n * d), image = new Float32Array(n * d);
  const images: SplitEmbeddings['index']['images'] = [], texts: SplitEmbeddings['index']['texts'] = [];
  for (let i = 0; i < n; i++) {
    const z = rng.normals(d);
    for (let j = 0; j < d; j++) {
      let mz = 0;
      for (let k = 0; k < d; k++) mz += M[j * d + k] * z[k];
      image[i * d + j] = 0.6 * z[j] + 0.8 * mz + offset[j] + 0.2 * rng.normal();
    }
    for (let k = 0; k < 2; k++) {
      const r = 2 * i + k;
      for (let j = 0; j < d; j++) text[r * d + j] = z[j] + 0.3 * rng.normal();
      texts.push({ image_id: i, caption: `c${r}` });
    }
    images.push({ image_id: i, file: `${i}.wav`, text_rows: [2 * i, 2 * i + 1] });
  }
  return { d, text, nText: 2 * n, image, nImage: n, index: { split: 'x', images, texts } };
}

/** Mean cosine of each caption with its clip's row in `x` (unit rows). */
function pairedCos(s: SplitEmbeddings, textUnit: Float32Array, x: Float32Array): number {
  let sum = 0;
  s.index.texts.forEach((t, r) => { let c = 0; for (let j = 0; j < d; j++) c += textUnit[r * d + j] * x[Number(t.image_id) * d + j]; sum += c; });
  return sum / s.nText;
}

const budget = { steps: 300, batchSize: 64, lr: 2e-3, clipGradNorm: 1, checkpointEvery: 1000 };

describe('paired bridges', () => {
  let train: SplitEmbeddings, test: SplitEmbeddings, means: { text: Float32Array; image: Float32Array }, pairs: PairedEmbeddings;
  let textTest: Float32Array;
  before(async () => {
    await setupBackend();
    train = synthetic(300, 1);
    test = synthetic(60, 2);
    means = { text: modalityMean(train.text, train.nText, d), image: modalityMean(train.image, train.nImage, d) };
    pairs = pairedEmbeddings(train, means.text, means.image, 5);
    const tp = pairedEmbeddings(test, means.text, means.image, 5);
    textTest = l2NormalizeRows(tp.text, test.nText, d);
  });

  it('Diffusion-Link closes a gap that mean removal leaves: linked audio is closer to its own captions than mean-removed audio', async () => {
    const out = join(tmpDir(), 'link');
    const r = await trainDiffusionLink(pairs, { variant: 'official', seed: 0, outDir: out, quiet: true, config: { width: 64, timeDim: 32, train: budget } });
    const model = DiffusionModel.load(r.dir);
    try {
      const before = pairedCos(test, textTest, l2NormalizeRows(pairedEmbeddings(test, means.text, means.image, 5).media, test.nImage, d));
      const linked = await assertNoLeak(() => applyDiffusionLink(model, test.image, test.nImage, d, means.image, { M: 400, steps: 5, inject: 'direct', seed: 0 }), 'applyDiffusionLink');
      const noised = await applyDiffusionLink(model, test.image, test.nImage, d, means.image, { M: 200, steps: 5, inject: 'noise', seed: 0 });
      const after = pairedCos(test, textTest, linked);
      assert.ok(after > before + 0.05, `paired cosine ${before.toFixed(3)} -> ${after.toFixed(3)}`);
      assert.ok(pairedCos(test, textTest, noised) > before, 'noised injection also moves audio towards its captions');
      for (let i = 0; i < test.nImage; i++) {
        let n2 = 0;
        for (let j = 0; j < d; j++) n2 += linked[i * d + j] ** 2;
        assert.ok(Math.abs(Math.sqrt(n2) - 1) < 1e-4);
      }
      await assert.rejects(() => applyDiffusionLink(model, test.image, test.nImage, d, means.image, { M: 400, steps: 5, inject: 'sideways' as never, seed: 0 }), /inject must be 'noise' or 'direct'/);
    } finally { model.dispose(); }
  });

  it('the paired training loop resumes exactly after an interruption', async () => {
    const c = { ...DEFAULT_DIFFUSION_LINK, width: 32, timeDim: 16 };
    const train = { ...budget, steps: 20, checkpointEvery: 5 };
    const run = async (dir: string, stopAfter?: number) => {
      const model = DiffusionModel.create(diffusionLinkModelConfig(c, d, 'official'), 3);
      try {
        await trainPaired({ params: model.denoiser.params, pairs, train, seed: 3, label: 'test', outDir: dir, config: { c, train }, quiet: true, stopAfter, loss: (b, rng) => diffusionLinkLoss(model, c, b, rng) });
        return (await model.denoiser.params.toHost()).get('out_proj.weight')!.data as Float32Array;
      } finally { model.dispose(); }
    };
    const whole = await run(join(tmpDir(), 'whole'));
    const dir = join(tmpDir(), 'split');
    const half = await run(dir, 10);
    const resumed = await run(dir);
    assert.ok(half.some((v, i) => v !== whole[i]), 'the interrupted run stopped early');
    assert.deepEqual(resumed, whole);
    await assert.rejects(() => trainPaired({ params: DiffusionModel.create(diffusionLinkModelConfig(c, d, 'official'), 3).denoiser.params, pairs, train: { ...train, lr: 1e-2 }, seed: 3, label: 'test', outDir: dir, config: { c, train: { ...train, lr: 1e-2 } }, quiet: true, loss: () => tf.scalar(0) }), /cannot resume .*train\.lr is 0\.01/);
  });

  it('the Diffusion-Link loss is finite, differentiable and leak-free; crossWeight 0 is refused', async () => {
    const model = DiffusionModel.create(diffusionLinkModelConfig({ ...DEFAULT_DIFFUSION_LINK, width: 16, timeDim: 8 }, d, 'official'), 0);
    try {
      const batch = { text: tf.tensor2d(pairs.text.subarray(0, 8 * d), [8, d]), media: tf.tensor2d(pairs.media.subarray(0, 8 * d), [8, d]) };
      const r = await assertNoLeak(() => {
        const g = lossAndGrads(model.denoiser.params, () => diffusionLinkLoss(model, DEFAULT_DIFFUSION_LINK, batch, new Rng(0)));
        const v = g.loss.dataSync()[0];
        const any = Object.values(g.grads).some((t) => tf.tidy(() => t.abs().max().dataSync()[0]) > 0);
        tf.dispose([g.loss, ...Object.values(g.grads)]);
        return { v, any };
      }, 'diffusionLinkLoss');
      assert.ok(Number.isFinite(r.v) && r.v > 0 && r.any);
      tf.dispose([batch.text, batch.media]);
      await assert.rejects(() => trainDiffusionLink(pairs, { variant: 'official', seed: 0, outDir: join(tmpDir(), 'x'), quiet: true, config: { crossWeight: 0 } }), /crossWeight 0/);
    } finally { model.dispose(); }
  });

  it('DiffGAP generates both directions better than chance (captions from audio, audio from captions)', async () => {
    const out = join(tmpDir(), 'gap');
    await trainDiffGap(pairs, { seed: 0, outDir: out, quiet: true, config: { width: 64, timeDim: 32, train: budget } });
    const model = DiffGapModel.load(out);
    try {
      const genText = await assertNoLeak(() => model.generate(test.image, test.nImage, d, means.image, TEXT_GIVEN_AUDIO, { steps: 10, guidance: 0, seed: 0 }), 'DiffGapModel.generate');
      // each generated text is closest to its own clip's captions more often than chance
      const hit = (gen: Float32Array, nGen: number, gallery: Float32Array, nGal: number, isOwn: (g: number, k: number) => boolean) => {
        let hits = 0;
        for (let g = 0; g < nGen; g++) {
          let best = -Infinity, bestK = -1;
          for (let k = 0; k < nGal; k++) { let c = 0; for (let j = 0; j < d; j++) c += gen[g * d + j] * gallery[k * d + j]; if (c > best) { best = c; bestK = k; } }
          if (isOwn(g, bestK)) hits++;
        }
        return hits / nGen;
      };
      const a2t = hit(genText, test.nImage, textTest, test.nText, (g, k) => Number(test.index.texts[k].image_id) === g);
      assert.ok(a2t > 0.2, `audio -> text top-1 ${a2t} (chance ${2 / test.nText})`);
      const genAudio = await model.generate(test.text, test.nText, d, means.text, AUDIO_GIVEN_TEXT, { steps: 10, guidance: 1, seed: 0 });
      const audioTest = l2NormalizeRows(pairedEmbeddings(test, means.text, means.image, 5).media, test.nImage, d);
      const t2a = hit(genAudio, test.nText, audioTest, test.nImage, (g, k) => Number(test.index.texts[g].image_id) === k);
      assert.ok(t2a > 0.2, `text -> audio top-1 ${t2a} (chance ${1 / test.nImage})`);
      // seeded per row: the same rows in other batches give the same samples
      const again = await model.generate(test.image, test.nImage, d, means.image, TEXT_GIVEN_AUDIO, { steps: 10, guidance: 0, seed: 0, batchSize: 7 });
      assert.ok(again.every((v, i) => Math.abs(v - genText[i]) < 1e-5));
    } finally { model.dispose(); }
  });

  it('the conditional denoiser: gradient matches finite differences; bad shapes are refused', () => {
    const net = new CondResMLP({ kind: 'cond-resmlp', length: 4, width: 8, blocks: 2, timeDim: 8, directions: 2 }, 0);
    try {
      const x = tf.tensor2d(new Rng(5).normals(12), [3, 4]), c = tf.tensor2d(new Rng(6).normals(12), [3, 4]);
      const dir = Int32Array.from([0, 1, 0]);
      const f = () => tf.sum(tf.square(net.apply(x, 17, c, dir))) as tf.Scalar;
      const g = lossAndGrads(net.params, f);
      const w = net.params.get('blocks.1.fc1.weight');
      const analytic = g.grads['blocks.1.fc1.weight'].dataSync()[5];
      const base = w.dataSync().slice();
      const at = (delta: number) => { const v = base.slice(); v[5] += delta; w.assign(tf.tensor(v, w.shape)); return f().dataSync()[0]; };
      const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
      w.assign(tf.tensor(base, w.shape));
      assert.ok(Math.abs(numeric - analytic) < 1e-2 * Math.max(1, Math.abs(analytic)), `numeric ${numeric} vs analytic ${analytic}`);
      tf.dispose([g.loss, ...Object.values(g.grads)]);
      assert.throws(() => net.apply(x, 1, tf.zeros([2, 4]) as tf.Tensor2D, dir), /must both be \[B, 4\]/);
      assert.throws(() => net.apply(x, 1, c, Int32Array.from([0, 2, 0])), /directions in 0\.\.1/);
      tf.dispose([x, c]);
    } finally { net.dispose(); }
  });
});
