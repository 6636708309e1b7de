// Table 1 (docs/spec.md §6): mean cosine similarities that show the modality gap and what bridging
// does to it, in the preprocessed embedding space (ê = normalize(normalize(e) - modality mean);
// cosine is unchanged by the radius C) and after the decoder's prefix projector (the flattened
// prefix of the plain decoder, the one that reads ê). Computed on the val split of the main domain.
// Row (b) pairs a caption with a *different* caption of the same image plus Gaussian noise of
// variance 0.016. The paper does not say which; docs/spec.md §6's arithmetic: a unit vector plus that noise
// keeps cosine 1/sqrt(1 + 0.016 D) with itself (0.33 at D = 512), and the paper's 0.235 is close to
// (c) 0.652 x 0.33, which fits two captions. The same-caption variant is recorded too, under
// details.b_same_caption. Unpaired pairs (e, f) match each image with another,
// randomly chosen image.
import { tf } from '../tf.ts';
import { Rng } from '../util/rng.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import type { CaptionDecoder } from '../decoder/index.ts';
import type { SplitEmbeddings } from './data.ts';
import { pairedBootstrap, type PairedDiff } from './bootstrap.ts';

export interface CosineRow { embedding: number; projector: number | null }

export interface Table1Result {
  rows: Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f', CosineRow>;
  details: {
    b_same_caption: CosineRow; images: number; pairs: number; noiseVariance: number;
    /** d - a in the embedding space (cosine units), paired bootstrap over images (each image's mean over its caption pairs). */
    dMinusA: PairedDiff;
  };
  /** Per-pair embedding-space cosines of rows a, c, d, e (at most 2000 each), for the distribution figure. */
  samples: Record<'a' | 'c' | 'd' | 'e', number[]>;
}

function cos(a: Float32Array, ia: number, b: Float32Array, ib: number, d: number): number {
  let dot = 0, na = 0, nb = 0;
  for (let j = 0; j < d; j++) {
    const x = a[ia * d + j], y = b[ib * d + j];
    dot += x * y; na += x * x; nb += y * y;
  }
  return dot / Math.sqrt(Math.max(na * nb, 1e-30));
}

/** Flattened decoder prefixes of unit-norm inputs [n, d] -> [n, P*W]. */
async function project(decoder: CaptionDecoder, x: Float32Array, n: number, d: number): Promise<{ data: Float32Array; width: number }> {
  const chunks: Float32Array[] = [];
  let width = 0;
  for (let s = 0; s < n; s += 256) {
    const rows = Math.min(256, n - s);
    const p = tf.tidy(() => {
      const pre = decoder.prefix(tf.tensor2d(x.subarray(s * d, (s + rows) * d), [rows, d]));
      return pre.reshape([rows, -1]);
    });
    width = p.shape[1]!;
    chunks.push((await p.data()) as Float32Array);
    p.dispose();
  }
  const out = new Float32Array(n * width);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return { data: out, width };
}

