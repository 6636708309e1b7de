// The resumable embedding writer: an interrupted run (abort after k batches, or a real SIGKILL of a child
// process) resumed to the end gives byte-identical files to an uninterrupted run; layout, index, means,
// refusal to mix jobs, encoder output checks; and `dbridge embed` with the tiny CLIP on the handmade files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { FIXTURES, tmpDir, maxAbsDiff } from '../helpers.ts';
import { embedDataset, EmbedInterrupted, type EmbedOptions } from '../../lib/embed/embed.ts';
import { karpathyEmbedSplits, imageFolderLoader, findKarpathyJson, folderFingerprint } from '../../lib/embed/sources.ts';
import { loadKarpathy } from '../../lib/data/karpathy.ts';
import { fakeEncoder, D } from './fake-encoder.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { toFloat32 } from '../../lib/io/dtype.ts';
import { main } from '../../lib/cli/main.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

const K = join(FIXTURES, 'karpathy');

function job(out: string, extra: Partial<EmbedOptions> = {}): EmbedOptions {
  const ds = loadKarpathy(join(K, 'dataset_coco.json'), { dataset: 'coco' });
  return {
    outDir: out, encoder: fakeEncoder(), dataset: 'coco', splits: karpathyEmbedSplits(ds),
    loadMedia: imageFolderLoader(join(K, 'coco_images')), batchSize: 1, textBatchSize: 3, shardSize: 2, progress: false, ...extra,
  };
}

const FILES = ['train/text.npy', 'train/image.npy', 'train/index.json', 'val/text.npy', 'val/image.npy', 'val/index.json',
  'test/text.npy', 'test/image.npy', 'test/index.json', 'text_mean.npy', 'image_mean.npy'];

function sameFiles(a: string, b: string): void {
  for (const f of FILES) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
  const ma = JSON.parse(readFileSync(join(a, 'meta.json'), 'utf8')), mb = JSON.parse(readFileSync(join(b, 'meta.json'), 'utf8'));
  assert.deepEqual(ma, mb);
}

test('uninterrupted run: layout, rows in file order, index, means of normalised train rows', async () => {
  const out = tmpDir();
  const s = await embedDataset(job(out));
  assert.deepEqual(readdirSync(out).sort(), ['image_mean.npy', 'meta.json', 'test', 'text_mean.npy', 'train', 'val']);
  assert.deepEqual(s.splits.train, { items: 3, captions: 16, shardsComputed: 2, shardsReused: 0 });
  const text = readNpy(join(out, 'train', 'text.npy')), image = readNpy(join(out, 'train', 'image.npy'));
  assert.deepEqual(text.shape, [16, D]);
  assert.deepEqual(image.shape, [3, D]);
  const idx = JSON.parse(readFileSync(join(out, 'train', 'index.json'), 'utf8'));
  assert.deepEqual(idx.images.map((i: { image_id: number }) => i.image_id), [9, 25, 42]);
  assert.deepEqual(idx.images[1].text_rows, [5, 6, 7, 8, 9, 10]);
  assert.equal(idx.texts[10].caption, 'A sixth caption, as some COCO images have.');
  // row 10 is that caption's embedding
  const enc = fakeEncoder();
  const want = await enc.encodeText([idx.texts[10].caption]);
  assert.ok(maxAbsDiff(toFloat32(text).subarray(10 * D, 11 * D), want) === 0);
  // means
  const t = toFloat32(text), mean = new Float64Array(D);
  for (let r = 0; r < 16; r++) {
    const row = t.subarray(r * D, (r + 1) * D), n = Math.hypot(...row);
    for (let j = 0; j < D; j++) mean[j] += row[j] / n / 16;
  }
  assert.ok(maxAbsDiff(toFloat32(readNpy(join(out, 'text_mean.npy'))), mean) < 1e-6);
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
  assert.equal(meta.dim, D);
  assert.equal(meta.modality, 'image');
  assert.deepEqual(meta.splits, ['train', 'val', 'test']);
  assert.equal(meta.means_from, 'train');
  assert.ok(!existsSync(join(out, '.partial')));
  // rerun: already complete, the encoder is not called
  const again = job(out);
  const s2 = await embedDataset(again);
  assert.equal(s2.alreadyComplete, true);
  assert.equal((again.encoder as ReturnType<typeof fakeEncoder>).calls, 0);
});

