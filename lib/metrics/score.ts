// scoreCaptions: pycocoevalcap's COCOEvalCap.evaluate() in one call. Images scored = the candidates'
// images, in reference order (pycocotools keeps the "images" order); references and candidates are
// PTB-tokenised (unless already tokenised), then BLEU-1..4, METEOR (jar) or METEOR_approx, ROUGE-L,
// CIDEr-D and SPICE (jar) are computed on the tokens. Candidates whose image has no references are
// an error naming them (pycocotools' loadRes asserts the same); so is an image with an empty
// reference list (pycocoevalcap's scorers assert len(refs) > 0).
import { DbridgeError } from '../util/errors.ts';
import { bleu } from './bleu.ts';
import { cider } from './cider.ts';
import { rougeL } from './rouge.ts';
import { prepareCorpus } from './ngrams.ts';
import { tokenizeCaption } from './tokenizer.ts';
import { meteorJar } from './meteor.ts';
import { meteorApprox } from './meteor-approx.ts';
import { spiceJar } from './spice.ts';
import { listIds, type ImageId } from './io.ts';

export const METRIC_NAMES = ['bleu', 'meteor', 'rouge', 'cider', 'spice'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface ScoreOptions {
  /** Captions are already tokenised (space-separated): skip PTB tokenisation. Default false. */
  tokenized?: boolean;
  /** Metrics to compute. Default: all five. */
  metrics?: readonly MetricName[];
  /** meteor-1.5.jar (with its data/ folder beside it). Default: env DBRIDGE_METEOR_JAR; none -> METEOR_approx. */
  meteorJar?: string;
  /** spice-1.0.jar (with its lib/ folder). Default: env DBRIDGE_SPICE_JAR; none -> SPICE unavailable. */
  spiceJar?: string;
  /** Java executable for the jars. Default 'java'. */
  java?: string;
}

export const SCORE_KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'METEOR', 'METEOR_approx', 'ROUGE_L', 'CIDEr', 'SPICE'] as const;
export type ScoreKey = (typeof SCORE_KEYS)[number];

export interface ImageScores {
  image_id: ImageId;
  scores: Partial<Record<ScoreKey, number | null>>;
}

export interface CaptionScores {
  /** Corpus scores with pycocoevalcap's keys (fractions). SPICE is null when it could not be computed. */
  corpus: Partial<Record<ScoreKey, number | null>>;
  /** Per-image scores, in scoring order. */
  perImage: ImageScores[];
  /** Why a requested metric has no number (e.g. SPICE without its jar). */
  unavailable: Partial<Record<ScoreKey, string>>;
  /** Which METEOR was computed, if any. */
  meteor: 'METEOR' | 'METEOR_approx' | null;
  numImages: number;
  /** Reference images without a candidate (not scored, as in pycocoevalcap). */
  unscoredReferenceImages: number;
  /** The tokenised text the scorers saw (aligned with perImage). */
  tokenized: { refs: string[][]; cands: string[] };
}

/** Parses a --metrics list ('bleu,cider', also pycocoevalcap key names like 'Bleu_4', 'ROUGE_L'). */
export function parseMetricList(list: readonly string[]): MetricName[] {
  const out = new Set<MetricName>();
  for (const raw of list) {
    const m = raw.toLowerCase().replace(/_approx$/, '').replace(/_[1-4]$/, '').replace(/_l$/, '');
    if (m === 'all') { METRIC_NAMES.forEach((x) => out.add(x)); continue; }
    if (!(METRIC_NAMES as readonly string[]).includes(m)) throw new DbridgeError(`unknown metric '${raw}' (have: ${METRIC_NAMES.join(', ')})`);
    out.add(m as MetricName);
  }
  return METRIC_NAMES.filter((m) => out.has(m));
}

/**
 * Scores candidate captions against references with pycocoevalcap semantics.
 * `refs`: image id -> reference captions; `cands`: image id -> one candidate caption.
 */
