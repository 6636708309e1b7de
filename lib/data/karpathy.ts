// Loader for Karpathy-split caption files: `dataset_coco.json` (MSCOCO), `dataset_flickr30k.json`
// (Flickr30K) and the built-in world, which writes the same format. Follows the files of
// Karpathy's NeuralTalk release (`{"images": [{"filepath"?, "filename", "imgid", "split", "cocoid"?,
// "sentences": [{"raw", "tokens", ...}], ...}], "dataset": "coco"}`) and the paper's `parse_coco.py`,
// which merges `restval` into `train`. Image ids: `cocoid` when present (COCO), otherwise `imgid`
// (Flickr30K and the world). Captions are the untokenised `raw` strings, in file order.
// Divergence: nothing is dropped or de-duplicated; a malformed entry is an error naming the entry,
// never skipped silently.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DbridgeError } from '../util/errors.ts';

/** Split names of the real Karpathy files. */
export const KARPATHY_SPLITS = ['train', 'val', 'test', 'restval'] as const;

export interface KarpathyImage {
  /** Split after merging (`restval` becomes `train` when mergeRestval). */
  split: string;
  /** Split as written in the file. */
  originalSplit: string;
  /** Path relative to the image folder: `filepath/filename` (COCO) or `filename`. */
  file: string;
  /** `cocoid` when present, else `imgid`. */
  id: number | string;
  /** The `raw` captions, in file order. */
  captions: string[];
}

export interface KarpathyDataset {
  /** The file's own `dataset` field ('coco', 'flickr30k', ...), or the requested name when the file has none. */
  dataset: string;
  file: string;
  images: KarpathyImage[];
}

export interface KarpathyOptions {
  /** Expected dataset ('coco', 'flickr30k', 'world', ...). When the file names another, it is an error. */
  dataset?: string;
  /** Merge `restval` into `train` (the paper does). Default true. */
  mergeRestval?: boolean;
  /** Allowed split names. Default: the real ones for coco/flickr30k, any name otherwise. */
  splits?: readonly string[];
}

const REAL = new Set(['coco', 'flickr30k', 'flickr8k']);

/** Parses and validates a Karpathy JSON object (already parsed); `name` is used in errors. */
export function parseKarpathy(json: unknown, name: string, opts: KarpathyOptions = {}): KarpathyDataset {
  const bad = (why: string) => new DbridgeError(`${name}: not a Karpathy split file: ${why}`);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad('the top level must be an object with an "images" array');
  const top = json as Record<string, unknown>;
  if (!Array.isArray(top.images)) throw bad('missing the "images" array');
  const fileDataset = typeof top.dataset === 'string' ? top.dataset : undefined;
  if (top.dataset !== undefined && fileDataset === undefined) throw bad('"dataset" must be a string');
  if (opts.dataset && fileDataset && fileDataset !== opts.dataset) {
    throw new DbridgeError(`${name}: the file is for dataset '${fileDataset}', not '${opts.dataset}'`);
  }
  const dataset = fileDataset ?? opts.dataset ?? 'unknown';
  const mergeRestval = opts.mergeRestval ?? true;
  const allowed = opts.splits ?? (REAL.has(dataset) ? KARPATHY_SPLITS : undefined);
  if (top.images.length === 0) throw bad('"images" is empty');
  const seen = new Map<string, number>();
  const images: KarpathyImage[] = [];
  top.images.forEach((raw: unknown, i: number) => {
    const at = `images[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad(`${at} is not an object`);
    const im = raw as Record<string, unknown>;
    if (typeof im.filename !== 'string' || im.filename.length === 0) throw bad(`${at} has no "filename" string`);
    if (im.filepath !== undefined && typeof im.filepath !== 'string') throw bad(`${at} "filepath" must be a string`);
    if (typeof im.split !== 'string') throw bad(`${at} (${im.filename}) has no "split" string`);
    if (allowed && !allowed.includes(im.split)) {
      throw bad(`${at} (${im.filename}) has split '${im.split}'; expected one of ${allowed.join(', ')}`);
    }
    let id: number | string;
    if (im.cocoid !== undefined) {
      if (!Number.isInteger(im.cocoid)) throw bad(`${at} (${im.filename}) "cocoid" must be an integer`);
      id = im.cocoid as number;
    } else if (im.imgid !== undefined) {
      if (!Number.isInteger(im.imgid) && typeof im.imgid !== 'string') throw bad(`${at} (${im.filename}) "imgid" must be an integer or string`);
      id = im.imgid as number | string;
    } else {
      throw bad(`${at} (${im.filename}) has neither "cocoid" nor "imgid"`);
    }
    if (dataset === 'coco' && im.cocoid === undefined) throw bad(`${at} (${im.filename}) has no "cocoid" (required for coco)`);
    const key = `${typeof id}:${id}`;
    if (seen.has(key)) throw bad(`${at} (${im.filename}) repeats image id ${id} of images[${seen.get(key)}]`);
    seen.set(key, i);
    if (!Array.isArray(im.sentences)) throw bad(`${at} (${im.filename}) has no "sentences" array`);
    if (im.sentences.length === 0) throw bad(`${at} (${im.filename}) has no sentences`);
    const captions = im.sentences.map((s: unknown, j: number) => {
      const sRaw = s && typeof s === 'object' ? (s as Record<string, unknown>).raw : undefined;
      if (typeof sRaw !== 'string') throw bad(`${at} (${im.filename}) sentences[${j}] has no "raw" string`);
      if (sRaw.trim().length === 0) throw bad(`${at} (${im.filename}) sentences[${j}] is an empty caption`);
      return sRaw;
    });
    const file = im.filepath ? join(im.filepath as string, im.filename) : im.filename;
    const split = mergeRestval && im.split === 'restval' ? 'train' : im.split;
    images.push({ split, originalSplit: im.split, file, id, captions });
  });
  return { dataset, file: name, images };
}

/** Reads a Karpathy split file (dataset_coco.json, dataset_flickr30k.json, the world's JSON). */
export function loadKarpathy(file: string, opts: KarpathyOptions = {}): KarpathyDataset {
  if (!existsSync(file)) throw new DbridgeError(`Karpathy split file not found: ${file}`);
  if (!statSync(file).isFile()) throw new DbridgeError(`Karpathy split file ${file} is not a file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DbridgeError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseKarpathy(json, file, opts);
}

/** Images of one split, in file order. */
export function karpathySplit(ds: KarpathyDataset, split: string): KarpathyImage[] {
  return ds.images.filter((im) => im.split === split);
}

/** Counts per split: images and captions. */
export function karpathyCounts(ds: KarpathyDataset): Record<string, { images: number; captions: number }> {
  const out: Record<string, { images: number; captions: number }> = {};
  for (const im of ds.images) {
    const c = (out[im.split] ??= { images: 0, captions: 0 });
    c.images++;
    c.captions += im.captions.length;
  }
  return out;
}