test('interrupted after k batches and resumed: identical output, no rows lost or duplicated', async () => {
  const ref = tmpDir();
  await embedDataset(job(ref));
  for (const k of [1, 4, 7, 11]) {
    const out = tmpDir();
    const ctl = new AbortController();
    let batches = 0;
    await assert.rejects(
      embedDataset(job(out, { signal: ctl.signal, onBatch: () => { if (++batches === k) ctl.abort(); } })),
      (e: Error) => e instanceof EmbedInterrupted && /run the same command again to resume/.test(e.message),
    );
    assert.ok(!existsSync(join(out, 'meta.json')));
    const partialShards = readdirSync(join(out, '.partial')).filter((f) => f !== 'job.json')
      .flatMap((s) => readdirSync(join(out, '.partial', s)));
    // resume with a different batch size (not part of the job)
    const s = await embedDataset(job(out, { batchSize: 2, textBatchSize: 5 }));
    const reused = Object.values(s.splits).reduce((a, x) => a + x.shardsReused, 0);
    assert.equal(reused, partialShards.length);
    sameFiles(ref, out);
  }
});

test('a damaged shard (truncated, or from another job) is recomputed, not trusted', async () => {
  const ref = tmpDir();
  await embedDataset(job(ref));
  const out = tmpDir();
  const ctl = new AbortController();
  let n = 0;
  await assert.rejects(embedDataset(job(out, { signal: ctl.signal, onBatch: () => { if (++n === 12) ctl.abort(); } })), EmbedInterrupted);
  const shard = join(out, '.partial', 'train', 'shard-000000.safetensors');
  const bytes = readFileSync(shard);
  writeFileSync(shard, bytes.subarray(0, bytes.length - 4));
  const s = await embedDataset(job(out));
  assert.equal(s.splits.train.shardsReused, 1); // shard 1 kept, shard 0 recomputed
  assert.equal(s.splits.train.shardsComputed, 1);
  sameFiles(ref, out);
});

test('a run killed with SIGKILL mid-way resumes to the same files', () => {
  const ref = tmpDir(), out = tmpDir();
  const script = join(tmpDir(), 'kill.mts');
  const lib = join(import.meta.dirname, '..', '..', 'lib');
  const tst = import.meta.dirname;
  writeFileSync(script, `
    import { embedDataset } from '${lib}/embed/embed.ts';
    import { karpathyEmbedSplits, imageFolderLoader } from '${lib}/embed/sources.ts';
    import { loadKarpathy } from '${lib}/data/karpathy.ts';
    import { fakeEncoder } from '${tst}/fake-encoder.ts';
    const [out, killAt] = [process.argv[2], Number(process.argv[3])];
    const ds = loadKarpathy('${K}/dataset_coco.json', { dataset: 'coco' });
    let n = 0;
    await embedDataset({ outDir: out, encoder: fakeEncoder(), dataset: 'coco', splits: karpathyEmbedSplits(ds),
      loadMedia: imageFolderLoader('${K}/coco_images'), batchSize: 1, textBatchSize: 3, shardSize: 2, progress: false,
      onBatch: () => { if (++n === killAt) process.kill(process.pid, 'SIGKILL'); } });
  `);
  const run = (dir: string, killAt: number) => spawnSync(process.execPath, ['--import', 'tsx', script, dir, String(killAt)], {
    encoding: 'utf8', env: { ...process.env, DBRIDGE_QUIET: '1', NODE_TEST_CONTEXT: '' },
  });
  const r0 = run(ref, 0);
  assert.equal(r0.status, 0, r0.stderr);
  const r1 = run(out, 9);
  assert.equal(r1.signal, 'SIGKILL', r1.stderr);
  assert.ok(!existsSync(join(out, 'meta.json')));
  const kept = readdirSync(join(out, '.partial', 'train')).filter((f) => f.endsWith('.safetensors'));
  assert.ok(kept.length >= 1, 'the killed run should leave finished shards');
  const r2 = run(out, 0);
  assert.equal(r2.status, 0, r2.stderr);
  sameFiles(ref, out);
});

