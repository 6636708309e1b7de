// CIDEr-D with pycocoevalcap's semantics (cider/cider.py + cider/cider_scorer.py, salaniz/pycocoevalcap):
// tf-idf n-gram vectors (n = 1..4) with document frequencies counted over the references of the
// evaluated images only (an n-gram counts once per image), idf = log(#images) - log(max(1, df)),
// clipped cosine similarity min(hyp, ref) * ref, the Gaussian length penalty e^(-delta^2 / (2 sigma^2))
// with sigma = 6, the mean over n, the mean over references, x10. Kept quirk: the "length" in the
// penalty is the number of bigrams of a caption (pycocoevalcap adds term frequencies when its 0-based
// n-gram index equals 1), which equals words - 1 except for an empty caption (0).
// The corpus score is numpy's mean of the per-image scores. Words are Python str.split() tokens.
import { DbridgeError } from '../util/errors.ts';
import { npMean } from './numeric.ts';
import { prepareCorpus, type NgramCounts, type PreparedCorpus } from './ngrams.ts';

export interface CiderOptions {
  n?: number;     // default 4
  sigma?: number; // default 6
}

export interface CiderResult {
  score: number;
  perImage: Float64Array;
}

export function cider(refs: string[][], cands: string[], opts: CiderOptions = {}, prepared?: PreparedCorpus): CiderResult {
  const n = opts.n ?? 4;
  const sigma = opts.sigma ?? 6.0;
  if (refs.length !== cands.length) throw new DbridgeError(`cider: ${refs.length} reference sets for ${cands.length} candidates`);
  const p = prepared ?? prepareCorpus(refs, cands, n);
  const N = cands.length;
  const size = p.index.size;
  const pid = p.index.ids;
  const pcount = p.index.counts;
  // document frequency: in how many images' reference sets each n-gram occurs
  const df = new Int32Array(size);
  const seen = new Int32Array(size).fill(-1);
  for (let i = 0; i < N; i++) {
    if (p.refs[i].length === 0) throw new DbridgeError(`cider: image #${i} has no references`);
    for (const r of p.refs[i]) {
      for (let e = r.bounds[0]; e < r.bounds[n]; e++) {
        const g = pid[e];
        if (seen[g] !== i) { seen[g] = i; df[g]++; }
      }
    }
  }
  const refLen = Math.log(N);
  const logDf = new Float64Array(size);
  for (let g = 0; g < size; g++) logDf[g] = Math.log(Math.max(1.0, df[g]));

  // tf-idf values (pooled like the counts), per-order norms and the bigram "length" of a caption
  const vals = new Float64Array(p.index.pooled);
  const toVec = (c: NgramCounts, norm: Float64Array): number => {
    let length = 0;
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let e = c.bounds[k]; e < c.bounds[k + 1]; e++) {
        const v = pcount[e] * (refLen - logDf[pid[e]]);
        vals[e] = v;
        s += v ** 2;
        if (k === 1) length += pcount[e];
      }
      norm[k] = Math.sqrt(s);
    }
    return length;
  };

  const scratch = new Float64Array(size);
  const perImage = new Float64Array(N);
  const twoSigma2 = 2 * sigma ** 2;
  const val = new Float64Array(n);
  const acc = new Float64Array(n);
  const hNorm = new Float64Array(n);
  const rNorm = new Float64Array(n);
  for (let i = 0; i < N; i++) {
    const h = p.cands[i];
    const hLen = toVec(h, hNorm);
    acc.fill(0);
    for (const r of p.refs[i]) {
      const rLen = toVec(r, rNorm);
      const rEnd = r.bounds[n];
      for (let e = r.bounds[0]; e < rEnd; e++) scratch[pid[e]] = vals[e];
      const delta = hLen - rLen;
      const penalty = Math.E ** (-(delta ** 2) / twoSigma2);
      for (let k = 0; k < n; k++) {
        let s = 0;
        for (let e = h.bounds[k]; e < h.bounds[k + 1]; e++) {
          const vr = scratch[pid[e]];
          s += Math.min(vals[e], vr) * vr;
        }
        if (hNorm[k] !== 0 && rNorm[k] !== 0) s /= hNorm[k] * rNorm[k];
        if (Number.isNaN(s)) throw new Error('cider: NaN similarity');
        val[k] = s * penalty;
      }
      for (let e = r.bounds[0]; e < rEnd; e++) scratch[pid[e]] = 0;
      for (let k = 0; k < n; k++) acc[k] += val[k];
    }
    let mean = 0;
    for (let k = 0; k < n; k++) mean += acc[k];
    mean /= n;
    mean /= p.refs[i].length;
    mean *= 10.0;
    perImage[i] = mean;
  }
  return { score: npMean(perImage), perImage };
}
