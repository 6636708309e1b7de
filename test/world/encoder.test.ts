// The world's dual encoder: CLIP BPE ids, the InfoNCE loss, training that learns, exact resume,
// checkpoints loaded as an Encoder (shapes, determinism, no tensor leaks, input errors) and the
// retrieval metric.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoLeak, setupBackend, tmpDir } from '../helpers.ts';
import { tf } from '../../lib/tf.ts';
import { generateWorld, readWorldEntries, readWorldImages } from '../../lib/world/index.ts';
import { evaluateRetrieval, loadWorldEncoder, retrievalFromEmbeddings, trainWorldEncoder } from '../../lib/world/encoder.ts';
import { LOGIT_SCALE_INIT, clipLoss } from '../../lib/world/encoder-model.ts';
import { CLIP_EOT, CLIP_SOT, clipTokenize } from '../../lib/world/tokenizer.ts';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { main } from '../../lib/cli/main.ts';

const tiny = { dim: 16, width: 32, heads: 2, stemWidth: 16, imageLayers: 1, textLayers: 1 };
/** No transformer blocks: learns fastest in the first 100 steps (the learning test's budget). */
const tinyFast = { ...tiny, imageLayers: 0, textLayers: 0 };

describe('world encoder', () => {
  let world: string;
  before(async () => {
    await setupBackend();
    world = join(tmpDir(), 'world');
    generateWorld({ scale: 'smoke', seed: 1, outDir: world, sizes: { pretrain: 1000, train: 10, val: 10, test: 60 }, quiet: true });
  });

  it('tokenizes with the real CLIP BPE (reference ids) and truncates like clip.tokenize', () => {
    assert.deepEqual(clipTokenize('a photo of a cat', 77), [49406, 320, 1125, 539, 320, 2368, 49407]);
    const long = clipTokenize('a red ball '.repeat(20), 10);
    assert.equal(long.length, 10);
    assert.equal(long[0], CLIP_SOT);
    assert.equal(long[9], CLIP_EOT);
  });

  it('InfoNCE loss: log n for identical rows, near 0 for aligned distinct rows, CLIP temperature init', () => {
    assert.ok(Math.abs(LOGIT_SCALE_INIT - Math.log(1 / 0.07)) < 1e-12);
    tf.tidy(() => {
      const same = tf.ones([4, 8]);
      assert.ok(Math.abs(clipLoss(same, same, tf.scalar(LOGIT_SCALE_INIT)).dataSync()[0] - Math.log(4)) < 1e-5);
      const eye = tf.eye(4, 8);
      assert.ok(clipLoss(eye, eye, tf.scalar(Math.log(100))).dataSync()[0] < 1e-6);
    });
  });

  it('learns with a learned temperature (CLIP recipe): loss falls and retrieval on pre-training pairs beats chance', async () => {
    const out = join(tmpDir(), 'enc-learn');
    const r = await trainWorldEncoder({ worldDir: world, outDir: out, steps: 100, batchSize: 32, lr: 3e-3, arch: tinyFast, quiet: true, checkpointEvery: 1000, fixedTemperature: null });
    assert.equal(r.step, 100);
    assert.ok(r.done);
    assert.notEqual(r.logitScale, 1 / 0.07, 'the temperature was learned');
    // below log(16): more than the domain shortcut (light/dark background <-> caption style) was learned
    assert.ok(r.loss < Math.log(16), `final loss ${r.loss} vs log(16) = ${Math.log(16)}`);
    assert.ok(r.retrieval && r.retrieval.split === 'test');
    for (const f of ['weights.safetensors', 'config.json', 'state.json', 'optimizer.safetensors', 'eval.json']) assert.ok(existsSync(join(out, f)), f);
    const enc = await loadWorldEncoder(out);
    const { i2t, t2i, chance } = await evaluateRetrieval(enc, world, 'pretrain', { source: 'pretrain', limit: 100 });
    enc.dispose();
    const msg = `i2t ${JSON.stringify(i2t)} t2i ${JSON.stringify(t2i)} chance ${JSON.stringify(chance)}`;
    // chance: R@1 = 1% both ways here, R@5 about 5%
    assert.ok(i2t.r1 > 3 * chance.i2t_r1 && t2i.r1 > 3 * chance.t2i_r1 && i2t.r5 > 0.15 && t2i.r5 > 0.15, msg);
  });

  it('learns with the default fixed temperature 0.01: the logit scale stays 100, retrieval beats chance', async () => {
    const out = join(tmpDir(), 'enc-fixed');
    const r = await trainWorldEncoder({ worldDir: world, outDir: out, steps: 100, batchSize: 32, lr: 3e-3, arch: tinyFast, quiet: true, checkpointEvery: 1000 });
    assert.ok(Math.abs(r.logitScale - 100) < 1e-3, `logit scale ${r.logitScale}`);
    const enc = await loadWorldEncoder(out);
    const { i2t, t2i, chance } = await evaluateRetrieval(enc, world, 'pretrain', { source: 'pretrain', limit: 100 });
    enc.dispose();
    // chance: R@1 1%, R@5 5%; a sharp temperature learns more slowly in 100 tiny steps. R@1 is
    // judged on both directions together: one direction's R@1 at 100 images moves by a hit (0.01)
    // with float32 rounding of the clip factor (computed on the device since the webgpu work).
    assert.ok(i2t.r1 + t2i.r1 > 2 * (chance.i2t_r1 + chance.t2i_r1) && i2t.r5 > 0.12 && t2i.r5 > 0.12, `i2t ${JSON.stringify(i2t)} t2i ${JSON.stringify(t2i)}`);
    await assert.rejects(trainWorldEncoder({ worldDir: world, outDir: join(tmpDir(), 'enc-badT'), steps: 1, fixedTemperature: 0.001, quiet: true }), DbridgeError);
    // the CLI: --temperature reaches the trainer (0.02 -> a saved logit scale of 50), and conflicts are refused
    const cli = join(tmpDir(), 'enc-cli');
    await main(['train-encoder', '--world', world, '--out', cli, '--steps', '1', '--batch-size', '8', '--dim', '8', '--temperature', '0.02', '--eval-split', 'none', '--quiet', '--backend', 'wasm']);
    const saved = await loadWorldEncoder(cli);
    const scale = await saved.logitScale();
    assert.ok(Math.abs(scale - 50) < 1e-3 && saved.dim === 8, `logit scale ${scale}, dim ${saved.dim}`);
    saved.dispose();
    await assert.rejects(main(['train-encoder', '--world', world, '--out', cli, '--temperature', '0.02', '--learn-temperature', '--quiet', '--backend', 'wasm']), /exclude each other/);
  });

  it('resumes exactly: 3 steps + 3 resumed steps equal 6 uninterrupted steps', async () => {
    const a = join(tmpDir(), 'enc-a'), b = join(tmpDir(), 'enc-b');
    const opts = { worldDir: world, steps: 6, batchSize: 16, arch: tiny, quiet: true, evalSplit: 'none' };
    const first = await trainWorldEncoder({ ...opts, outDir: a });
    // a finished checkpoint is reused as it is (same loss, nothing retrained)
    const again = await trainWorldEncoder({ ...opts, outDir: a });
    assert.equal(again.step, 6);
    assert.equal(again.loss, first.loss);
    assert.ok(Number.isFinite(again.loss));
    const part = await trainWorldEncoder({ ...opts, outDir: b, maxStepsThisRun: 3 });
    assert.equal(part.step, 3);
    assert.equal(part.done, false);
    await assert.rejects(trainWorldEncoder({ ...opts, outDir: b }), DbridgeError, 'an unfinished checkpoint needs --resume');
    const rest = await trainWorldEncoder({ ...opts, outDir: b, resume: true });
    assert.equal(rest.step, 6);
    const wa = readSafetensors(join(a, 'weights.safetensors')).tensors, wb = readSafetensors(join(b, 'weights.safetensors')).tensors;
    assert.deepEqual([...wa.keys()].sort(), [...wb.keys()].sort());
    for (const [k, t] of wa) assert.deepEqual(wb.get(k)!.data, t.data, `parameter ${k}`);
    // a different config in the same folder is refused
    await assert.rejects(trainWorldEncoder({ ...opts, outDir: b, arch: { ...tiny, dim: 8 } }), DbridgeError);
  });

  it('loads as an Encoder: shapes, determinism, no leaks, input errors', async () => {
    const out = join(tmpDir(), 'enc-load');
    await trainWorldEncoder({ worldDir: world, outDir: out, steps: 2, batchSize: 8, arch: tiny, quiet: true, evalSplit: 'none' });
    const enc = await loadWorldEncoder(out);
    assert.equal(enc.dim, 16);
    assert.equal(enc.id, 'world-dual-encoder');
    const caps = ['A red ball next to a blue box.', 'three shapes on a dark background .', 'an unseen word: zebra'];
    const t1 = await assertNoLeak(() => enc.encodeText(caps, 2), 'encodeText');
    assert.equal(t1.length, 3 * 16);
    assert.ok(t1.every(Number.isFinite));
    assert.deepEqual(await enc.encodeText(caps), t1, 'batching does not change the result');
    const imgs = await readWorldImages(world, readWorldEntries(world, 'dataset').slice(0, 5));
    const v = await assertNoLeak(() => enc.encodeImage(imgs, 2), 'encodeImage');
    assert.equal(v.length, 5 * 16);
    assert.deepEqual(await enc.encodeImage(imgs), v);
    await assert.rejects(enc.encodeImage([{ width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) }]), DbridgeError);
    enc.dispose();
    await assert.rejects(loadWorldEncoder(join(tmpDir(), 'nothing')), DbridgeError);
  });

  it('recall@k counts an image found when any of its captions ranks high enough', () => {
    // 2 images, 2 captions each, d = 2: image 0 = x, image 1 = y
    const iv = Float32Array.from([1, 0, 0, 1]);
    const tv = Float32Array.from([1, 0, 0.6, 0.8, 0, 1, 0.8, 0.6]);
    const r = retrievalFromEmbeddings(iv, tv, [0, 0, 1, 1], 2);
    assert.equal(r.i2t.r1, 1);
    // caption 1 (0.6, 0.8) is closer to image 1; caption 3 (0.8, 0.6) closer to image 0
    assert.equal(r.t2i.r1, 0.5);
    assert.equal(r.t2i.r5, 1);
  });
});
