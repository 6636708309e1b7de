// Reference statistics of a captioning dataset (issue 11): what captioners that look at no image,
// or a sixth human, score on a split with the project's scorer (lib/metrics, pycocoevalcap
// semantics). They are the yardsticks a table's rows are read against:
//   random train caption    every image gets a train caption drawn uniformly at random (seeded)
//   most frequent caption   the train caption written most often (compared as PTB tokens; ties go to
//                           the one whose words are commonest in train, then to file order), for every image
//   verbatim                the fraction of the split's reference captions whose PTB tokens equal
//                           those of some train caption (memorising train could copy them)
//   sixth annotator         each image's `heldout` caption (the world writes one per val / test image,
//                           from an independent random stream; lib/world/generate.ts) against its
//                           five references: the human-agreement row of MSCOCO papers
// Works on any Karpathy-format file (the world's, dataset_coco.json, ...); the sixth annotator
// needs the `heldout` field and is null without it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseKarpathy, type KarpathyDataset } from '../data/karpathy.ts';
import { scoreCaptions, type CaptionScores, type ScoreOptions } from '../metrics/score.ts';
import { tokenizeCaption } from '../metrics/tokenizer.ts';
import type { ImageId } from '../metrics/io.ts';
import { DbridgeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { WORLD_FILES } from './splits.ts';

/** The non-learned captioners of one split: image id -> caption, plus the references they are scored against. */
export interface ReferenceCandidates {
  split: string;
  /** image id -> its reference captions (the `sentences`), in file order. */
  references: Map<ImageId, string[]>;
  /** image id -> a uniformly drawn train caption. */
  random: Map<ImageId, string>;
  /** The most frequent train caption (raw text of its first occurrence), how often it occurs, and it for every image. */
  frequent: { caption: string; count: number; candidates: Map<ImageId, string> };
  /** image id -> the sixth annotator's caption; null when the file has no `heldout` captions for this split. */
  heldout: Map<ImageId, string> | null;
  /** Train captions in all, and how many distinct ones (as PTB tokens). */
  train: { captions: number; distinct: number };
}

export interface ReferenceOptions {
  /** Split to caption. Default 'test'. */
  split?: string;
  /** Seed of the random-caption draw. Default 0. */
  seed?: number;
}

interface Loaded {
  ds: KarpathyDataset;
  heldout: Map<string, string>;
}

/** Reads a Karpathy file (or a world folder's dataset_world.json) with its `heldout` captions. */
function load(path: string): Loaded {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, WORLD_FILES.dataset) : path;
  if (!existsSync(file)) throw new DbridgeError(`Karpathy split file not found: ${file}`);
  let json: { images?: unknown[] };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DbridgeError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const ds = parseKarpathy(json, file);
  const heldout = new Map<string, string>();
  (json.images ?? []).forEach((raw, i) => {
    const h = (raw as { heldout?: unknown }).heldout;
    if (h === undefined) return;
    const first = Array.isArray(h) ? (h[0] as { raw?: unknown } | undefined) : undefined;
    if (!first || typeof first.raw !== 'string' || first.raw.trim() === '') throw new DbridgeError(`${file}: images[${i}] "heldout" must be a non-empty array of {raw, tokens}`);
    heldout.set(String(ds.images[i].id), first.raw);
  });
  return { ds, heldout };
}

/** The random, most-frequent and sixth-annotator captions of one split (no scoring). */
export function referenceCandidates(path: string, opts: ReferenceOptions = {}): ReferenceCandidates {
  return candidatesOf(load(path), opts);
}

