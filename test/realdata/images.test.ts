// Image reading: PNG through pngjs, JPEG (colour and greyscale) through sharp, into 8-bit RGB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { FIXTURES, tmpDir } from '../helpers.ts';
import { readImage, decodeImage, encodePng, toRGB } from '../../lib/data/images.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { toFloat32 } from '../../lib/io/dtype.ts';

test('PNG fixture pixels are read exactly', async () => {
  const img = await readImage(join(FIXTURES, 'clip_tiny', 'reference', 'images', 'image0_solid.png'));
  assert.equal(img.width, 32);
  assert.equal(img.height, 32);
  assert.equal(img.data.length, 32 * 32 * 3);
  assert.deepEqual([...img.data.subarray(0, 6)], [217, 163, 130, 217, 163, 130]);
  // Both fixture images against the Python reference pixel_values ((x/255 - mean)/std, resize/crop identity).
  const ref = toFloat32(readNpy(join(FIXTURES, 'clip_tiny', 'reference', 'pixel_values.npy')));
  const mean = [0.48145466, 0.4578275, 0.40821073], std = [0.26862954, 0.26130258, 0.27577711];
  let worst = 0;
  for (const [k, f] of ['image0_solid.png', 'image1_pattern.png'].entries()) {
    const im = await readImage(join(FIXTURES, 'clip_tiny', 'reference', 'images', f));
    for (let c = 0; c < 3; c++) for (let p = 0; p < 32 * 32; p++) {
      const v = (im.data[3 * p + c] / 255 - mean[c]) / std[c];
      worst = Math.max(worst, Math.abs(v - ref[((k * 3 + c) * 32 * 32) + p]));
    }
  }
  assert.ok(worst < 1e-5, `pixel values differ by ${worst}`);
});

test('PNG round trip, alpha dropped, grey expanded', async () => {
  const img = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 13) };
  assert.deepEqual(await decodeImage(encodePng(img)), img);
  const rgba = new PNG({ width: 1, height: 1 });
  rgba.data.set([10, 20, 30, 0]);
  const dir = tmpDir();
  writeFileSync(join(dir, 'a.png'), PNG.sync.write(rgba));
  assert.deepEqual([...(await readImage(join(dir, 'a.png'))).data], [10, 20, 30]);
  assert.deepEqual([...toRGB([7, 255], 1, 1, 2).data], [7, 7, 7]);
});

test('JPEG (colour and greyscale) through sharp; corrupt files give clear errors', async () => {
  const c = await readImage(join(FIXTURES, 'karpathy', 'coco_images', 'train2014', 'COCO_train2014_000000000009.jpg'));
  assert.deepEqual([c.width, c.height, c.data.length], [48, 36, 48 * 36 * 3]);
  const g = await readImage(join(FIXTURES, 'karpathy', 'coco_images', 'val2014', 'COCO_val2014_000000000042.jpg'));
  assert.equal(g.data.length, 40 * 40 * 3);
  for (let p = 0; p < 40 * 40; p++) assert.ok(g.data[3 * p] === g.data[3 * p + 1] && g.data[3 * p] === g.data[3 * p + 2]);
  await assert.rejects(readImage('/nonexistent.jpg'), /image not found/);
  const dir = tmpDir();
  writeFileSync(join(dir, 'bad.jpg'), 'not an image');
  await assert.rejects(readImage(join(dir, 'bad.jpg')), /bad\.jpg: cannot decode image/);
  const jpg = readFileSync(join(FIXTURES, 'karpathy', 'coco_images', 'train2014', 'COCO_train2014_000000000009.jpg'));
  writeFileSync(join(dir, 'truncated.jpg'), jpg.subarray(0, jpg.length - 300));
  await assert.rejects(readImage(join(dir, 'truncated.jpg')), /truncated\.jpg: cannot decode image: .*premature end/);
  writeFileSync(join(dir, 'bad.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
  await assert.rejects(readImage(join(dir, 'bad.png')), /bad\.png: cannot decode PNG/);
});
