// Turning datasets into embedding jobs: Karpathy files (MSCOCO, Flickr30K, the world) and audio
// caption CSVs (AudioCaps, Clotho) become EmbedSplits, with a media loader reading files from a folder.
// Split order: train, val, test first (the layout's SPLITS), then any other split in file order.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SPLITS } from '../embeddings/layout.ts';
import { type KarpathyDataset } from '../data/karpathy.ts';
import { type AudioCaptionSet } from '../data/audiocaps.ts';
import { readImage } from '../data/images.ts';
import { readWav } from '../data/audiocaps.ts';
import { DbridgeError } from '../util/errors.ts';
import type { EmbedItem, EmbedSplit, Media } from './embed.ts';

function orderSplits(names: string[]): string[] {
  const known = SPLITS.filter((s) => names.includes(s)) as string[];
  return [...known, ...names.filter((n) => !known.includes(n))];
}

/** The splits of a Karpathy dataset (restval already merged by the loader), optionally only `only`. */
export function karpathyEmbedSplits(ds: KarpathyDataset, only?: string[]): EmbedSplit[] {
  const by = new Map<string, EmbedItem[]>();
  for (const im of ds.images) {
    let list = by.get(im.split);
    if (!list) by.set(im.split, (list = []));
    list.push({ id: im.id, file: im.file, captions: im.captions });
  }
  if (only) {
    const missing = only.filter((s) => !by.has(s));
    if (missing.length) throw new DbridgeError(`${ds.file} has no split ${missing.join(', ')} (it has ${[...by.keys()].join(', ')})`);
  }
  return orderSplits(only ?? [...by.keys()]).map((name) => ({ name, items: by.get(name)! }));
}

/** Audio caption sets given per split. */
export function audioEmbedSplits(sets: { split: string; set: AudioCaptionSet }[]): EmbedSplit[] {
  return orderSplits(sets.map((s) => s.split)).map((name) => {
    const { set } = sets.find((s) => s.split === name)!;
    return { name, items: set.clips.map((c) => ({ id: c.id, file: c.file, captions: c.captions })) };
  });
}

/** Reads images relative to `dir`. */
export function imageFolderLoader(dir: string): (item: EmbedItem) => Promise<Media> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DbridgeError(`image folder not found: ${dir}`);
  return (item) => readImage(join(dir, item.file));
}

/** Reads WAV clips relative to `dir`. */
export function audioFolderLoader(dir: string): (item: EmbedItem) => Promise<Media> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DbridgeError(`audio folder not found: ${dir}`);
  return async (item) => readWav(join(dir, item.file));
}

/** Names of the first `limit` media files that do not exist (a cheap check before a long run). */
export function missingMedia(dir: string, splits: EmbedSplit[], limit = 5): { missing: string[]; count: number } {
  const missing: string[] = [];
  let count = 0;
  for (const s of splits) for (const it of s.items) {
    if (!existsSync(join(dir, it.file))) { count++; if (missing.length < limit) missing.push(it.file); }
  }
  return { missing, count };
}

/**
 * The Karpathy-format JSON of a world folder: `dataset_world.json` (what `dbridge world` writes; its
 * `pretrain_world.json` holds only the encoder's pre-training split), else the only *.json file there
 * with an "images" array. Several candidates is an error asking for --karpathy.
 */
export function findKarpathyJson(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DbridgeError(`world folder not found: ${dir}`);
  if (existsSync(join(dir, 'dataset_world.json'))) return join(dir, 'dataset_world.json');
  const candidates = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .filter((f) => {
      try {
        const head = readFileSync(join(dir, f), 'utf8').slice(0, 4096);
        return /"images"\s*:\s*\[/.test(head);
      } catch {
        return false;
      }
    });
  if (candidates.length === 0) throw new DbridgeError(`${dir} has no Karpathy-format JSON (a *.json with an "images" array)`);
  if (candidates.length > 1) throw new DbridgeError(`${dir} has several Karpathy-format JSON files (${candidates.join(', ')}); pick one with --karpathy`);
  return join(dir, candidates[0]);
}

/**
 * A short content hash of the named files of a model folder (those that exist), plus `extra` settings:
 * identifies the weights an embedding was made with (the encoder's id alone names only the architecture).
 */
export function folderFingerprint(dir: string, files: string[], extra: Record<string, unknown> = {}): string {
  const h = createHash('sha256');
  let found = 0;
  for (const f of files) {
    const p = join(dir, f);
    if (!existsSync(p) || !statSync(p).isFile()) continue;
    found++;
    h.update(`${f}\0`);
    // in chunks: ONNX files of real models are hundreds of MB
    const fd = openSync(p, 'r');
    try {
      const buf = Buffer.alloc(16 << 20);
      let n: number;
      while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    h.update('\0');
  }
  if (found === 0) throw new DbridgeError(`${dir}: none of ${files.join(', ')} found to identify the model`);
  h.update(JSON.stringify(extra));
  return h.digest('hex').slice(0, 16);
}