test('refuses to mix jobs and checks encoder outputs', async () => {
  const out = tmpDir();
  const ctl = new AbortController();
  await assert.rejects(embedDataset(job(out, { signal: ctl.signal, onBatch: () => ctl.abort() })), EmbedInterrupted);
  await assert.rejects(embedDataset(job(out, { shardSize: 3 })), /holds shards of a different job .*shard size 2/);
  const done = tmpDir();
  await embedDataset(job(done));
  await assert.rejects(embedDataset(job(done, { dataset: 'flickr30k' })), /already holds embeddings of another job/);
  // same encoder id, other weights (e.g. a retrained world encoder): never taken for the finished job
  await assert.rejects(embedDataset(job(done, { encoderFingerprint: 'retrained' })), /already holds embeddings of another job/);
  const d1 = tmpDir(), d2 = tmpDir();
  writeFileSync(join(d1, 'weights.safetensors'), 'a');
  writeFileSync(join(d2, 'weights.safetensors'), 'b');
  assert.notEqual(folderFingerprint(d1, ['weights.safetensors', 'config.json']), folderFingerprint(d2, ['weights.safetensors', 'config.json']));
  assert.equal(folderFingerprint(d1, ['weights.safetensors']), folderFingerprint(d1, ['weights.safetensors']));
  assert.throws(() => folderFingerprint(d1, ['model.onnx']), /none of model\.onnx found/);
  const bad = fakeEncoder();
  bad.encodeText = async (c) => new Float32Array(c.length * D - 1);
  await assert.rejects(embedDataset(job(tmpDir(), { encoder: bad })), /returned 23 values for 3 inputs; expected 3 x 8/);
  const nan = fakeEncoder();
  nan.encodeImage = async (im) => new Float32Array(im.length * D).fill(NaN);
  await assert.rejects(embedDataset(job(tmpDir(), { encoder: nan })), /returned NaN/);
  const textOnly = { id: 't', dim: D, encodeText: fakeEncoder().encodeText };
  await assert.rejects(embedDataset(job(tmpDir(), { encoder: textOnly })), /cannot encode image/);
  await assert.rejects(embedDataset(job(tmpDir(), { splits: [] })), /no splits/);
  await assert.rejects(embedDataset(job(tmpDir(), { shardSize: 0 })), /shardSize must be a positive integer/);
});