function candidatesOf({ ds, heldout }: Loaded, opts: ReferenceOptions): ReferenceCandidates {
  const split = opts.split ?? 'test';
  const images = ds.images.filter((im) => im.split === split);
  if (images.length === 0) throw new DbridgeError(`${ds.file}: split '${split}' has no images`);
  const trainRaw = ds.images.filter((im) => im.split === 'train').flatMap((im) => im.captions);
  if (trainRaw.length === 0) throw new DbridgeError(`${ds.file}: no train captions to draw reference captions from`);
  const trainTok = trainRaw.map(tokenizeCaption);

  const rng = new Rng(opts.seed ?? 0).fork('ref:random-caption');
  const random = new Map<ImageId, string>();
  for (const im of images) random.set(im.id, trainRaw[rng.int(trainRaw.length)]);

  // most frequent: count PTB-token forms; ties -> the commonest words (mean train unigram count), then file order
  const count = new Map<string, { n: number; first: number }>();
  const unigram = new Map<string, number>();
  trainTok.forEach((t, i) => {
    const c = count.get(t);
    if (c) c.n++; else count.set(t, { n: 1, first: i });
    for (const w of t.split(' ')) unigram.set(w, (unigram.get(w) ?? 0) + 1);
  });
  const commonness = (t: string) => { const ws = t.split(' '); return ws.reduce((s, w) => s + unigram.get(w)!, 0) / ws.length; };
  let best: { t: string; n: number; first: number; common: number } | null = null;
  for (const [t, c] of count) {
    if (best && c.n < best.n) continue;
    const common = commonness(t);
    if (!best || c.n > best.n || common > best.common || (common === best.common && c.first < best.first)) best = { t, ...c, common };
  }
  const frequentRaw = trainRaw[best!.first];
  const frequent = new Map<ImageId, string>(images.map((im) => [im.id, frequentRaw]));

  let held: Map<ImageId, string> | null = new Map();
  for (const im of images) {
    const h = heldout.get(String(im.id));
    if (h === undefined) { held = null; break; }
    held.set(im.id, h);
  }
  return {
    split,
    references: new Map(images.map((im) => [im.id, im.captions])),
    random,
    frequent: { caption: frequentRaw, count: best!.n, candidates: frequent },
    heldout: held,
    train: { captions: trainRaw.length, distinct: count.size },
  };
}

/** Fraction of the split's reference captions whose PTB tokens equal those of a train caption. */
export function verbatimFraction(path: string, split = 'test'): { fraction: number; matched: number; total: number } {
  return verbatimOf(load(path).ds, split);
}

function verbatimOf(ds: KarpathyDataset, split: string): { fraction: number; matched: number; total: number } {
  const train = new Set(ds.images.filter((im) => im.split === 'train').flatMap((im) => im.captions.map(tokenizeCaption)));
  const caps = ds.images.filter((im) => im.split === split).flatMap((im) => im.captions);
  if (caps.length === 0) throw new DbridgeError(`${ds.file}: split '${split}' has no captions`);
  const matched = caps.filter((c) => train.has(tokenizeCaption(c))).length;
  return { fraction: matched / caps.length, matched, total: caps.length };
}

/** Corpus scores of one reference captioner (pycocoevalcap keys, fractions), and its per-image scores. */
export interface ReferenceRow {
  corpus: CaptionScores['corpus'];
  perImage: CaptionScores['perImage'];
  meteor: CaptionScores['meteor'];
}

export interface ReferenceStatistics {
  file: string;
  split: string;
  images: number;
  seed: number;
  train: ReferenceCandidates['train'];
  randomCaption: ReferenceRow;
  frequentCaption: ReferenceRow & { caption: string; count: number };
  verbatim: { fraction: number; matched: number; total: number };
  /** null when the file has no `heldout` captions (real datasets). */
  sixthAnnotator: ReferenceRow | null;
}

/** Default metrics of the reference rows: all but SPICE (which needs a jar; pass `metrics` to ask for it). */
const DEFAULT_METRICS: ScoreOptions['metrics'] = ['bleu', 'meteor', 'rouge', 'cider'];

/**
 * The reference statistics of one split of a Karpathy file (or world folder), scored by
 * lib/metrics against the split's references. Deterministic given the seed.
 */
export async function referenceStatistics(path: string, opts: ReferenceOptions & { score?: ScoreOptions } = {}): Promise<ReferenceStatistics> {
  const loaded = load(path);
  const c = candidatesOf(loaded, opts);
  const scoreOpts: ScoreOptions = { metrics: DEFAULT_METRICS, ...opts.score };
  const row = async (cands: Map<ImageId, string>): Promise<ReferenceRow> => {
    const s = await scoreCaptions(c.references, cands, scoreOpts);
    return { corpus: s.corpus, perImage: s.perImage, meteor: s.meteor };
  };
  return {
    file: loaded.ds.file,
    split: c.split,
    images: c.references.size,
    seed: opts.seed ?? 0,
    train: c.train,
    randomCaption: await row(c.random),
    frequentCaption: { ...(await row(c.frequent.candidates)), caption: c.frequent.caption, count: c.frequent.count },
    verbatim: verbatimOf(loaded.ds, c.split),
    sixthAnnotator: c.heldout ? await row(c.heldout) : null,
  };
}
