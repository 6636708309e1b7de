// Modality-gap statistics of paired embeddings (issue 4; they feed Table 1 of the paper, docs/spec.md
// section 6): mean cosine of paired image-text, paired text-text (two captions of one image),
// unpaired text-text and image-text, and text vs the same text plus Gaussian noise of variance
// 0.016 (CapDec / C3's corruption); each before preprocessing (raw embeddings; cosine ignores the
// L2 normalisation) and after it (C * normalize(normalize(e) - modality mean), docs/spec.md §1.1, via
// lib/embeddings/preprocess.ts); the distance between the modality centroids of L2-normalised
// embeddings (Liang et al., "Mind the Gap", NeurIPS 2022, section 4); and how well a linear
// classifier (logistic regression) tells the modalities apart on held-out rows; and the relative
// modality gap (RMG) of Schrodi et al., "Two effects, one trigger", ICLR 2025, section 3: the mean
// paired dissimilarity divided by itself plus the mean within-modality dissimilarity, so that a
// gap is measured against how spread out each modality is (0 = paired rows coincide; 0.5 = a pair
// is as far apart as two random rows of one modality).
// Noise rows: the noise is added to the unit-norm (preprocessed / radius) text embedding, as C3
// adds it to the normalised mean-removed embedding, so cos = 1/sqrt(1 + 0.016 D) in expectation
// for a vector with itself (docs/spec.md §6's sanity check); `noisyPaired` adds it to a *second*
// caption of the same image, the reading of Table 1 (b) that docs/spec.md §6 calls likely.
// Pure host arithmetic on Float32Arrays (no tensors), deterministic given the seed.
import { existsSync } from 'node:fs';
import { readEmbeddingMatrix, readNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { DbridgeError } from '../util/errors.ts';
import { readJson } from '../util/fs.ts';
import { Rng } from '../util/rng.ts';
import { type EmbeddingIndex, folderPaths } from './layout.ts';
import { modalityMean } from './means.ts';
import { l2NormalizeRows } from './normalize.ts';
import { preprocessRows } from './preprocess.ts';
import { DEFAULT_NOISE_VARIANCE } from '../decoder/treatments.ts';
import { gapPanel, type GapPanel } from './panel.ts';

export interface GapInput {
  /** Text rows [nText, d] (raw encoder output). */
  text: Float32Array;
  /** Image (or audio) rows [nImage, d]. */
  image: Float32Array;
  d: number;
  /** For each text row, the image row it describes. */
  textToImage: number[];
  /** Modality means for preprocessing (train-split means, docs/spec.md §1.1); default: means of these rows. */
  textMean?: Float32Array;
  imageMean?: Float32Array;
}

export interface GapOptions {
  /** Variance of the Gaussian noise of the noisy-text rows. Default 0.016 (CapDec, C3). */
  noiseVariance?: number;
  /** Seed of the pair sampling, the noise and the classifier split. Default 0. */
  seed?: number;
  /** At most this many pairs per statistic (sampled). Default 20000. */
  maxPairs?: number;
  /** Radius C of preprocessing (cosines do not depend on it). Default 5. */
  radius?: number;
}

export interface CosineRows {
  /** (a) text with its own image. */
  pairedImageText: number;
  /** (c) two different captions of one image. */
  pairedTextText: number;
  /** (e) texts of different images. */
  unpairedTextText: number;
  /** a text with another image. */
  unpairedImageText: number;
  /** (b) a text with itself plus noise. */
  noisySelf: number;
  /** (b) as docs/spec.md §6 reads it: a text with another caption of its image plus noise. */
  noisyPaired: number;
}

export interface GapStatistics {
  dim: number;
  images: number;
  texts: number;
  noiseVariance: number;
  /** Where the preprocessing means came from. */
  means: 'given' | 'computed';
  /** Mean cosines of raw embeddings. */
  raw: CosineRows;
  /** Mean cosines after preprocessing (text mean for text, image mean for images). */
  preprocessed: CosineRows;
  /** Distance between the centroids of the L2-normalised text and image rows, and their norms. */
  centroid: {
    raw: { distance: number; textNorm: number; imageNorm: number };
    preprocessed: { distance: number; textNorm: number; imageNorm: number };
  };
  /** Held-out accuracy of a logistic-regression modality classifier (0.5 = inseparable). */
  separability: { raw: number; preprocessed: number; trainRows: number; testRows: number };
  /** Number of pairs behind each mean. */
  pairs: Record<keyof CosineRows, number>;
}

function dot(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const oa = i * d, ob = j * d;
  for (let k = 0; k < d; k++) s += a[oa + k] * b[ob + k];
  return s;
}

function meanOf(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

interface Pairs {
  pairedIT: [number, number][];
  pairedTT: [number, number][];
  unpairedTT: [number, number][];
  unpairedIT: [number, number][];
}

function samplePairs(textToImage: number[], nImage: number, rng: Rng, maxPairs: number): Pairs {
  const nText = textToImage.length;
  const byImage: number[][] = Array.from({ length: nImage }, () => []);
  textToImage.forEach((im, t) => byImage[im].push(t));
  const cap = <T>(xs: T[]): T[] => (xs.length <= maxPairs ? xs : rng.shuffle(xs).slice(0, maxPairs));
  const pairedIT = cap(textToImage.map((im, t) => [t, im] as [number, number]));
  const pairedTT: [number, number][] = [];
  for (const ts of byImage) for (let a = 0; a < ts.length; a++) for (let b = a + 1; b < ts.length; b++) pairedTT.push([ts[a], ts[b]]);
  const unpairedTT: [number, number][] = [], unpairedIT: [number, number][] = [];
  const want = Math.min(maxPairs, nText * 5);
  for (let k = 0, guard = 0; unpairedTT.length < want && guard < want * 20 && nImage > 1; k++, guard++) {
    const a = rng.int(nText), b = rng.int(nText);
    if (textToImage[a] !== textToImage[b]) unpairedTT.push([a, b]);
  }
  for (let k = 0, guard = 0; unpairedIT.length < want && guard < want * 20 && nImage > 1; k++, guard++) {
    const t = rng.int(nText), im = rng.int(nImage);
    if (textToImage[t] !== im) unpairedIT.push([t, im]);
  }
  return { pairedIT, pairedTT: cap(pairedTT), unpairedTT, unpairedIT };
}

/** Unit rows (cosines are dot products of these). */
function cosineRows(t: Float32Array, v: Float32Array, d: number, p: Pairs, noise: { rows: number[]; partner: number[]; eps: Float32Array }): CosineRows {
  const noisy = (row: number, k: number): Float32Array => {
    const out = new Float32Array(d);
    let s = 0;
    for (let j = 0; j < d; j++) { out[j] = t[row * d + j] + noise.eps[k * d + j]; s += out[j] * out[j]; }
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < d; j++) out[j] *= inv;
    return out;
  };
  const self: number[] = [], paired: number[] = [];
  noise.rows.forEach((r, k) => {
    const z = noisy(r, k);
    self.push(dot(t, r, z, 0, d));
    if (noise.partner[k] >= 0) paired.push(dot(t, noise.partner[k], z, 0, d));
  });
  return {
    pairedImageText: meanOf(p.pairedIT.map(([a, b]) => dot(t, a, v, b, d))),
    pairedTextText: meanOf(p.pairedTT.map(([a, b]) => dot(t, a, t, b, d))),
    unpairedTextText: meanOf(p.unpairedTT.map(([a, b]) => dot(t, a, t, b, d))),
    unpairedImageText: meanOf(p.unpairedIT.map(([a, b]) => dot(t, a, v, b, d))),
    noisySelf: meanOf(self),
    noisyPaired: meanOf(paired),
  };
}

function centroid(t: Float32Array, v: Float32Array, d: number): { distance: number; textNorm: number; imageNorm: number } {
  const mt = modalityMean(t, t.length / d, d), mv = modalityMean(v, v.length / d, d);
  let dist = 0, nt = 0, nv = 0;
  for (let j = 0; j < d; j++) { dist += (mt[j] - mv[j]) ** 2; nt += mt[j] ** 2; nv += mv[j] ** 2; }
  return { distance: Math.sqrt(dist), textNorm: Math.sqrt(nt), imageNorm: Math.sqrt(nv) };
}

/**
 * Held-out accuracy of logistic regression separating unit text rows from unit image rows:
 * equal numbers of each, half for training (full-batch gradient descent with a little L2), half
 * for testing.
 */
export function linearSeparability(t: Float32Array, v: Float32Array, d: number, seed = 0): { accuracy: number; trainRows: number; testRows: number } {
  const rng = new Rng(seed).fork('separability');
  const nT = t.length / d, nV = v.length / d;
  const n = Math.min(nT, nV, 4000);
  if (n < 4) throw new DbridgeError(`gap: the linear-separability test needs at least 4 rows of each modality, got ${Math.min(nT, nV)}`);
  const ti = rng.permutation(nT).slice(0, n), vi = rng.permutation(nV).slice(0, n);
  const rows: { src: Float32Array; i: number; y: number }[] = [
    ...ti.map((i) => ({ src: t, i, y: 1 })), ...vi.map((i) => ({ src: v, i, y: 0 })),
  ];
  rng.shuffle(rows);
  const half = Math.floor(rows.length / 2);
  const train = rows.slice(0, half), test = rows.slice(half);
  const w = new Float64Array(d);
  let b = 0;
  const lr = 2, l2 = 1e-4, g = new Float64Array(d);
  for (let it = 0; it < 300; it++) {
    g.fill(0);
    let gb = 0;
    for (const r of train) {
      let z = b;
      const o = r.i * d;
      for (let j = 0; j < d; j++) z += w[j] * r.src[o + j];
      const e = 1 / (1 + Math.exp(-z)) - r.y;
      for (let j = 0; j < d; j++) g[j] += e * r.src[o + j];
      gb += e;
    }
    for (let j = 0; j < d; j++) w[j] -= lr * (g[j] / train.length + l2 * w[j]);
    b -= lr * gb / train.length;
  }
  let correct = 0;
  for (const r of test) {
    let z = b;
    for (let j = 0; j < d; j++) z += w[j] * r.src[r.i * d + j];
    if ((z > 0 ? 1 : 0) === r.y) correct++;
  }
  return { accuracy: correct / test.length, trainRows: train.length, testRows: test.length };
}

/**
 * Relative modality gap (Schrodi et al. 2025, their compute_rmg): with dissimilarity
 * (1 - cos) / 2 in [0, 1], m = mean over captions of the dissimilarity to their own image (at least
 * 1e-3), dI / dT = mean dissimilarity over all pairs of distinct images / captions;
 * RMG = m / (m + (dI + dT) / 2). Rows need not be normalised (cosines are used).
 */
export function relativeModalityGap(text: Float32Array, image: Float32Array, textToImage: readonly number[], d: number): number {
  const nT = text.length / d, nV = image.length / d;
  if (textToImage.length !== nT) throw new DbridgeError(`RMG: ${nT} text rows but ${textToImage.length} text-to-image links`);
  if (nT < 2 || nV < 2) throw new DbridgeError(`RMG: needs at least 2 texts and 2 images, got ${nT} and ${nV}`);
  const t = l2NormalizeRows(text, nT, d), v = l2NormalizeRows(image, nV, d);
  let paired = 0;
  textToImage.forEach((im, r) => { paired += dot(t, r, v, im, d); });
  const m = Math.max(1 - (paired / nT + 1) / 2, 1e-3);
  // mean cosine over ordered pairs i != j of unit rows: (|sum x|^2 - n) / (n (n - 1))
  const offDiagonal = (u: Float32Array, n: number) => {
    const s = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) s[j] += u[i * d + j];
    let sq = 0;
    for (let j = 0; j < d; j++) sq += s[j] * s[j];
    return (sq - n) / (n * (n - 1));
  };
  const dI = 1 - (offDiagonal(v, nV) + 1) / 2, dT = 1 - (offDiagonal(t, nT) + 1) / 2;
  return m / (m + (dI + dT) / 2);
}