export async function computeTable1(opts: {
  split: SplitEmbeddings; textMean: Float32Array; imageMean: Float32Array;
  bridged: Float32Array; decoder: CaptionDecoder | null; maxImages: number; noiseVariance: number; seed: number;
}): Promise<Table1Result> {
  const { split: s, textMean, imageMean, bridged, decoder } = opts;
  const d = s.d;
  const rng = new Rng(opts.seed).fork('table1');
  const images = Math.min(opts.maxImages, s.nImage);
  const eText = preprocessRows(s.text, s.nText, d, textMean, 1); // ê on the unit sphere (cosines do not depend on C)
  const eImg = preprocessRows(s.image, s.nImage, d, imageMean, 1);
  const eBr = l2NormalizeRows(bridged, s.nImage, d);
  // pairs: (caption row, other caption row of the same image, image, other image)
  const pairs: { r: number; r2: number; i: number; j: number }[] = [];
  for (let i = 0; i < images; i++) {
    const rows = s.index.images[i].text_rows;
    if (rows.length < 2 || images < 2) continue;
    const j = (i + 1 + rng.int(images - 1)) % images;
    rows.forEach((r, k) => pairs.push({ r, r2: rows[(k + 1) % rows.length], i, j }));
  }
  const P = pairs.length;
  const std = Math.sqrt(opts.noiseVariance);
  const noisyOther = new Float32Array(P * d), noisySame = new Float32Array(P * d);
  for (let p = 0; p < P; p++) for (let j = 0; j < d; j++) {
    noisyOther[p * d + j] = eText[pairs[p].r2 * d + j] + std * rng.normal();
    noisySame[p * d + j] = eText[pairs[p].r * d + j] + std * rng.normal();
  }
  const nOther = l2NormalizeRows(noisyOther, P, d), nSame = l2NormalizeRows(noisySame, P, d);

  // per-pair cosines of every row in one space, computed once (means, samples and the per-image d - a read them)
  type Row = 'a' | 'b' | 'bSame' | 'c' | 'd' | 'e' | 'f';
  const spaceCos = (A: { t: Float32Array; img: Float32Array; br: Float32Array; nO: Float32Array; nS: Float32Array; w: number }): Record<Row, Float64Array> => {
    const perPair = (f: (p: number) => number) => Float64Array.from({ length: P }, (_, p) => f(p));
    return {
      a: perPair((p) => cos(A.t, pairs[p].r, A.img, pairs[p].i, A.w)),
      b: perPair((p) => cos(A.t, pairs[p].r, A.nO, p, A.w)),
      bSame: perPair((p) => cos(A.t, pairs[p].r, A.nS, p, A.w)),
      c: perPair((p) => cos(A.t, pairs[p].r, A.t, pairs[p].r2, A.w)),
      d: perPair((p) => cos(A.t, pairs[p].r, A.br, pairs[p].i, A.w)),
      e: perPair((p) => cos(A.t, pairs[p].r, A.t, s.index.images[pairs[p].j].text_rows[0], A.w)),
      f: perPair((p) => cos(A.t, pairs[p].r, A.br, pairs[p].j, A.w)),
    };
  };
  const mean = (x: Float64Array) => { let t = 0; for (const v of x) t += v; return x.length ? t / x.length : NaN; };
  const means = (c: Record<Row, Float64Array>) => Object.fromEntries(Object.entries(c).map(([k, x]) => [k, mean(x)])) as Record<Row, number>;
  const embPairs = spaceCos({ t: eText, img: eImg, br: eBr, nO: nOther, nS: nSame, w: d });
  const emb = means(embPairs);
  let prj: Record<Row, number> | null = null;
  if (decoder) {
    const pt = await project(decoder, eText, s.nText, d);
    const pi = await project(decoder, eImg, s.nImage, d);
    const pb = await project(decoder, eBr, s.nImage, d);
    const po = await project(decoder, nOther, P, d);
    const ps = await project(decoder, nSame, P, d);
    prj = means(spaceCos({ t: pt.data, img: pi.data, br: pb.data, nO: po.data, nS: ps.data, w: pt.width }));
  }
  const take = Math.min(P, 2000);
  const sample = (x: Float64Array) => Array.from(x.subarray(0, take), (v) => +v.toFixed(4));
  const samples = { a: sample(embPairs.a), c: sample(embPairs.c), d: sample(embPairs.d), e: sample(embPairs.e) };
  // d - a per image (the mean over its caption pairs), so that the claim d > a has an interval
  const perImage = (x: Float64Array) => {
    const sum = new Map<number, number>(), count = new Map<number, number>();
    for (let p = 0; p < P; p++) { const i = pairs[p].i; sum.set(i, (sum.get(i) ?? 0) + x[p]); count.set(i, (count.get(i) ?? 0) + 1); }
    return new Map([...sum].map(([i, v]) => [i, v / count.get(i)!]));
  };
  const dMinusA = pairedBootstrap(perImage(embPairs.a), perImage(embPairs.d), opts.seed);
  const row = (k: 'a' | 'b' | 'c' | 'd' | 'e' | 'f'): CosineRow => ({ embedding: emb[k], projector: prj ? prj[k] : null });
  return {
    rows: { a: row('a'), b: row('b'), c: row('c'), d: row('d'), e: row('e'), f: row('f') },
    details: { b_same_caption: { embedding: emb.bSame, projector: prj ? prj.bSame : null }, images, pairs: P, noiseVariance: opts.noiseVariance, dMinusA },
    samples,
  };
}
