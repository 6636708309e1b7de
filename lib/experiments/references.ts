// The captions of the reference rows (Tables 2 and 5; tables.ts REFERENCE_KINDS), chosen for each
// test image without any decoder, so the same scorer says what a number means on this dataset:
//   random-caption   a uniformly random train caption per image (seeded)
//   frequent-caption the most frequent train caption for every image
//   human            a sixth caption of the image held out of the references (the world's
//                    generator writes it with another seed: a "sixth annotator"; the Karpathy
//                    file's per-image `heldout` field)
// (these three from lib/world/reference.ts's referenceCandidates, which reads any Karpathy file), and
//   nearest-caption  the train caption whose embedding has the highest cosine with the raw image
//                    embedding: retrieval by the contrastive encoder (the paper's CLIPRe baseline).
import { tf } from '../tf.ts';
import type { ReferenceCandidates } from '../world/reference.ts';
import { DbridgeError } from '../util/errors.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
import type { SplitEmbeddings } from './data.ts';
import type { ReferenceKind } from './tables.ts';

/** Index of the most similar key row (cosine) for each query row; queries [nQ, d], keys [nK, d]. Reads each chunk with `await` (webgpu-safe). */
export async function nearestRows(queries: Float32Array, keys: Float32Array, d: number, chunk = 256): Promise<Int32Array> {
  const nQ = queries.length / d, nK = keys.length / d;
  if (!Number.isInteger(nQ) || !Number.isInteger(nK) || nK < 1) throw new DbridgeError(`nearestRows: arrays are not whole rows of dimension ${d}`);
  const q = l2NormalizeRows(queries, nQ, d);
  const out = new Int32Array(nQ);
  const kT = tf.tidy(() => tf.transpose(tf.tensor2d(l2NormalizeRows(keys, nK, d), [nK, d])));
  try {
    for (let s = 0; s < nQ; s += chunk) {
      const rows = Math.min(chunk, nQ - s);
      const best = tf.tidy(() => tf.argMax(tf.matMul(tf.tensor2d(q.subarray(s * d, (s + rows) * d), [rows, d]), kT), 1));
      out.set(await best.data() as Int32Array, s);
      best.dispose();
    }
  } finally { kT.dispose(); }
  return out;
}

/**
 * One chosen caption per test image (in the split's image order). `candidates` (referenceCandidates
 * of the same Karpathy file and seed) serves random, frequent and human; nearest uses the embeddings.
 */
export async function referenceCaptions(kind: ReferenceKind, opts: { test: SplitEmbeddings; train: SplitEmbeddings; candidates?: ReferenceCandidates }): Promise<string[]> {
  const { test, train } = opts;
  const ids = test.index.images.map((im) => String(im.image_id));
  const pick = (m: Map<string | number, string> | null | undefined, what: string) => {
    const byId = new Map([...(m ?? new Map())].map(([k, v]) => [String(k), v]));
    return ids.map((id) => {
      const c = byId.get(id);
      if (c === undefined) throw new DbridgeError(`reference row ${what}: test image ${id} has no caption`);
      return c;
    });
  };
  if (kind === 'nearest-caption') {
    if (train.d !== test.d) throw new DbridgeError(`nearest caption: train texts have dimension ${train.d}, test images ${test.d}`);
    const idx = await nearestRows(test.image.subarray(0, test.nImage * test.d), train.text, test.d);
    return Array.from(idx, (i) => train.index.texts[i].caption);
  }
  const c = opts.candidates;
  if (!c) throw new DbridgeError(`reference row ${kind} needs the Karpathy file's reference candidates`);
  if (kind === 'random-caption') return pick(c.random, kind);
  if (kind === 'frequent-caption') return pick(c.frequent.candidates, kind);
  if (kind === 'human') return pick(c.heldout, kind);
  throw new DbridgeError(`unknown reference row '${String(kind)}'`);
}