/** Distance between the centroids of the L2-normalised rows of two sets. */
export function centroidDistance(a: Float32Array, b: Float32Array, d: number): number {
  return centroid(l2NormalizeRows(a, a.length / d, d), l2NormalizeRows(b, b.length / d, d), d).distance;
}

/** The gap statistics of one split's embeddings. */
export function gapStatistics(input: GapInput, opts: GapOptions = {}): GapStatistics {
  const { d, textToImage } = input;
  if (!Number.isInteger(d) || d < 1) throw new DbridgeError(`gap: embedding dimension must be a positive integer, got ${d}`);
  if (input.text.length % d !== 0 || input.image.length % d !== 0) throw new DbridgeError(`gap: text/image arrays are not multiples of dimension ${d}`);
  const nT = input.text.length / d, nV = input.image.length / d;
  if (textToImage.length !== nT) throw new DbridgeError(`gap: ${nT} text rows but ${textToImage.length} text-to-image links`);
  if (nT < 2 || nV < 2) throw new DbridgeError(`gap: needs at least 2 texts and 2 images, got ${nT} and ${nV}`);
  textToImage.forEach((im, t) => { if (!Number.isInteger(im) || im < 0 || im >= nV) throw new DbridgeError(`gap: text row ${t} points at image ${im}, outside 0..${nV - 1}`); });
  const noiseVariance = opts.noiseVariance ?? DEFAULT_NOISE_VARIANCE;
  const seed = opts.seed ?? 0;
  const maxPairs = opts.maxPairs ?? 20000;
  const rng = new Rng(seed);

  const tU = l2NormalizeRows(input.text, nT, d), vU = l2NormalizeRows(input.image, nV, d);
  const given = input.textMean !== undefined && input.imageMean !== undefined;
  const textMean = input.textMean ?? modalityMean(input.text, nT, d);
  const imageMean = input.imageMean ?? modalityMean(input.image, nV, d);
  const tP = preprocessRows(input.text, nT, d, textMean, 1), vP = preprocessRows(input.image, nV, d, imageMean, 1);

  const pairs = samplePairs(textToImage, nV, rng.fork('pairs'), maxPairs);
  // noise rows: a sample of texts, each with (when it exists) another caption of its image
  const byImage: number[][] = Array.from({ length: nV }, () => []);
  textToImage.forEach((im, t) => byImage[im].push(t));
  const nrng = rng.fork('noise');
  const rows = nT <= maxPairs ? Array.from({ length: nT }, (_, i) => i) : nrng.shuffle(Array.from({ length: nT }, (_, i) => i)).slice(0, maxPairs);
  const partner = rows.map((r) => {
    const others = byImage[textToImage[r]].filter((x) => x !== r);
    return others.length ? others[nrng.int(others.length)] : -1;
  });
  const eps = nrng.normals(rows.length * d);
  const std = Math.sqrt(noiseVariance);
  for (let i = 0; i < eps.length; i++) eps[i] *= std;
  const noise = { rows, partner, eps };

  const raw = cosineRows(tU, vU, d, pairs, noise);
  const preprocessed = cosineRows(tP, vP, d, pairs, noise);
  const sepRaw = linearSeparability(tU, vU, d, seed);
  const sepPre = linearSeparability(tP, vP, d, seed);
  return {
    dim: d, images: nV, texts: nT, noiseVariance, means: given ? 'given' : 'computed',
    raw, preprocessed,
    centroid: { raw: centroid(tU, vU, d), preprocessed: centroid(tP, vP, d) },
    separability: { raw: sepRaw.accuracy, preprocessed: sepPre.accuracy, trainRows: sepRaw.trainRows, testRows: sepRaw.testRows },
    pairs: {
      pairedImageText: pairs.pairedIT.length, pairedTextText: pairs.pairedTT.length, unpairedTextText: pairs.unpairedTT.length,
      unpairedImageText: pairs.unpairedIT.length, noisySelf: rows.length, noisyPaired: partner.filter((p) => p >= 0).length,
    },
  };
}

