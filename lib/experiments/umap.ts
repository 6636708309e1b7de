// The paper's UMAP figure on our data: preprocessed text (ê_text), image (ê_img) and bridged
// image (ẽ_img) embeddings of the val split in one 2-D UMAP (umap-js, seeded).
import { UMAP } from 'umap-js';
import { Rng } from '../util/rng.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import type { UmapPoint } from '../plots/figures.ts';
import type { SplitEmbeddings } from './data.ts';

export function umapPoints(opts: { split: SplitEmbeddings; textMean: Float32Array; imageMean: Float32Array; bridged: Float32Array; maxImages: number; seed: number }): UmapPoint[] {
  const { split: s } = opts;
  const d = s.d;
  const rng = new Rng(opts.seed).fork('umap');
  const images = Math.min(opts.maxImages, s.nImage);
  const t = preprocessRows(s.text, s.nText, d, opts.textMean, 1);
  const v = preprocessRows(s.image, s.nImage, d, opts.imageMean, 1);
  const b = l2NormalizeRows(opts.bridged, s.nImage, d);
  const rows: number[][] = [];
  const kinds: UmapPoint['kind'][] = [];
  const push = (a: Float32Array, r: number, k: UmapPoint['kind']) => { rows.push(Array.from(a.subarray(r * d, (r + 1) * d))); kinds.push(k); };
  for (let i = 0; i < images; i++) {
    push(v, i, 'image');
    push(b, i, 'bridged image');
    push(t, s.index.images[i].text_rows[0], 'text');
  }
  const umap = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: () => rng.uniform() });
  const xy = umap.fit(rows);
  return xy.map(([x, y], i) => ({ x: +x.toFixed(4), y: +y.toFixed(4), kind: kinds[i] }));
}
