// Cross-modal retrieval by cosine similarity between image (or bridged image) rows and caption
// rows: image-to-text Recall@K (an image counts as found when one of its own captions is among the
// K most similar captions) and text-to-image Recall@K (the caption's image among the K most
// similar images), as CLIP's and the modality-gap papers' COCO retrieval protocol. Ties count
// against the query (a competitor scoring exactly as high does not push the answer down).
import { DbridgeError } from '../util/errors.ts';
import { l2NormalizeRows } from './normalize.ts';

export interface Recall { r1: number; r5: number; r10: number }

export interface RetrievalResult {
  images: number;
  captions: number;
  i2t: Recall;
  t2i: Recall;
  /** Expected R@1 of a random ranking, both ways (1 / images: an image's share of the captions, a caption's one image). */
  chance: { i2t_r1: number; t2i_r1: number };
}

/** Recall@1/5/10 both ways between image rows [nI, d] and caption rows [nT, d]; textToImage[t] = the image of caption t. */
export function crossModalRetrieval(image: Float32Array, text: Float32Array, textToImage: readonly number[], d: number): RetrievalResult {
  const nI = image.length / d, nT = text.length / d;
  if (!Number.isInteger(nI) || !Number.isInteger(nT)) throw new DbridgeError(`retrieval: arrays are not whole rows of dimension ${d}`);
  if (textToImage.length !== nT) throw new DbridgeError(`retrieval: ${nT} captions but ${textToImage.length} caption-to-image links`);
  textToImage.forEach((im, t) => { if (!Number.isInteger(im) || im < 0 || im >= nI) throw new DbridgeError(`retrieval: caption ${t} names image ${im}, outside 0..${nI - 1}`); });
  const iv = l2NormalizeRows(image, nI, d), tv = l2NormalizeRows(text, nT, d);
  const sim = new Float32Array(nI * nT);
  for (let i = 0; i < nI; i++) for (let t = 0; t < nT; t++) {
    let s = 0;
    const oi = i * d, ot = t * d;
    for (let j = 0; j < d; j++) s += iv[oi + j] * tv[ot + j];
    sim[i * nT + t] = s;
  }
  const ks = [1, 5, 10];
  const i2t = [0, 0, 0], t2i = [0, 0, 0];
  for (let i = 0; i < nI; i++) {
    let best = -Infinity, own = 0;
    for (let t = 0; t < nT; t++) if (textToImage[t] === i) { best = Math.max(best, sim[i * nT + t]); own++; }
    if (own === 0) continue; // an image without captions cannot be found
    let rank = 0;
    for (let t = 0; t < nT; t++) if (textToImage[t] !== i && sim[i * nT + t] >= best) rank++;
    ks.forEach((k, j) => { if (rank < k) i2t[j]++; });
  }
  for (let t = 0; t < nT; t++) {
    const own = sim[textToImage[t] * nT + t];
    let rank = 0;
    for (let i = 0; i < nI; i++) if (i !== textToImage[t] && sim[i * nT + t] >= own) rank++;
    ks.forEach((k, j) => { if (rank < k) t2i[j]++; });
  }
  const r = (v: number[], n: number): Recall => ({ r1: v[0] / n, r5: v[1] / n, r10: v[2] / n });
  return { images: nI, captions: nT, i2t: r(i2t, nI), t2i: r(t2i, nT), chance: { i2t_r1: 1 / nI, t2i_r1: 1 / nI } };
}