/**
 * Reads one split of an embeddings folder (lib/embeddings/layout.ts) and computes its gap
 * statistics, preprocessing with the folder's train-split means when present, and the gap panel
 * (lib/embeddings/panel.ts: spectrum, centroid distance, RMG, RBF-MMD, separability, recall) with a
 * row per bridged file given (bridged image embeddings of this split, one per start step M).
 */
export function gapStatisticsFromDir(dir: string, split = 'val', opts: GapOptions & { bridged?: { M: number; file: string }[] } = {}): GapStatistics & { split: string; dir: string; panel: GapPanel } {
  const paths = folderPaths(dir, split);
  if (!existsSync(paths.text)) throw new DbridgeError(`${dir} has no split '${split}' (${paths.text} is missing)`);
  const text = readEmbeddingMatrix(paths.text);
  const image = readEmbeddingMatrix(paths.image, { dim: text.d });
  const index = readJson<EmbeddingIndex>(paths.index, 'embedding index');
  if (!Array.isArray(index.texts) || !Array.isArray(index.images)) throw new DbridgeError(`${paths.index} lacks "texts" or "images"`);
  if (index.texts.length !== text.n) throw new DbridgeError(`${paths.index} lists ${index.texts.length} texts, ${paths.text} has ${text.n} rows`);
  if (index.images.length !== image.n) throw new DbridgeError(`${paths.index} lists ${index.images.length} images, ${paths.image} has ${image.n} rows`);
  const rowOf = new Map(index.images.map((im, i) => [String(im.image_id), i]));
  const textToImage = index.texts.map((t, i) => {
    const r = rowOf.get(String(t.image_id));
    if (r === undefined) throw new DbridgeError(`${paths.index}: text ${i} names image ${t.image_id}, which is not in the split`);
    return r;
  });
  const mean = (p: string) => (existsSync(p) ? toFloat32(readNpy(p)) : undefined);
  const textMean = mean(paths.textMean), imageMean = mean(paths.imageMean);
  if (textMean && textMean.length !== text.d) throw new DbridgeError(`${paths.textMean} has ${textMean.length} values, embeddings have dimension ${text.d}`);
  if (imageMean && imageMean.length !== text.d) throw new DbridgeError(`${paths.imageMean} has ${imageMean.length} values, embeddings have dimension ${text.d}`);
  const stats = gapStatistics({ text: text.data, image: image.data, d: text.d, textToImage, textMean, imageMean }, opts);
  const bridged = (opts.bridged ?? []).map((b) => {
    if (!Number.isInteger(b.M) || b.M < 1) throw new DbridgeError(`bridged embeddings: M must be a positive integer, got ${b.M} for ${b.file}`);
    const m = readEmbeddingMatrix(b.file, { dim: text.d });
    if (m.n !== image.n) throw new DbridgeError(`${b.file} has ${m.n} rows, split '${split}' has ${image.n} images`);
    return { M: b.M, rows: m.data };
  });
  const panel = gapPanel({
    text: text.data, image: image.data, d: text.d, textToImage,
    textMean: textMean ?? modalityMean(text.data, text.n, text.d), imageMean: imageMean ?? modalityMean(image.data, image.n, text.d), bridged,
  }, { seed: opts.seed });
  return { split, dir, ...stats, panel };
}
