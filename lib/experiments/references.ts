// The captions of the reference rows (Tables 2 and 5; tables.ts REFERENCE_KINDS), chosen for each
// test image without any decoder, so the same scorer says what a number means on this dataset:
//   random-caption   a uniformly random train caption per image (seeded)
//   frequent-caption the most frequent train caption (case, punctuation and spacing ignored) for all
//   nearest-caption  the train caption whose embedding has the highest cosine with the raw image
//                    embedding: retrieval by the contrastive encoder (the paper's CLIPRe baseline)
//   human            a sixth caption of the image held out of the references (the world's
//                    generator writes it with another seed: a "sixth annotator"), from the
//                    Karpathy file's per-image `heldout: [{raw, tokens}]` field
import { readFileSync } from 'node:fs';
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
import type { SplitEmbeddings } from './data.ts';
import type { ReferenceKind } from './tables.ts';

/** Index of the most similar key row (cosine) for each query row; queries [nQ, d], keys [nK, d]. */
export function nearestRows(queries: Float32Array, keys: Float32Array, d: number, chunk = 256): Int32Array {
  const nQ = queries.length / d, nK = keys.length / d;
  if (!Number.isInteger(nQ) || !Number.isInteger(nK) || nK < 1) throw new DbridgeError(`nearestRows: arrays are not whole rows of dimension ${d}`);
  const q = l2NormalizeRows(queries, nQ, d);
  const out = new Int32Array(nQ);
  const kT = tf.tidy(() => tf.transpose(tf.tensor2d(l2NormalizeRows(keys, nK, d), [nK, d])));
  try {
    for (let s = 0; s < nQ; s += chunk) {
      const rows = Math.min(chunk, nQ - s);
      const best = tf.tidy(() => tf.argMax(tf.matMul(tf.tensor2d(q.subarray(s * d, (s + rows) * d), [rows, d]), kT), 1));
      out.set(best.dataSync() as Int32Array, s);
      best.dispose();
    }
  } finally { kT.dispose(); }
  return out;
}

const captionKey = (c: string) => c.toLowerCase().replace(/[^a-z0-9 ]+/g, ' ').replace(/\s+/g, ' ').trim();

/** The most frequent caption (first spelling seen; ties go to the one seen first). */
export function mostFrequentCaption(captions: readonly string[]): string {
  if (captions.length === 0) throw new DbridgeError('mostFrequentCaption: no captions');
  const count = new Map<string, { n: number; first: number }>();
  captions.forEach((c, i) => { const k = captionKey(c); const e = count.get(k); if (e) e.n++; else count.set(k, { n: 1, first: i }); });
  let best = { n: 0, first: 0 };
  for (const e of count.values()) if (e.n > best.n || (e.n === best.n && e.first < best.first)) best = e;
  return captions[best.first];
}

/** Image id (cocoid, else imgid, as strings) -> its first held-out caption, from a Karpathy JSON file. */
export function readHeldoutCaptions(karpathyFile: string): Map<string, string> {
  let json: { images?: { cocoid?: number; imgid?: number | string; heldout?: { raw?: string }[] }[] };
  try { json = JSON.parse(readFileSync(karpathyFile, 'utf8')); } catch (e) { throw new DbridgeError(`${karpathyFile}: cannot read the Karpathy file (${(e as Error).message})`); }
  const out = new Map<string, string>();
  for (const im of json.images ?? []) {
    const raw = im.heldout?.[0]?.raw;
    if (typeof raw === 'string' && raw.trim()) out.set(String(im.cocoid ?? im.imgid), raw);
  }
  return out;
}

/** One chosen caption per test image (in the split's image order). */
export function referenceCaptions(kind: ReferenceKind, opts: { test: SplitEmbeddings; train: SplitEmbeddings; seed: number; heldout?: Map<string, string> }): string[] {
  const { test, train } = opts;
  const trainCaps = train.index.texts.map((t) => t.caption);
  switch (kind) {
    case 'random-caption': {
      const rng = new Rng(opts.seed).fork('ref:random-caption');
      return test.index.images.map(() => trainCaps[rng.int(trainCaps.length)]);
    }
    case 'frequent-caption': {
      const c = mostFrequentCaption(trainCaps);
      return test.index.images.map(() => c);
    }
    case 'nearest-caption': {
      if (train.d !== test.d) throw new DbridgeError(`nearest caption: train texts have dimension ${train.d}, test images ${test.d}`);
      const idx = nearestRows(test.image.subarray(0, test.nImage * test.d), train.text, test.d);
      return Array.from(idx, (i) => trainCaps[i]);
    }
    case 'human': {
      const held = opts.heldout;
      if (!held) throw new DbridgeError('the human reference row needs the held-out captions');
      return test.index.images.map((im) => {
        const c = held.get(String(im.image_id));
        if (c === undefined) throw new DbridgeError(`test image ${im.image_id} has no held-out caption`);
        return c;
      });
    }
    default: throw new DbridgeError(`unknown reference row '${String(kind)}'`);
  }
}
