// BLEU-1..4 with pycocoevalcap's semantics (bleu/bleu.py + bleu/bleu_scorer.py, salaniz/pycocoevalcap):
// clipped n-gram counts per image against the per-n-gram maximum over its references, the "closest"
// reference length (ties -> the shorter), corpus BLEU from summed counts, smoothing constants
// tiny = 1e-15 (numerator) and small = 1e-9 (denominator), and the per-image scores pycocoevalcap returns
// (the same formula on one image's counts, with that image's brevity penalty). Words are Python
// str.split() tokens.
import { DbridgeError } from '../util/errors.ts';
import { prepareCorpus, type PreparedCorpus } from './ngrams.ts';

export interface BleuStats {
  testlen: number;
  reflen: number;
  guess: number[];
  correct: number[];
  ratio: number;
}

export interface BleuResult {
  /** Corpus BLEU-1..n. */
  scores: number[];
  /** perImage[k][i]: BLEU-(k+1) of image i. */
  perImage: Float64Array[];
  stats: BleuStats;
}

const TINY = 1e-15;
const SMALL = 1e-9;

/** BLEU-1..n of tokenised candidates against tokenised references (aligned arrays). */
export function bleu(refs: string[][], cands: string[], n = 4, prepared?: PreparedCorpus): BleuResult {
  if (refs.length !== cands.length) throw new DbridgeError(`bleu: ${refs.length} reference sets for ${cands.length} candidates`);
  const p = prepared ?? prepareCorpus(refs, cands, n);
  const N = cands.length;
  const perImage = Array.from({ length: n }, () => new Float64Array(N));
  const totGuess = new Array<number>(n).fill(0);
  const totCorrect = new Array<number>(n).fill(0);
  let totTest = 0;
  let totRef = 0;
  let maxc = new Int32Array(Math.max(1024, p.index.size));
  for (let i = 0; i < N; i++) {
    const rs = p.refs[i];
    if (rs.length === 0) throw new DbridgeError(`bleu: image #${i} has no references`);
    const touched: number[] = [];
    const pid = p.index.ids;
    const pcount = p.index.counts;
    for (const r of rs) {
      for (let e = r.bounds[0]; e < r.bounds[r.bounds.length - 1]; e++) {
        const g = pid[e];
        if (g >= maxc.length) { const m = new Int32Array(p.index.size); m.set(maxc); maxc = m; }
        if (maxc[g] === 0) touched.push(g);
        if (pcount[e] > maxc[g]) maxc[g] = pcount[e];
      }
    }
    const c = p.cands[i];
    const testlen = c.length;
    // closest reference length; ties go to the shorter one (Python min over (|l - testlen|, l))
    let reflen = rs[0].length;
    for (const r of rs) {
      const d = Math.abs(r.length - testlen);
      const db = Math.abs(reflen - testlen);
      if (d < db || (d === db && r.length < reflen)) reflen = r.length;
    }
    const guess = new Array<number>(n);
    const correct = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) {
      guess[k] = Math.max(0, testlen - k);
      const start = k < c.bounds.length - 1 ? c.bounds[k] : 0;
      const end = k < c.bounds.length - 1 ? c.bounds[k + 1] : 0;
      for (let e = start; e < end; e++) {
        const g = pid[e];
        const m = g < maxc.length ? maxc[g] : 0;
        correct[k] += Math.min(m, pcount[e]);
      }
      totGuess[k] += guess[k];
      totCorrect[k] += correct[k];
    }
    for (const g of touched) maxc[g] = 0;
    totTest += testlen;
    totRef += reflen;
    let b = 1;
    for (let k = 0; k < n; k++) {
      b *= (correct[k] + TINY) / (guess[k] + SMALL);
      perImage[k][i] = b ** (1 / (k + 1));
    }
    const ratio = (testlen + TINY) / (reflen + SMALL);
    if (ratio < 1) for (let k = 0; k < n; k++) perImage[k][i] *= Math.exp(1 - 1 / ratio);
  }
  const scores: number[] = [];
  let b = 1;
  for (let k = 0; k < n; k++) {
    b *= (totCorrect[k] + TINY) / (totGuess[k] + SMALL);
    scores.push(b ** (1 / (k + 1)));
  }
  const ratio = (totTest + TINY) / (totRef + SMALL);
  if (ratio < 1) for (let k = 0; k < n; k++) scores[k] *= Math.exp(1 - 1 / ratio);
  return { scores, perImage, stats: { testlen: totTest, reflen: totRef, guess: totGuess, correct: totCorrect, ratio } };
}
