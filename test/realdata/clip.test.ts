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
