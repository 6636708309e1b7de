// Benchmark of the caption metrics: 5000 images x 5 references, BLEU-1..4 + ROUGE-L + CIDEr-D with PTB
// tokenisation (the figure compared with pycocoevalcap, test/fixtures/metrics/PEER.md), each stage on
// its own, and METEOR_approx separately. Input: the 5000-image reference set of PEER.md when a copy is
// at ../shared/reference/metrics/bench5000 (not distributed with the repository; then the scores are
// checked against pycocoevalcap's), else a seeded synthetic corpus of the same shape.
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../lib/util/provenance.ts';
import { Rng } from '../../lib/util/rng.ts';
import { bleu, cider, rougeL, meteorApprox, scoreCaptions, tokenizeCaption, parseReferences, parseCandidates } from '../../lib/metrics/index.ts';
import type { ImageId } from '../../lib/metrics/index.ts';
import { prepareCorpus } from '../../lib/metrics/ngrams.ts';
import { wordnet } from '../../lib/metrics/wordnet.ts';

// DBRIDGE_METRICS_BENCH_DIR overrides the folder (a folder without the files -> synthetic input)
const SHARED = process.env.DBRIDGE_METRICS_BENCH_DIR ?? join(REPO_ROOT, '..', 'shared', 'reference', 'metrics', 'bench5000');

// pycocoevalcap on bench5000, PEER.md (runs A and B, seconds)
const PEER = {
  bleu: [1.44, 1.13],
  rouge: [1.04, 1.01],
  cider: [5.34, 4.15],
  scoringTotal: [7.81, 6.29],
  tokenization: [1.49, 1.35],
};

function synthetic(): { refs: Map<ImageId, string[]>; cands: Map<ImageId, string> } {
  const rng = new Rng(5000).fork('metrics-bench');
  const nouns = ['dog', 'man', 'woman', 'child', 'boy', 'girl', 'bike', 'ball', 'street', 'beach', 'water', 'grass', 'snow', 'shirt', 'hat', 'car'];
  const adjs = ['black', 'white', 'brown', 'red', 'blue', 'small', 'large', 'young', 'old', 'green'];
  const verbs = ['runs', 'jumps', 'sits', 'walks', 'plays', 'rides', 'stands', 'holds', 'looks'];
  const preps = ['on', 'in', 'near', 'through', 'with', 'by'];
  const pick = (a: string[]) => a[rng.int(a.length)];
  const caption = () => `A ${pick(adjs)} ${pick(nouns)} ${pick(verbs)} ${pick(preps)} the ${pick(adjs)} ${pick(nouns)}${rng.uniform() < 0.5 ? `, ${pick(preps)} a ${pick(nouns)}` : ''} .`;
  const refs = new Map<ImageId, string[]>();
  const cands = new Map<ImageId, string>();
  for (let i = 0; i < 5000; i++) {
    const caps = Array.from({ length: 5 }, caption);
    refs.set(i, caps);
    const words = caps[0].split(' ');
    words.splice(1 + rng.int(words.length - 2), 1);
    cands.set(i, words.join(' '));
  }
  return { refs, cands };
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, (performance.now() - t0) / 1000];
}

/** Process CPU seconds (user + system) of fn: less sensitive than wall time to other load on a shared machine. */
async function cpuTime<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const d = process.cpuUsage(c0);
  return [out, (performance.now() - t0) / 1000, (d.user + d.system) / 1e6];
}

const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const r4 = (x: number) => +x.toFixed(4);

