// METEOR_approx: METEOR 1.5's scoring with the matchers that can run here, reported under the key
// METEOR_approx, never METEOR. Follows Denkowski & Lavie (2014) "Meteor Universal" and the METEOR 1.5
// English defaults (-l en -norm, task "default"): alpha = 0.85, beta = 0.20, gamma = 0.60, delta = 0.75,
// module weights exact 1.0, stem 0.6, synonym 0.8; precision and recall weight content words by delta
// and function words by 1 - delta; Fmean = P R / (alpha P + (1 - alpha) R); fragmentation penalty
// gamma (chunks / mean matches)^beta, none for a whole-sentence single-chunk match; the best-scoring
// reference per image; the corpus score from statistics summed over images (as METEOR's EVAL).
// Alignment: METEOR's resolution order (most covered words, then fewest chunks, then smallest
// distance) by a beam search of width 40 (stage-by-stage greedy for very long captions).
// Divergences (why this is approximate): no paraphrase table (paraphrase-en.gz is in the jar's
// data), our beam search and distance measure are not METEOR's code, WordNet 3.1 without exception lists
// (wordnet.ts), and our own English function-word list instead of METEOR's.
import { DbridgeError } from '../util/errors.ts';
import { stem } from './stemmer.ts';
import { wordnet, type WordNet } from './wordnet.ts';
import type { MeteorResult } from './meteor.ts';

export const METEOR_PARAMS = { alpha: 0.85, beta: 0.2, gamma: 0.6, delta: 0.75, weights: [1.0, 0.6, 0.8] } as const;

// English function words (determiners, pronouns, prepositions, conjunctions, auxiliaries, particles).
const FUNCTION_WORDS = new Set(`a an the this that these those some any each every no all both either neither another such
i me my mine myself you your yours yourself yourselves he him his himself she her hers herself it its itself we us
our ours ourselves they them their theirs themselves one ones who whom whose which what whatever whoever
about above across after against along amid among around as at before behind below beneath beside besides between
beyond by despite down during except for from in inside into like near of off on onto out outside over past
per since than through throughout till to toward towards under underneath unlike until up upon via with within
without and but or nor so yet if because although though while whereas unless whether once where when
whenever wherever how why then there here also too very just only not n't no nor
am is are was were be been being have has had having do does did doing will would shall should can could may
might must ought 's 're 've 'd 'll 'm s
more most much many few less least several other same own
again ever still already even quite rather almost`.split(/\s+/).filter(Boolean));

export function isFunctionWord(w: string): boolean {
  return FUNCTION_WORDS.has(w);
}

interface Stats {
  testLen: number;
  refLen: number;
  testFunc: number;
  refFunc: number;
  testContent: number[]; // matched content words in the hypothesis, per stage
  testFuncM: number[];
  refContent: number[];
  refFuncM: number[];
  chunks: number;
  testMatches: number;
  refMatches: number;
}

function emptyStats(): Stats {
  return { testLen: 0, refLen: 0, testFunc: 0, refFunc: 0, testContent: [0, 0, 0], testFuncM: [0, 0, 0], refContent: [0, 0, 0], refFuncM: [0, 0, 0], chunks: 0, testMatches: 0, refMatches: 0 };
}

function scoreStats(s: Stats): number {
  const { alpha, beta, gamma, delta, weights } = METEOR_PARAMS;
  const pDen = delta * (s.testLen - s.testFunc) + (1 - delta) * s.testFunc;
  const rDen = delta * (s.refLen - s.refFunc) + (1 - delta) * s.refFunc;
  let pNum = 0;
  let rNum = 0;
  for (let k = 0; k < weights.length; k++) {
    pNum += weights[k] * (delta * s.testContent[k] + (1 - delta) * s.testFuncM[k]);
    rNum += weights[k] * (delta * s.refContent[k] + (1 - delta) * s.refFuncM[k]);
  }
  const P = pDen > 0 ? pNum / pDen : 0;
  const R = rDen > 0 ? rNum / rDen : 0;
  if (P === 0 || R === 0) return 0;
  const fmean = (P * R) / (alpha * P + (1 - alpha) * R);
  const avgMatches = (s.testMatches + s.refMatches) / 2;
  const whole = s.testMatches === s.testLen && s.refMatches === s.refLen && s.chunks === 1;
  const frag = whole || avgMatches === 0 ? 0 : s.chunks / avgMatches;
  const pen = gamma * frag ** beta;
  return fmean * (1 - pen);
}

