// Figures of the modality gap (notebook 00): a 2-D UMAP (umap-js, seeded from the project's Rng)
// of paired image and text embeddings of one split, before preprocessing (L2-normalised raw
// encoder outputs, where the two modalities sit in separate cones: Liang et al., "Mind the Gap",
// NeurIPS 2022, Fig. 1) and after it (each modality minus its mean, re-normalised: docs/spec.md §1.1),
// as a Vega-Lite spec rendered by lib/plots/vega.ts; and a contact sheet of world images.
// Differs from lib/experiments/umap.ts (the paper's figure, with bridged images): here the two
// spaces are projected separately and shown side by side, with no diffusion model involved.
import { existsSync } from 'node:fs';
import { UMAP } from 'umap-js';
import { readEmbeddingMatrix, readNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { type EmbeddingIndex, folderPaths } from '../embeddings/layout.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
import { modalityMean } from '../embeddings/means.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import { readJson } from '../util/fs.ts';
import { DbridgeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { encodePng } from '../data/images.ts';
import type { RGBImage } from '../encoders/types.ts';
import type { VegaLiteSpec } from './vega.ts';

export interface GapUmapPoint {
  x: number;
  y: number;
  modality: 'image' | 'text';
  space: 'raw (L2-normalised)' | 'preprocessed (mean removed)';
  /** Row of the image the point belongs to (pairs share it). */
  pair: number;
}

export interface GapUmapOptions {
  /** Images to show (each with one of its captions). Default 300. */
  maxImages?: number;
  seed?: number;
  nNeighbors?: number;
}

/**
 * UMAP points of one split of an embeddings folder: `maxImages` images and the first caption of
 * each, projected once in the raw space and once after preprocessing (the folder's train means).
 */
export function gapUmapPoints(dir: string, split = 'val', opts: GapUmapOptions = {}): GapUmapPoint[] {
  const p = folderPaths(dir, split);
  const text = readEmbeddingMatrix(p.text), image = readEmbeddingMatrix(p.image, { dim: text.d });
  const index = readJson<EmbeddingIndex>(p.index, 'embedding index');
  const d = text.d;
  const n = Math.min(opts.maxImages ?? 300, image.n);
  if (n < 4) throw new DbridgeError(`gap UMAP needs at least 4 images in ${dir}/${split}, got ${image.n}`);
  const tRows = index.images.slice(0, n).map((im, i) => {
    if (!im.text_rows?.length) throw new DbridgeError(`${p.index}: image ${i} has no text rows`);
    return im.text_rows[0];
  });
  const mean = (f: string, data: Float32Array, rows: number) => (existsSync(f) ? toFloat32(readNpy(f)) : modalityMean(data, rows, d));
  const textMean = mean(p.textMean, text.data, text.n), imageMean = mean(p.imageMean, image.data, image.n);
  const spaces: [GapUmapPoint['space'], Float32Array, Float32Array][] = [
    ['raw (L2-normalised)', l2NormalizeRows(text.data, text.n, d), l2NormalizeRows(image.data, image.n, d)],
    ['preprocessed (mean removed)', preprocessRows(text.data, text.n, d, textMean, 1), preprocessRows(image.data, image.n, d, imageMean, 1)],
  ];
  const out: GapUmapPoint[] = [];
  for (const [space, t, v] of spaces) {
    const rows: number[][] = [], meta: { modality: GapUmapPoint['modality']; pair: number }[] = [];
    for (let i = 0; i < n; i++) {
      rows.push(Array.from(v.subarray(i * d, (i + 1) * d)));
      meta.push({ modality: 'image', pair: i });
      rows.push(Array.from(t.subarray(tRows[i] * d, (tRows[i] + 1) * d)));
      meta.push({ modality: 'text', pair: i });
    }
    const rng = new Rng(opts.seed ?? 0).fork(`gap-umap/${space}`);
    const umap = new UMAP({ nComponents: 2, nNeighbors: opts.nNeighbors ?? 15, minDist: 0.1, random: () => rng.uniform() });
    const xy = umap.fit(rows);
    xy.forEach(([x, y], i) => out.push({ x: +x.toFixed(4), y: +y.toFixed(4), space, ...meta[i] }));
  }
  return out;
}

/** Side-by-side UMAP panels (raw | preprocessed), images red and texts blue as in the paper's figure. */
export function gapUmapFigure(points: GapUmapPoint[], title = 'The modality gap (UMAP of paired image and text embeddings)'): VegaLiteSpec {
  return {
    title,
    data: { values: points },
    facet: { column: { field: 'space', type: 'nominal', title: null, sort: ['raw (L2-normalised)', 'preprocessed (mean removed)'] } },
    spec: {
      width: 300, height: 280,
      mark: { type: 'circle', size: 16, opacity: 0.6 },
      encoding: {
        x: { field: 'x', type: 'quantitative', axis: null, scale: { zero: false } },
        y: { field: 'y', type: 'quantitative', axis: null, scale: { zero: false } },
        color: { field: 'modality', type: 'nominal', scale: { domain: ['image', 'text'], range: ['#d62728', '#1f77b4'] }, title: null },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}

/** A grid of equally sized RGB images, each enlarged `zoom` times (nearest neighbour), as PNG bytes. */
export function contactSheet(images: RGBImage[], cols = 6, zoom = 4, gap = 2): Uint8Array {
  if (images.length === 0) throw new DbridgeError('contact sheet: no images');
  const { width: w, height: h } = images[0];
  if (images.some((im) => im.width !== w || im.height !== h)) throw new DbridgeError('contact sheet: images differ in size');
  const rows = Math.ceil(images.length / cols);
  const W = cols * (w * zoom + gap) - gap, H = rows * (h * zoom + gap) - gap;
  const data = new Uint8Array(W * H * 3).fill(255);
  images.forEach((im, k) => {
    const ox = (k % cols) * (w * zoom + gap), oy = Math.floor(k / cols) * (h * zoom + gap);
    for (let y = 0; y < h * zoom; y++) for (let x = 0; x < w * zoom; x++) {
      const s = (Math.floor(y / zoom) * w + Math.floor(x / zoom)) * 3, o = ((oy + y) * W + ox + x) * 3;
      data[o] = im.data[s]; data[o + 1] = im.data[s + 1]; data[o + 2] = im.data[s + 2];
    }
  });
  return encodePng({ width: W, height: H, data });
}