export async function scoreCaptions(refs: Map<ImageId, string[]>, cands: Map<ImageId, string>, opts: ScoreOptions = {}): Promise<CaptionScores> {
  const metrics = new Set(opts.metrics ?? METRIC_NAMES);
  if (cands.size === 0) throw new DbridgeError('no candidate captions to score');
  const refByKey = new Map<string, [ImageId, string[]]>();
  for (const [id, caps] of refs) {
    const key = String(id);
    if (refByKey.has(key)) throw new DbridgeError(`references: image id ${id} appears twice (as ${JSON.stringify(refByKey.get(key)![0])} and ${JSON.stringify(id)})`);
    refByKey.set(key, [id, caps]);
  }
  const candByKey = new Map<string, string>();
  const orphans: ImageId[] = [];
  for (const [id, cap] of cands) {
    const key = String(id);
    if (candByKey.has(key)) throw new DbridgeError(`candidates: image id ${id} appears twice`);
    if (typeof cap !== 'string') throw new DbridgeError(`candidates: caption of image ${id} is not a string`);
    candByKey.set(key, cap);
    if (!refByKey.has(key)) orphans.push(id);
  }
  if (orphans.length) throw new DbridgeError(`${orphans.length} candidate image id(s) have no references: ${listIds(orphans)} (pycocotools: "Results do not correspond to current coco set")`);
  const ids: ImageId[] = [];
  const rawRefs: string[][] = [];
  const rawCands: string[] = [];
  const noRefs: ImageId[] = [];
  for (const [key, [id, caps]] of refByKey) {
    const cap = candByKey.get(key);
    if (cap === undefined) continue;
    if (caps.length === 0) noRefs.push(id);
    ids.push(id);
    rawRefs.push(caps);
    rawCands.push(cap);
  }
  if (noRefs.length) throw new DbridgeError(`${noRefs.length} candidate image(s) have an empty reference list: ${listIds(noRefs)}`);
  const tok = opts.tokenized ? (s: string) => s : tokenizeCaption;
  const tRefs = rawRefs.map((rs) => rs.map(tok));
  const tCands = rawCands.map(tok);

  const N = ids.length;
  const corpus: CaptionScores['corpus'] = {};
  const per: Partial<Record<ScoreKey, ArrayLike<number> | null>> = {};
  const unavailable: CaptionScores['unavailable'] = {};
  let meteorKind: CaptionScores['meteor'] = null;

  const prepared = metrics.has('bleu') || metrics.has('cider') || metrics.has('rouge') ? prepareCorpus(tRefs, tCands, 4) : null;
  if (prepared) {
    if (metrics.has('bleu')) {
      const b = bleu(tRefs, tCands, 4, prepared);
      for (let k = 0; k < 4; k++) {
        const key = `Bleu_${k + 1}` as ScoreKey;
        corpus[key] = b.scores[k];
        per[key] = b.perImage[k];
      }
    }
    if (metrics.has('cider')) {
      const c = cider(tRefs, tCands, {}, prepared);
      corpus.CIDEr = c.score;
      per.CIDEr = c.perImage;
    }
  }
  if (metrics.has('meteor')) {
    const jar = opts.meteorJar ?? (process.env.DBRIDGE_METEOR_JAR || undefined);
    if (jar) {
      const m = await meteorJar(tRefs, tCands, ids, { jar, java: opts.java });
      corpus.METEOR = m.score;
      per.METEOR = m.perImage;
      meteorKind = 'METEOR';
    } else {
      const m = meteorApprox(tRefs, tCands);
      corpus.METEOR_approx = m.score;
      per.METEOR_approx = m.perImage;
      meteorKind = 'METEOR_approx';
    }
  }
  if (metrics.has('rouge')) {
    const r = rougeL(tRefs, tCands, 1.2, prepared ?? undefined);
    corpus.ROUGE_L = r.score;
    per.ROUGE_L = r.perImage;
  }
  if (metrics.has('spice')) {
    const jar = opts.spiceJar ?? (process.env.DBRIDGE_SPICE_JAR || undefined);
    if (jar) {
      const s = await spiceJar(tRefs, tCands, ids, { jar, java: opts.java });
      corpus.SPICE = s.score;
      per.SPICE = s.perImage;
    } else {
      corpus.SPICE = null;
      per.SPICE = null;
      unavailable.SPICE = 'spice-1.0.jar not given (--spice-jar or DBRIDGE_SPICE_JAR); SPICE needs Java, the jar and its Stanford CoreNLP models, and no substitute is computed';
    }
  }
  // pycocoevalcap's key order
  const ordered: CaptionScores['corpus'] = {};
  for (const key of SCORE_KEYS) if (key in corpus) ordered[key] = corpus[key];
  const perImage: ImageScores[] = [];
  for (let i = 0; i < N; i++) {
    const scores: ImageScores['scores'] = {};
    for (const key of Object.keys(ordered) as ScoreKey[]) {
      const arr = per[key];
      scores[key] = arr ? arr[i] : null;
    }
    perImage.push({ image_id: ids[i], scores });
  }
  return {
    corpus: ordered,
    perImage,
    unavailable,
    meteor: meteorKind,
    numImages: N,
    unscoredReferenceImages: refByKey.size - N,
    tokenized: { refs: tRefs, cands: tCands },
  };
}