interface Tok { w: string; stem: string; func: boolean; syn: Set<number> | null }

function prepper(wn: WordNet): (caption: string) => Tok[] {
  const cache = new Map<string, Tok>();
  return (caption) => caption.split(' ').filter((w) => w.length > 0).map((w) => {
    const low = w.toLowerCase();
    let t = cache.get(low);
    if (!t) {
      const syn = wn.synsets(low);
      t = { w: low, stem: stem(low), func: FUNCTION_WORDS.has(low), syn: syn.size ? syn : null };
      cache.set(low, t);
    }
    return t;
  });
}

function synonyms(a: Tok, b: Tok): boolean {
  if (!a.syn || !b.syn) return false;
  const [x, y] = a.syn.size <= b.syn.size ? [a.syn, b.syn] : [b.syn, a.syn];
  for (const k of x) if (y.has(k)) return true;
  return false;
}

const MATCHERS: Array<(a: Tok, b: Tok) => boolean> = [
  (a, b) => a.w === b.w,
  (a, b) => a.stem === b.stem,
  synonyms,
];

const BEAM = 40;
const BEAM_MAX_REF = 62;     // reference positions kept in two 31-bit masks
const BEAM_MAX_CELLS = 4096; // beyond hypothesis x reference this size, the greedy aligner is used

interface BeamState {
  lo: number;      // reference positions 0..30 taken (bitmask)
  hi: number;      // reference positions 31..61 taken
  cov: number;     // matched words
  chunks: number;
  dist: number;    // sum of |relative position differences|
  lastJ: number;   // reference position matched at the previous hypothesis position, or -2
  parent: BeamState | null;
  j: number;       // reference position chosen at this step (-1: none)
}

const better = (a: BeamState, b: BeamState) => b.cov - a.cov || a.chunks - b.chunks || a.dist - b.dist;
const isUsed = (st: BeamState, j: number) => (j < 31 ? (st.lo >>> j) & 1 : (st.hi >>> (j - 31)) & 1) === 1;

/**
 * METEOR-style alignment resolution: among one-to-one sets of candidate matches, the one covering the
 * most words, then with the fewest chunks, then the smallest summed distance; found by a beam search
 * over hypothesis positions (METEOR also resolves with a beam search). Candidate matches of a pair come
 * from the first stage that matches it (exact, then stem, then synonym). Leaving a word unmatched is
 * only explored when one of its candidates is wanted by a later word (otherwise matching dominates).
 */
function beamAlign(n: number, m: number, stage: Int8Array): Int16Array {
  // contended[i * m + j]: some later hypothesis word could also take reference position j
  const laterWants = new Uint8Array(m);
  const contended = new Uint8Array(n * m);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = 0; j < m; j++) contended[i * m + j] = laterWants[j];
    for (let j = 0; j < m; j++) if (stage[i * m + j] >= 0) laterWants[j] = 1;
  }
  let beam: BeamState[] = [{ lo: 0, hi: 0, cov: 0, chunks: 0, dist: 0, lastJ: -2, parent: null, j: -1 }];
  for (let i = 0; i < n; i++) {
    const next: BeamState[] = [];
    for (const st of beam) {
      let free = 0;
      let needSkip = true;
      for (let j = 0; j < m; j++) {
        if (stage[i * m + j] < 0 || isUsed(st, j)) continue;
        free++;
        if (!contended[i * m + j]) needSkip = false;
        next.push({
          lo: j < 31 ? st.lo | (1 << j) : st.lo,
          hi: j < 31 ? st.hi : st.hi | (1 << (j - 31)),
          cov: st.cov + 1,
          chunks: st.chunks + (st.lastJ === j - 1 ? 0 : 1),
          dist: st.dist + Math.abs(i / n - j / m),
          lastJ: j,
          parent: st,
          j,
        });
      }
      if (free === 0 || needSkip) next.push({ lo: st.lo, hi: st.hi, cov: st.cov, chunks: st.chunks, dist: st.dist, lastJ: -2, parent: st, j: -1 });
    }
    if (next.length > BEAM) {
      next.sort(better);
      next.length = BEAM;
    }
    beam = next;
  }
  let best = beam[0];
  for (const st of beam) if (better(st, best) < 0) best = st;
  const hTo = new Int16Array(n).fill(-1);
  for (let i = n - 1, st: BeamState | null = best; i >= 0 && st; i--, st = st.parent) hTo[i] = st.j;
  return hTo;
}