test('dbridge embed with the tiny CLIP on the handmade Flickr30K file; world and argument errors', async () => {
  const out = tmpDir();
  await main(['embed', '--model', join(FIXTURES, 'clip_tiny'), '--dataset', 'flickr30k', '--karpathy', join(K, 'dataset_flickr30k.json'),
    '--images', join(K, 'flickr30k_images'), '--out', out, '--batch-size', '3', '--shard-size', '1', '--backend', 'wasm', '--quiet']);
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
  assert.equal(meta.encoder, 'clip:clip_tiny');
  assert.match(meta.encoder_fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(meta.dim, 16);
  assert.deepEqual(meta.counts, { train: { items: 2, captions: 10 }, val: { items: 1, captions: 5 }, test: { items: 1, captions: 5 } });
  const idx = JSON.parse(readFileSync(join(out, 'val', 'index.json'), 'utf8'));
  assert.equal(idx.texts[0].caption, 'A child in a pink dress is climbing up a set of stairs in an entry way.');
  // the written rows are the encoder's rows for those captions
  const { loadClipEncoder } = await import('../../lib/encoders/clip.ts');
  const enc = await loadClipEncoder(join(FIXTURES, 'clip_tiny'));
  const want = await enc.encodeText(idx.texts.map((t: { caption: string }) => t.caption));
  assert.ok(maxAbsDiff(toFloat32(readNpy(join(out, 'val', 'text.npy'))), want) < 1e-5);
  const args = (extra: string[]) => ['embed', '--out', tmpDir(), '--backend', 'wasm', '--quiet', ...extra];
  // --limit: the first N items of each split
  const lim = tmpDir();
  await main(['embed', '--model', join(FIXTURES, 'clip_tiny'), '--dataset', 'coco', '--karpathy', join(K, 'dataset_coco.json'),
    '--images', join(K, 'coco_images'), '--out', lim, '--limit', '1', '--backend', 'wasm', '--quiet']);
  const lm = JSON.parse(readFileSync(join(lim, 'meta.json'), 'utf8'));
  assert.deepEqual(lm.counts, { train: { items: 1, captions: 5 }, val: { items: 1, captions: 5 }, test: { items: 1, captions: 5 } });
  assert.equal(lm.limit, 1);
  await assert.rejects(main(args(['--model', 'x', '--dataset', 'coco', '--karpathy', join(K, 'dataset_coco.json'), '--images', K, '--limit', '0'])), /--limit must be a positive integer/);
  await assert.rejects(main(args(['--model', 'x', '--dataset', 'coco'])), /needs --karpathy FILE/);
  await assert.rejects(main(args(['--model', 'x', '--dataset', 'imagenet'])), /'imagenet' is not one of coco, flickr30k, audiocaps, clotho/);
  await assert.rejects(main(args(['--encoder', 'e'])), /--encoder needs --world DIR/);
  await assert.rejects(main(args(['--model', join(FIXTURES, 'clip_tiny'), '--dataset', 'coco', '--karpathy', join(K, 'dataset_coco.json'), '--images', join(K, 'flickr30k_images')])),
    (e: Error) => e instanceof DbridgeError && /6 media file\(s\) missing .*COCO_train2014_000000000009\.jpg/.test(e.message));
  await assert.rejects(main(args(['--model', join(FIXTURES, 'clip_tiny'), '--dataset', 'coco', '--karpathy', join(K, 'dataset_flickr30k.json'), '--images', K])),
    /is for dataset 'flickr30k', not 'coco'/);
  // the world path: a Karpathy JSON found in the world folder; the world encoder is loaded from lib/world/encoder.ts
  const world = tmpDir();
  writeFileSync(join(world, 'world.json'), JSON.stringify({ dataset: 'world', images: [{ filename: 'a.png', imgid: 0, split: 'train', sentences: [{ raw: 'a ball' }] }] }));
  writeFileSync(join(world, 'a.png'), readFileSync(join(FIXTURES, 'clip_tiny', 'reference', 'images', 'image0_solid.png')));
  // an empty folder given as --encoder is refused, naming the folder and what is missing
  const noEncoder = tmpDir();
  await assert.rejects(main(args(['--encoder', noEncoder, '--world', world])),
    (e: Error) => e instanceof DbridgeError && e.message.includes(noEncoder) && /config\.json is missing/.test(e.message));
  writeFileSync(join(world, 'other.json'), JSON.stringify({ images: [] }));
  await assert.rejects(main(args(['--encoder', tmpDir(), '--world', world])), /several Karpathy-format JSON files/);
  // what `dbridge world` writes: dataset_world.json is the captioning file, pretrain_world.json is not
  writeFileSync(join(world, 'dataset_world.json'), '{}');
  assert.equal(findKarpathyJson(world), join(world, 'dataset_world.json'));
});
