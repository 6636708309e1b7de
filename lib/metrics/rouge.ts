// ROUGE-L with pycocoevalcap's semantics (rouge/rouge.py, salaniz/pycocoevalcap): longest common
// subsequence of the candidate with each reference, words from Python's str.split(" ") (so an empty
// caption is one empty word), best precision and best recall over the references taken separately,
// F with beta = 1.2, 0 when either is 0; the corpus score is numpy's mean of the per-image scores.
import { DbridgeError } from '../util/errors.ts';
import { npMean, pySplitSpace } from './numeric.ts';
import type { NgramCounts, PreparedCorpus } from './ngrams.ts';

export interface RougeResult {
  score: number;
  perImage: Float64Array;
}

function lcs(a: Int32Array, b: Int32Array, row: Int32Array): number {
  // one-row DP over the shorter sequence
  const [x, y] = a.length >= b.length ? [a, b] : [b, a];
  const m = y.length;
  row.fill(0, 0, m + 1);
  for (let i = 1; i <= x.length; i++) {
    let diag = 0; // lengths[i-1][j-1]
    const xi = x[i - 1];
    for (let j = 1; j <= m; j++) {
      const up = row[j]; // lengths[i-1][j]
      row[j] = xi === y[j - 1] ? diag + 1 : Math.max(up, row[j - 1]);
      diag = up;
    }
  }
  return row[m];
}

/** ROUGE-L of tokenised candidates against tokenised references (aligned arrays). `prepared` (from
 * prepareCorpus on the same text) lets it reuse the word ids instead of splitting again. */
export function rougeL(refs: string[][], cands: string[], beta = 1.2, prepared?: PreparedCorpus): RougeResult {
  if (refs.length !== cands.length) throw new DbridgeError(`rouge: ${refs.length} reference sets for ${cands.length} candidates`);
  let enc: (s: string, c: NgramCounts | undefined) => Int32Array;
  if (prepared) {
    const ix = prepared.index;
    enc = (s, c) => (c && c.simple ? ix.wordIds.subarray(c.wordStart, c.wordStart + c.length) : ix.encodeSpaceSplit(s));
  } else {
    const vocab = new Map<string, number>();
    enc = (s) => {
      const toks = pySplitSpace(s);
      const out = new Int32Array(toks.length);
      for (let i = 0; i < toks.length; i++) {
        let id = vocab.get(toks[i]);
        if (id === undefined) { id = vocab.size; vocab.set(toks[i], id); }
        out[i] = id;
      }
      return out;
    };
  }
  const N = cands.length;
  const perImage = new Float64Array(N);
  let row = new Int32Array(256);
  const b2 = beta ** 2;
  for (let i = 0; i < N; i++) {
    if (refs[i].length === 0) throw new DbridgeError(`rouge: image #${i} has no references`);
    const c = enc(cands[i], prepared?.cands[i]);
    let precMax = -Infinity;
    let recMax = -Infinity;
    for (let k = 0; k < refs[i].length; k++) {
      const r = enc(refs[i][k], prepared?.refs[i][k]);
      if (Math.min(r.length, c.length) + 1 > row.length) row = new Int32Array(2 * (Math.min(r.length, c.length) + 1));
      const l = lcs(r, c, row);
      const prec = l / c.length;
      const rec = l / r.length;
      if (prec > precMax) precMax = prec;
      if (rec > recMax) recMax = rec;
    }
    perImage[i] = precMax !== 0 && recMax !== 0 ? ((1 + b2) * precMax * recMax) / (recMax + b2 * precMax) : 0.0;
  }
  return { score: npMean(perImage), perImage };
}