/** Stage-by-stage greedy alignment (for very long captions, where the beam search would be slow). */
function greedyAlign(h: Tok[], r: Tok[], stage: Int8Array): Int16Array {
  const n = h.length;
  const m = r.length;
  const hTo = new Int16Array(n).fill(-1);
  const rTo = new Int32Array(m).fill(-1);
  for (let s = 0; s < MATCHERS.length; s++) {
    for (let i = 0; i < n; i++) {
      if (hTo[i] !== -1) continue;
      let best = -1;
      let bestCost = Infinity;
      for (let j = 0; j < m; j++) {
        if (rTo[j] !== -1 || stage[i * m + j] !== s) continue;
        // continuing a chunk (neighbour matched to the neighbour) costs least; then relative distance
        const cont = (i > 0 && hTo[i - 1] === j - 1 && j > 0) || (i + 1 < n && hTo[i + 1] === j + 1);
        const cost = (cont ? 0 : 1) + Math.abs(i / Math.max(1, n) - j / Math.max(1, m));
        if (cost < bestCost) { bestCost = cost; best = j; }
      }
      if (best >= 0) { hTo[i] = best; rTo[best] = i; }
    }
  }
  return hTo;
}

/** Aligns a hypothesis with one reference; returns the statistics METEOR would keep for the pair. */
function alignPair(h: Tok[], r: Tok[]): Stats {
  const n = h.length;
  const m = r.length;
  // stage[i * m + j]: first matcher (0 exact, 1 stem, 2 synonym) that matches the pair, -1 for none
  const stage = new Int8Array(n * m).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      for (let s = 0; s < MATCHERS.length; s++) {
        if (MATCHERS[s](h[i], r[j])) { stage[i * m + j] = s; break; }
      }
    }
  }
  const hTo = n * m <= BEAM_MAX_CELLS && m <= BEAM_MAX_REF ? beamAlign(n, m, stage) : greedyAlign(h, r, stage);
  const st = emptyStats();
  st.testLen = n;
  st.refLen = m;
  for (const t of h) if (t.func) st.testFunc++;
  for (const t of r) if (t.func) st.refFunc++;
  let prevJ = -2;
  for (let i = 0; i < n; i++) {
    const j = hTo[i];
    if (j === -1) { prevJ = -2; continue; }
    const s = stage[i * m + j];
    if (h[i].func) st.testFuncM[s]++; else st.testContent[s]++;
    if (r[j].func) st.refFuncM[s]++; else st.refContent[s]++;
    st.testMatches++;
    st.refMatches++;
    if (j !== prevJ + 1) st.chunks++;
    prevJ = j;
  }
  return st;
}

function addStats(a: Stats, b: Stats): void {
  a.testLen += b.testLen; a.refLen += b.refLen; a.testFunc += b.testFunc; a.refFunc += b.refFunc;
  for (let k = 0; k < 3; k++) { a.testContent[k] += b.testContent[k]; a.testFuncM[k] += b.testFuncM[k]; a.refContent[k] += b.refContent[k]; a.refFuncM[k] += b.refFuncM[k]; }
  a.chunks += b.chunks; a.testMatches += b.testMatches; a.refMatches += b.refMatches;
}

/** METEOR_approx of tokenised candidates against tokenised references (aligned arrays). */
export function meteorApprox(refs: string[][], cands: string[]): MeteorResult {
  if (refs.length !== cands.length) throw new DbridgeError(`meteor: ${refs.length} reference sets for ${cands.length} candidates`);
  const prep = prepper(wordnet());
  const total = emptyStats();
  const perImage = new Float64Array(cands.length);
  for (let i = 0; i < cands.length; i++) {
    if (refs[i].length === 0) throw new DbridgeError(`meteor: image #${i} has no references`);
    const h = prep(cands[i]);
    let best: Stats | null = null;
    let bestScore = -1;
    for (const ref of refs[i]) {
      const st = alignPair(h, prep(ref));
      const sc = scoreStats(st);
      if (sc > bestScore) { bestScore = sc; best = st; }
    }
    perImage[i] = bestScore;
    addStats(total, best!);
  }
  return { score: scoreStats(total), perImage };
}
