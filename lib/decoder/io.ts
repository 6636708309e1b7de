// File helpers of the decoder commands: caption lists (JSON list, EmbeddingIndex, or text lines),
// image ids from an index.json, the means next to an embedding folder, COCO results output, and a
// caption-metric scorer for best-epoch selection built on lib/metrics (imported lazily, so the
// decoder library does not depend on it).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { DbridgeError, checkFinite } from '../util/errors.ts';
import { readJson, requireFile, writeJsonAtomic } from '../util/fs.ts';
import type { EmbeddingIndex } from '../embeddings/layout.ts';
import type { CaptionScorer } from './train.ts';

/**
 * Captions from a file: a JSON list of strings, an EmbeddingIndex (`texts[].caption`), an object with
 * a `captions` list, or a text file with one caption per line. Throws on an empty list.
 */
export function readCaptions(path: string): string[] {
  requireFile(path, 'caption file');
  let caps: unknown;
  if (path.endsWith('.json')) {
    const j = readJson<unknown>(path, 'caption file');
    if (Array.isArray(j)) caps = j;
    else if (j && typeof j === 'object' && Array.isArray((j as EmbeddingIndex).texts)) caps = (j as EmbeddingIndex).texts.map((t) => t.caption);
    else if (j && typeof j === 'object' && Array.isArray((j as { captions?: unknown }).captions)) caps = (j as { captions: unknown[] }).captions;
    else throw new DbridgeError(`${path}: expected a JSON list of captions, an index.json with "texts", or {"captions": [...]}`);
  } else {
    caps = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  }
  const list = caps as unknown[];
  if (list.length === 0) throw new DbridgeError(`caption file ${path} is empty`);
  list.forEach((c, i) => {
    if (typeof c !== 'string') throw new DbridgeError(`${path}: caption ${i} is not a string`);
    if (c.trim() === '') throw new DbridgeError(`${path}: caption ${i} is empty`);
  });
  return list as string[];
}

/** Image ids of the rows of image.npy from an EmbeddingIndex (or a JSON list of ids). */
export function readImageIds(path: string, n: number): (string | number)[] {
  const j = readJson<unknown>(path, 'image index');
  let ids: unknown[];
  if (Array.isArray(j)) ids = j;
  else if (j && typeof j === 'object' && Array.isArray((j as EmbeddingIndex).images)) ids = (j as EmbeddingIndex).images.map((im) => im.image_id);
  else throw new DbridgeError(`${path}: expected an index.json with "images" or a JSON list of image ids`);
  if (ids.length !== n) throw new DbridgeError(`${path} lists ${ids.length} images but the embeddings have ${n} rows`);
  ids.forEach((id, i) => {
    if (typeof id !== 'string' && typeof id !== 'number') throw new DbridgeError(`${path}: image id ${i} is not a string or number`);
  });
  return ids as (string | number)[];
}

/** Reference captions per image row from an EmbeddingIndex. */
export function readReferences(path: string, n: number): string[][] {
  const j = readJson<EmbeddingIndex>(path, 'image index');
  if (!Array.isArray(j?.images) || !Array.isArray(j?.texts)) throw new DbridgeError(`${path}: expected an index.json with "images" and "texts"`);
  if (j.images.length !== n) throw new DbridgeError(`${path} lists ${j.images.length} images but the embeddings have ${n} rows`);
  return j.images.map((im) => im.text_rows.map((r) => {
    const t = j.texts[r];
    if (!t) throw new DbridgeError(`${path}: image ${im.image_id} refers to text row ${r}, which does not exist`);
    return t.caption;
  }));
}

/** A mean vector [D] (or [1, D]) from .npy. */
export function readVector(path: string, d: number, what: string): Float32Array {
  const a = readNpy(path);
  const shape = a.shape.filter((s) => s !== 1);
  if (shape.length > 1 || (shape.length === 1 ? shape[0] : 1) !== d) {
    throw new DbridgeError(`${path}: ${what} must have ${d} values (shape [${d}] or [1, ${d}]), got shape [${a.shape.join(', ')}]`);
  }
  const v = toFloat32(a);
  checkFinite(v, path);
  return v;
}

/**
 * `<root>/<name>` for embeddings stored as `<root>/<split>/<file>.npy` (the embedding folder layout),
 * when that file exists.
 */
export function siblingOfSplit(embeddingsPath: string, name: string): string | null {
  const root = dirname(dirname(embeddingsPath));
  // an audio folder keeps its mean in audio_mean.npy (lib/embeddings/layout.ts)
  const p = join(root, basename(embeddingsPath) === 'audio.npy' ? name.replace(/^image_/, 'audio_') : name);
  return existsSync(p) && ['text.npy', 'image.npy', 'audio.npy'].includes(basename(embeddingsPath)) ? p : null;
}

/** Writes COCO results [{image_id, caption}] atomically. */
export function writeCocoResults(path: string, ids: (string | number)[], captions: string[]): void {
  if (ids.length !== captions.length) throw new Error('writeCocoResults: ids and captions differ in length');
  writeJsonAtomic(path, ids.map((image_id, i) => ({ image_id, caption: captions[i] })));
}

export const SELECT_METRICS = ['METEOR', 'CIDEr', 'Bleu_4', 'ROUGE_L'] as const;
export type SelectMetric = (typeof SELECT_METRICS)[number];

/**
 * A scorer on lib/metrics (pycocoevalcap semantics). 'METEOR' (the official selection) uses the real
 * METEOR when meteor-1.5.jar is configured (env DBRIDGE_METEOR_JAR), else METEOR_approx.
 */
export async function metricScorer(metric: SelectMetric = 'METEOR'): Promise<{ scorer: CaptionScorer; name: string }> {
  if (!(SELECT_METRICS as readonly string[]).includes(metric)) throw new DbridgeError(`unknown selection metric '${metric}' (choose from ${SELECT_METRICS.join(', ')})`);
  let mod: typeof import('../metrics/index.ts');
  try {
    mod = await import('../metrics/index.ts');
  } catch (e) {
    throw new DbridgeError(`selection by ${metric} needs lib/metrics, which failed to load: ${(e as Error).message}`);
  }
  const which = metric === 'METEOR' ? 'meteor' : metric === 'CIDEr' ? 'cider' : metric === 'Bleu_4' ? 'bleu' : 'rouge';
  let name: string = metric;
  const scorer: CaptionScorer = async (cands, refs) => {
    const res = await mod.scoreCaptions(refs, cands, { metrics: [which] });
    const c = res.corpus as Record<string, number | null | undefined>;
    const v = metric === 'METEOR' ? c.METEOR ?? c.METEOR_approx : c[metric];
    if (metric === 'METEOR' && c.METEOR == null) name = 'METEOR_approx';
    if (v == null || !Number.isFinite(v)) throw new DbridgeError(`selection metric ${metric} could not be computed`);
    return v;
  };
  return { scorer, get name() { return name; } };
}
