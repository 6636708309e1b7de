// Gap statistics on synthetic embeddings with known answers: a constant offset between modalities
// (C3's e_x - e_y = c_perp + eps model) gives a large centroid distance and perfect linear
// separability that preprocessing removes; noise of variance 0.016 keeps cos 1/sqrt(1 + 0.016 D)
// with the text; paired > unpaired; an embeddings folder on disk gives the same numbers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpDir } from '../helpers.ts';
import { gapStatistics, gapStatisticsFromDir, linearSeparability } from '../../lib/embeddings/gap.ts';
import { writeNpy } from '../../lib/io/npy.ts';
import { writeJsonAtomic } from '../../lib/util/fs.ts';
import { modalityMean } from '../../lib/embeddings/means.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

/** nImg images with `caps` captions each: concept vectors, captions = concept + noise, images = concept + noise + offset. */
function synthetic(nImg: number, caps: number, d: number, offset: number, seed = 1) {
  const rng = new Rng(seed);
  const gapDir = rng.normals(d);
  const text = new Float32Array(nImg * caps * d), image = new Float32Array(nImg * d);
  const textToImage: number[] = [];
  for (let i = 0; i < nImg; i++) {
    const c = rng.normals(d);
    for (let j = 0; j < d; j++) image[i * d + j] = c[j] + 0.3 * rng.normal() + offset * gapDir[j];
    for (let k = 0; k < caps; k++) {
      const t = i * caps + k;
      for (let j = 0; j < d; j++) text[t * d + j] = c[j] + 0.5 * rng.normal();
      textToImage.push(i);
    }
  }
  return { text, image, d, textToImage };
}

describe('gap statistics', () => {
  it('measures a constant modality offset and its removal by preprocessing', () => {
    const g = gapStatistics(synthetic(300, 5, 32, 3));
    // before preprocessing: the offset dominates, images and texts are far apart and separable
    assert.ok(g.centroid.raw.distance > 0.7, `centroid distance ${g.centroid.raw.distance}`);
    assert.ok(g.separability.raw > 0.97, `separability ${g.separability.raw}`);
    assert.ok(g.raw.pairedImageText < g.raw.pairedTextText);
    // after removing each modality's mean the offset is gone: paired image-text rises, separability drops
    assert.ok(g.preprocessed.pairedImageText > g.raw.pairedImageText + 0.2, JSON.stringify(g.preprocessed));
    assert.ok(g.centroid.preprocessed.distance < 0.05);
    assert.ok(g.separability.preprocessed < 0.75, `separability after ${g.separability.preprocessed}`);
    // pairing matters
    assert.ok(g.preprocessed.pairedTextText > g.preprocessed.unpairedTextText + 0.3);
    assert.ok(g.preprocessed.pairedImageText > g.preprocessed.unpairedImageText + 0.3);
    assert.ok(Math.abs(g.preprocessed.unpairedTextText) < 0.05);
    assert.equal(g.means, 'computed');
    assert.equal(g.pairs.pairedImageText, 1500);
    assert.equal(g.pairs.pairedTextText, 300 * 10);
  });

  it('noise of variance 0.016 keeps cos 1/sqrt(1 + 0.016 D) with the text itself', () => {
    for (const d of [32, 128]) {
      const g = gapStatistics(synthetic(200, 5, d, 0));
      const expected = 1 / Math.sqrt(1 + 0.016 * d);
      assert.ok(Math.abs(g.preprocessed.noisySelf - expected) < 0.02, `D=${d}: ${g.preprocessed.noisySelf} vs ${expected}`);
      assert.ok(g.preprocessed.noisyPaired < g.preprocessed.noisySelf);
      assert.ok(Math.abs(g.preprocessed.noisyPaired - g.preprocessed.pairedTextText * expected) < 0.05);
    }
  });

  it('linear separability is about chance for one distribution', () => {
    const rng = new Rng(3);
    const a = rng.normals(2000 * 16), b = rng.normals(2000 * 16);
    const r = linearSeparability(a, b, 16);
    assert.ok(r.accuracy > 0.4 && r.accuracy < 0.6, `accuracy ${r.accuracy}`);
  });

  it('reads an embeddings folder and uses its train means', () => {
    const s = synthetic(40, 5, 8, 2);
    const dir = tmpDir();
    writeNpy(join(dir, 'val', 'text.npy'), { dtype: 'float32', shape: [200, 8], data: s.text });
    writeNpy(join(dir, 'val', 'image.npy'), { dtype: 'float32', shape: [40, 8], data: s.image });
    writeJsonAtomic(join(dir, 'val', 'index.json'), {
      split: 'val',
      images: Array.from({ length: 40 }, (_, i) => ({ image_id: 100 + i, file: `${i}.png`, text_rows: [0, 1, 2, 3, 4].map((k) => i * 5 + k) })),
      texts: s.textToImage.map((i) => ({ image_id: 100 + i, caption: 'c' })),
    });
    const tm = modalityMean(s.text, 200, 8), im = modalityMean(s.image, 40, 8);
    writeNpy(join(dir, 'text_mean.npy'), { dtype: 'float32', shape: [8], data: tm });
    writeNpy(join(dir, 'image_mean.npy'), { dtype: 'float32', shape: [8], data: im });
    const fromDir = gapStatisticsFromDir(dir, 'val');
    const direct = gapStatistics({ ...s, textMean: tm, imageMean: im });
    assert.equal(fromDir.means, 'given');
    assert.deepEqual(fromDir.preprocessed, direct.preprocessed);
    assert.deepEqual(fromDir.raw, direct.raw);
    assert.throws(() => gapStatisticsFromDir(dir, 'test'), DbridgeError);
  });

  it('rejects inconsistent input with DbridgeError', () => {
    const s = synthetic(10, 2, 4, 0);
    assert.throws(() => gapStatistics({ ...s, textToImage: s.textToImage.slice(1) }), DbridgeError);
    assert.throws(() => gapStatistics({ ...s, textToImage: s.textToImage.map(() => 99) }), DbridgeError);
    assert.throws(() => gapStatistics({ ...s, d: 3 }), DbridgeError);
  });
});
