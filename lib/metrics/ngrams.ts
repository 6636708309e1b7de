// N-gram counting shared by BLEU and CIDEr-D. Words are interned to integers and every n-gram
// (n = 1..4) to an integer id (an n-gram is the pair (id of its first n-1 words, last word)), so the scorers work on typed arrays instead of tuple-keyed dicts.
// The distinct n-grams of a caption are listed in the order a Python dict filled by pycocoevalcap's
// precook() would hold them (order 1 first, each order by first position), so float sums run in
// the same order as pycocoevalcap's loops.
import { isSimplySpaced, pySplit, pySplitSpace } from './numeric.ts';

/** murmur3's fmix32 of a pair: every input bit reaches every output bit. */
function hash(x: number, y: number): number {
  let h = Math.imul(x, 0x9e3779b1) ^ y;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h; // int32 (kept small-integer for speed; callers mask it)
}

/**
 * Open-addressing hash map from an (int32, int32) pair to a dense id 0, 1, 2, ... Each slot keeps
 * [x, y, id + 1] side by side (one cache line per probe); linear probing, load <= 3/4.
 */
class PairIds {
  private t: Int32Array;
  private mask: number;
  size = 0;

  /** `expected`: about how many pairs will be stored (the table starts at a power of 2 with load <= 3/4). */
  constructor(expected = 1 << 15) {
    let cap = 1 << 16;
    while (cap * 3 < 4 * expected) cap *= 2;
    this.t = new Int32Array(3 * cap);
    this.mask = cap - 1;
  }

  get(x: number, y: number): number {
    const t = this.t;
    let h = hash(x, y) & this.mask;
    for (;;) {
      const o = h * 3;
      const id = t[o + 2];
      if (id === 0) break;
      if (t[o] === x && t[o + 1] === y) return id - 1;
      h = (h + 1) & this.mask;
    }
    const id = this.size++;
    const o = h * 3;
    t[o] = x;
    t[o + 1] = y;
    t[o + 2] = id + 1;
    if (this.size * 4 > this.mask * 3) this.grow();
    return id;
  }

  private grow(): void {
    const old = this.t;
    const cap = (this.mask + 1) * 2;
    this.t = new Int32Array(3 * cap);
    this.mask = cap - 1;
    const t = this.t;
    for (let o = 0; o < old.length; o += 3) {
      if (old[o + 2] === 0) continue;
      let h = hash(old[o], old[o + 1]) & this.mask;
      while (t[h * 3 + 2] !== 0) h = (h + 1) & this.mask;
      t[h * 3] = old[o];
      t[h * 3 + 1] = old[o + 1];
      t[h * 3 + 2] = old[o + 2];
    }
  }
}

/**
 * Distinct n-grams of one caption with their counts, stored in the index's pool:
 * index.ids[e], index.counts[e] for e in bounds[k]..bounds[k+1] are the n-grams of order k+1.
 */
export interface NgramCounts {
  bounds: number[]; // length maxN + 1, absolute offsets into the pool
  length: number;   // number of words (Python split())
  wordStart: number; // the caption's word ids are index.wordIds[wordStart .. wordStart + length)
  simple: boolean;  // split(' ') gives the same words (so ROUGE-L can reuse the word ids)
}

export class NgramIndex {
  private readonly words = new Map<string, number>();
  private readonly keys: PairIds;

  /** Size hints: distinct n-grams and pooled entries (n-gram occurrences, once per caption) expected. */
  constructor(expectedNgrams?: number, expectedPooled = 1 << 16) {
    this.keys = new PairIds(expectedNgrams);
    this.ids = new Int32Array(expectedPooled);
    this.counts = new Int32Array(expectedPooled);
  }

  private slot = new Int32Array(1024);

  get size(): number {
    return this.keys.size;
  }

  /** Word id of a word (new words get the next id). */
  wordId(w: string): number {
    let id = this.words.get(w);
    if (id === undefined) {
      id = this.words.size;
      this.words.set(w, id);
    }
    return id;
  }

  /** Pooled n-gram ids and counts of every caption counted so far (see NgramCounts). */
  ids: Int32Array;
  counts: Int32Array;
  private used = 0;
  /** Pooled word ids of every caption counted so far. */
  wordIds = new Int32Array(1 << 16);
  private wordsUsed = 0;
  private cur = new Int32Array(256);
  private wids = new Int32Array(256);
  private uni = new Int32Array(1024).fill(-1);

