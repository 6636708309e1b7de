import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeTable1 } from '../../lib/experiments/table1.ts';
import type { SplitEmbeddings } from '../../lib/experiments/data.ts';

test('Table 1 cosines on a hand-made split: paired rows 1, unpaired rows 0', async () => {
  const d = 4;
  const e0 = [1, 0, 0, 0], e1 = [0, 1, 0, 0];
  const split: SplitEmbeddings = {
    d, nText: 4, nImage: 2,
    text: Float32Array.from([...e0, ...e0, ...e1, ...e1]),
    image: Float32Array.from([...e0, ...e1]),
    index: {
      split: 'val',
      images: [{ image_id: 0, file: 'a.png', text_rows: [0, 1] }, { image_id: 1, file: 'b.png', text_rows: [2, 3] }],
      texts: [{ image_id: 0, caption: 'x' }, { image_id: 0, caption: 'y' }, { image_id: 1, caption: 'z' }, { image_id: 1, caption: 'w' }],
    },
  };
  const zero = new Float32Array(d);
  const r = await computeTable1({ split, textMean: zero, imageMean: zero, bridged: split.image, decoder: null, maxImages: 2, noiseVariance: 0.016, seed: 0 });
  for (const k of ['a', 'c', 'd'] as const) assert.ok(Math.abs(r.rows[k].embedding - 1) < 1e-6, `${k} = ${r.rows[k].embedding}`);
  for (const k of ['e', 'f'] as const) assert.ok(Math.abs(r.rows[k].embedding) < 1e-6, `${k} = ${r.rows[k].embedding}`);
  // a unit vector plus N(0, 0.016 I) in 4 dimensions keeps a cosine near 1/sqrt(1 + 0.064)
  assert.ok(r.rows.b.embedding > 0.8 && r.rows.b.embedding < 1, `b = ${r.rows.b.embedding}`);
  assert.equal(r.rows.a.projector, null);
  assert.equal(r.details.pairs, 4);
  // bridged = raw image: d - a is exactly 0 on both images
  assert.equal(r.details.dMinusA.images, 2);
  assert.ok(Math.abs(r.details.dMinusA.diff) < 1e-9 && Math.abs(r.details.dMinusA.lo) < 1e-9);
  // bridged image 0 moved onto an unrelated direction: its d - a is -1, image 1's is 0 -> mean -0.5
  const moved = Float32Array.from([0, 0, 1, 0, ...e1]);
  const r2 = await computeTable1({ split, textMean: zero, imageMean: zero, bridged: moved, decoder: null, maxImages: 2, noiseVariance: 0.016, seed: 0 });
  assert.ok(Math.abs(r2.details.dMinusA.diff + 0.5) < 1e-6, `d - a = ${r2.details.dMinusA.diff}`);
});