export async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const shared = existsSync(join(SHARED, 'refs_bench5000.json')) && existsSync(join(SHARED, 'cands_bench5000.json'));
  const data = shared
    ? {
        refs: parseReferences(JSON.parse(readFileSync(join(SHARED, 'refs_bench5000.json'), 'utf8')), 'refs_bench5000.json'),
        cands: parseCandidates(JSON.parse(readFileSync(join(SHARED, 'cands_bench5000.json'), 'utf8')), 'cands_bench5000.json'),
      }
    : synthetic();
  const reps = opts.quick ? 1 : 15;
  const stages: Record<string, number[]> = { tokenize: [], ngrams: [], bleu: [], cider: [], rouge: [], endToEnd: [] };
  const endToEndCpu: number[] = [];
  let e2e: Awaited<ReturnType<typeof scoreCaptions>> | null = null;
  for (let r = 0; r < reps; r++) {
    // stage by stage
    const ids = [...data.cands.keys()];
    const rawRefs = ids.map((id) => data.refs.get(id)!);
    const [tok, tTok] = time(() => ({ refs: rawRefs.map((rs) => rs.map(tokenizeCaption)), cands: ids.map((id) => tokenizeCaption(data.cands.get(id)!)) }));
    const [prepared, tPrep] = time(() => prepareCorpus(tok.refs, tok.cands));
    const [, tBleu] = time(() => bleu(tok.refs, tok.cands, 4, prepared));
    const [, tCider] = time(() => cider(tok.refs, tok.cands, {}, prepared));
    const [, tRouge] = time(() => rougeL(tok.refs, tok.cands));
    stages.tokenize.push(tTok);
    stages.ngrams.push(tPrep);
    stages.bleu.push(tBleu);
    stages.cider.push(tCider);
    stages.rouge.push(tRouge);
    // the public call, tokenisation included
    const [res, wall, cpu] = await cpuTime(() => scoreCaptions(data.refs, data.cands, { metrics: ['bleu', 'rouge', 'cider'] }));
    e2e = res;
    stages.endToEnd.push(wall);
    endToEndCpu.push(cpu);
  }
  const [, tWordnet] = time(() => wordnet());
  const meteorTimes: number[] = [];
  let meteorScore = NaN;
  for (let r = 0; r < (opts.quick ? 1 : 3); r++) {
    const [m, t] = time(() => meteorApprox(e2e!.tokenized.refs, e2e!.tokenized.cands));
    meteorTimes.push(t);
    meteorScore = m.score;
  }
  const med = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, r4(median(v))]));
  const min = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, r4(Math.min(...v))]));
  const peerWithTok = PEER.scoringTotal.map((s, i) => s + PEER.tokenization[i]);
  const ours = median(stages.endToEnd);
  const oursBest = Math.min(...stages.endToEnd);
  const out: Record<string, unknown> = {
    input: shared ? 'shared/reference/metrics/bench5000 (5000 Flickr8k images x 5 references)' : 'synthetic 5000 x 5 (shared bench5000 not found)',
    repetitions: reps,
    secondsMedian: med,
    secondsMin: min,
    endToEndCpuSeconds: { median: r4(median(endToEndCpu)), min: r4(Math.min(...endToEndCpu)) },
    loadAverage1m: +loadavg()[0].toFixed(2),
    meteorApprox: { secondsMedian: r4(median(meteorTimes)), wordnetLoadSeconds: r4(tWordnet), score: meteorScore },
    peer: { what: 'pycocoevalcap (Python 3.11, numpy 2.4), PEER.md runs A and B', ...PEER, totalWithTokenization: peerWithTok },
    speedup: {
      endToEndVsPeerWithTokenization: peerWithTok.map((p) => +(p / ours).toFixed(1)),
      endToEndBestRunVsPeerWithTokenization: peerWithTok.map((p) => +(p / oursBest).toFixed(1)),
      endToEndCpuVsPeerWithTokenization: peerWithTok.map((p) => +(p / median(endToEndCpu)).toFixed(1)),
      scoringOnlyVsPeer: PEER.scoringTotal.map((p) => +(p / (med.ngrams + med.bleu + med.cider + med.rouge)).toFixed(1)),
      cider: PEER.cider.map((p) => +(p / (med.ngrams + med.cider)).toFixed(1)),
      target: '>= 10x (BLEU + ROUGE-L + CIDEr-D, tokenisation included)',
    },
    corpus: e2e!.corpus,
  };
  if (shared && existsSync(join(SHARED, 'scores_bench5000_ptb.json'))) {
    const ref = JSON.parse(readFileSync(join(SHARED, 'scores_bench5000_ptb.json'), 'utf8'));
    const parity: Record<string, { corpusAbsDiff: number; perImageMaxAbsDiff: number }> = {};
    const order = new Map(e2e!.perImage.map((p, i) => [String(p.image_id), i]));
    for (const k of Object.keys(ref.corpus)) {
      let maxd = 0;
      (ref.image_ids as number[]).forEach((id, j) => {
        const got = e2e!.perImage[order.get(String(id))!].scores[k as 'CIDEr'] as number;
        maxd = Math.max(maxd, Math.abs(got - ref.per_image[k][j]));
      });
      parity[k] = { corpusAbsDiff: Math.abs((e2e!.corpus[k as 'CIDEr'] as number) - ref.corpus[k]), perImageMaxAbsDiff: maxd };
    }
    out.parityWithPycocoevalcap = parity;
  }
  return out;
}