  /** Counts the n-grams (1..maxN) of a caption split as Python's str.split() splits it. */
  count(caption: string, maxN = 4): NgramCounts {
    const simple = isSimplySpaced(caption);
    const toks = simple ? caption.split(' ') : pySplit(caption);
    const L = toks.length;
    if (this.cur.length < L) {
      this.cur = new Int32Array(2 * L);
      this.wids = new Int32Array(2 * L);
    }
    if (this.used + L * maxN > this.ids.length) {
      const cap = Math.max(2 * this.ids.length, this.used + L * maxN);
      const ids = new Int32Array(cap);
      ids.set(this.ids.subarray(0, this.used));
      const counts = new Int32Array(cap);
      counts.set(this.counts.subarray(0, this.used));
      this.ids = ids;
      this.counts = counts;
    }
    if (this.wordsUsed + L > this.wordIds.length) {
      const w = new Int32Array(Math.max(2 * this.wordIds.length, this.wordsUsed + L));
      w.set(this.wordIds.subarray(0, this.wordsUsed));
      this.wordIds = w;
    }
    const { cur, wids, ids, counts } = this;
    const first = this.used;
    let len = first;
    const wordStart = this.wordsUsed;
    for (let i = 0; i < L; i++) {
      const w = this.wordId(toks[i]);
      wids[i] = w;
      this.wordIds[wordStart + i] = w;
    }
    this.wordsUsed += L;
    const bounds: number[] = [];
    for (let k = 1; k <= maxN; k++) {
      bounds.push(len);
      const m = L - k + 1;
      // cur[i] = id of the n-gram of order k starting at i, built from the order k-1 one
      if (k === 1) {
        // unigram ids straight from the word id (no hashing)
        for (let i = 0; i < m; i++) {
          const w = wids[i];
          if (w >= this.uni.length) {
            const grown = new Int32Array(Math.max(w + 1, 2 * this.uni.length)).fill(-1);
            grown.set(this.uni);
            this.uni = grown;
          }
          let g = this.uni[w];
          if (g === -1) { g = this.keys.get(-1, w); this.uni[w] = g; }
          cur[i] = g;
        }
      } else {
        for (let i = 0; i < m; i++) cur[i] = this.keys.get(cur[i], wids[i + k - 1]);
      }
      for (let i = 0; i < m; i++) {
        const g = cur[i];
        if (g >= this.slot.length) {
          const grown = new Int32Array(Math.max(g + 1, this.slot.length * 2));
          grown.set(this.slot);
          this.slot = grown;
        }
        const s = this.slot[g];
        if (s === 0) {
          ids[len] = g;
          counts[len] = 1;
          len++;
          this.slot[g] = len - first;
        } else {
          counts[first + s - 1]++;
        }
      }
    }
    bounds.push(len);
    for (let e = first; e < len; e++) this.slot[ids[e]] = 0;
    this.used = len;
    return { bounds, length: L, wordStart, simple };
  }

  /** Word ids of a caption split as Python's str.split(' ') splits it (empty words included). */
  encodeSpaceSplit(caption: string): Int32Array {
    const toks = pySplitSpace(caption);
    const out = new Int32Array(toks.length);
    for (let i = 0; i < toks.length; i++) out[i] = this.wordId(toks[i]);
    return out;
  }

  /** Number of pooled entries (n-gram occurrences counted once per caption). */
  get pooled(): number {
    return this.used;
  }
}

/** N-gram counts of every candidate and reference, computed once for BLEU and CIDEr. */
export interface PreparedCorpus {
  index: NgramIndex;
  cands: NgramCounts[];
  refs: NgramCounts[][];
}

export function prepareCorpus(refs: string[][], cands: string[], maxN = 4): PreparedCorpus {
  // on caption corpora distinct n-grams are about chars / 5 and pooled entries about 0.7 x chars
  let chars = 0;
  for (const c of cands) chars += c.length;
  for (const rs of refs) for (const r of rs) chars += r.length;
  const index = new NgramIndex(chars / 5, Math.max(1 << 16, Math.ceil(chars * 0.8)));
  return {
    index,
    cands: cands.map((c) => index.count(c, maxN)),
    refs: refs.map((rs) => rs.map((r) => index.count(r, maxN))),
  };
}
