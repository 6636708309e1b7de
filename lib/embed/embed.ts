// The batched, sharded, resumable embedding writer behind `dbridge embed`, for any Encoder (the
// world's dual encoder, CLIP, CLAP) and any dataset given as splits of items (a media file + its
// captions). Output: the layout of lib/embeddings/layout.ts — per split text.npy (one row per
// caption, file order), image.npy (audio.npy for clips; one row per item, file order), index.json;
// text_mean.npy and image_mean.npy / audio_mean.npy (mean of L2-normalised rows of the train split,
// docs/spec.md §1.1); meta.json, written last.
// Follows the paper's `parse_coco.py` (encode_text on each raw caption, encode_image on each image;
// stored raw) and `compute_embed_means.py` (means of normalised train rows).
//
// Resuming: work goes into <out>/.partial/. Each split is cut into shards of `shardSize` consecutive
// items; a finished shard is one .safetensors file (image rows + text rows of its items) written
// atomically, so a killed run leaves only whole shards. job.json fixes what the shards belong to (a
// fingerprint of encoder, dataset, items and shard size); a rerun with the same job reuses every
// finished shard and computes the rest; a different job in the same folder is an error. When all
// shards exist they are concatenated (streamed) into the final files and .partial/ is removed.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioClip, Encoder, RGBImage } from '../encoders/types.ts';
import { type EmbeddingIndex, type EmbeddingMeta, embeddingPaths } from '../embeddings/layout.ts';
import { DbridgeError } from '../util/errors.ts';
import { ensureDir, readJson, writeJsonAtomic } from '../util/fs.ts';
import { configHash, sha256, stableStringify } from '../util/hash.ts';
import { Progress } from '../util/progress.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { writeNpy } from '../io/npy.ts';
import { NpyF32Writer } from './npy-stream.ts';

export interface EmbedItem {
  id: number | string;
  /** Media path relative to the media folder (recorded in index.json). */
  file: string;
  captions: string[];
}

export interface EmbedSplit {
  name: string;
  items: EmbedItem[];
}

export type Media = RGBImage | AudioClip;

export interface EmbedOptions {
  outDir: string;
  encoder: Encoder;
  /** Dataset name recorded in meta.json ('coco', 'flickr30k', 'world', 'audiocaps', ...). */
  dataset: string;
  /** 'image' (encodeImage, image.npy) or 'audio' (encodeAudio, audio.npy). Default 'image'. */
  modality?: 'image' | 'audio';
  splits: EmbedSplit[];
  /** Reads one item's media (image or audio clip). */
  loadMedia(item: EmbedItem): Promise<Media>;
  /** Media per encoder call. Default 64. */
  batchSize?: number;
  /** Captions per encoder call. Default 256. */
  textBatchSize?: number;
  /** Items per resumable shard. Default 1024. Part of the job fingerprint. */
  shardSize?: number;
  /** Split whose rows give the modality means. Default 'train'; no means are written if it is absent. */
  meanSplit?: string;
  /** Keep <out>/.partial after finishing (default false). */
  keepShards?: boolean;
  /** Checked before every batch; when aborted the run stops, keeping finished shards. */
  signal?: AbortSignal;
  /** Called after every encoder batch (tests use it to interrupt). */
  onBatch?(info: { split: string; shard: number; kind: 'media' | 'text'; rows: number }): void;
  /**
   * What identifies the encoder's weights beyond its id (e.g. a hash of its model files; see
   * folderFingerprint in sources.ts). Part of the job fingerprint, so a retrained encoder never reuses shards
   * or a finished output of the old one.
   */
  encoderFingerprint?: string;
  /** Extra fields for meta.json (model path, device, ...). */
  extraMeta?: Record<string, unknown>;
  /** Show a progress bar (default true; DBRIDGE_QUIET=1 silences it anyway). */
  progress?: boolean;
}

export interface EmbedSummary {
  outDir: string;
  dim: number;
  fingerprint: string;
  /** Per split: items, captions, shards computed now and shards reused from an earlier run. */
  splits: Record<string, { items: number; captions: number; shardsComputed: number; shardsReused: number }>;
  alreadyComplete: boolean;
}

/** Thrown when `signal` aborts a run; finished shards are kept for the next run. */
export class EmbedInterrupted extends DbridgeError {
  constructor(readonly shardsDone: number, readonly shardsTotal: number, outDir: string) {
    super(`embedding interrupted after ${shardsDone}/${shardsTotal} shards; run the same command again to resume (${outDir}/.partial keeps the finished shards)`);
    this.name = 'EmbedInterrupted';
  }
}

interface JobFile {
  version: 1;
  fingerprint: string;
  encoder: string;
  dim: number;
  dataset: string;
  modality: string;
  shardSize: number;
  splits: { name: string; items: number; captions: number; shards: number }[];
}

const partialDir = (out: string) => join(out, '.partial');
const shardPath = (out: string, split: string, k: number) => join(partialDir(out), split, `shard-${String(k).padStart(6, '0')}.safetensors`);

function itemsHash(splits: EmbedSplit[]): string {
  // Hash split by split so a 600k-caption file does not build one giant string.
  return sha256(splits.map((s) => `${s.name}:${sha256(stableStringify(s.items.map((it) => [it.id, it.file, it.captions])))}`).join('|'));
}

function validateSplits(splits: EmbedSplit[]): void {
  if (splits.length === 0) throw new DbridgeError('embed: no splits to embed');
  const names = new Set<string>();
  for (const s of splits) {
    if (!/^[\w.-]+$/.test(s.name)) throw new DbridgeError(`embed: split name '${s.name}' is not a valid folder name`);
    if (names.has(s.name)) throw new DbridgeError(`embed: split '${s.name}' given twice`);
    names.add(s.name);
    if (s.items.length === 0) throw new DbridgeError(`embed: split '${s.name}' has no items`);
    s.items.forEach((it, i) => {
      if (!Array.isArray(it.captions)) throw new DbridgeError(`embed: split '${s.name}' item ${i} (${it.file}) has no captions array`);
    });
  }
}

function checkRows(data: Float32Array, rows: number, dim: number, what: string): void {
  if (data.length !== rows * dim) {
    throw new DbridgeError(`${what}: the encoder returned ${data.length} values for ${rows} inputs; expected ${rows} x ${dim}`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new DbridgeError(`${what}: the encoder returned ${data[i]} in row ${Math.floor(i / dim)}`);
  }
}

/** Adds the L2-normalised rows of `data` to `acc` (float64 sums). */
function addNormalised(acc: Float64Array, data: Float32Array, dim: number): void {
  for (let r = 0; r < data.length / dim; r++) {
    let n2 = 0;
    for (let j = 0; j < dim; j++) n2 += data[r * dim + j] * data[r * dim + j];
    const inv = 1 / Math.max(Math.sqrt(n2), 1e-12);
    for (let j = 0; j < dim; j++) acc[j] += data[r * dim + j] * inv;
  }
}

/**
 * Embeds every split into opts.outDir, resuming from finished shards of an interrupted run of the
 * same job. Throws EmbedInterrupted when opts.signal aborts.
 */
export async function embedDataset(opts: EmbedOptions): Promise<EmbedSummary> {
  const { outDir, encoder } = opts;
  const modality = opts.modality ?? 'image';
  const batchSize = opts.batchSize ?? 64;
  const textBatchSize = opts.textBatchSize ?? 256;
  const shardSize = opts.shardSize ?? 1024;
  for (const [k, v] of Object.entries({ batchSize, textBatchSize, shardSize })) {
    if (!Number.isInteger(v) || v <= 0) throw new DbridgeError(`embed: ${k} must be a positive integer, got ${v}`);
  }
  validateSplits(opts.splits);
  const encodeMedia = modality === 'image' ? encoder.encodeImage?.bind(encoder) : encoder.encodeAudio?.bind(encoder);
  if (!encodeMedia) throw new DbridgeError(`embed: encoder ${encoder.id} cannot encode ${modality}`);
  const dim = encoder.dim;
  if (!Number.isInteger(dim) || dim <= 0) throw new DbridgeError(`embed: encoder ${encoder.id} has invalid dim ${dim}`);

  const fingerprint = configHash({
    v: 1, encoder: encoder.id, weights: opts.encoderFingerprint, dim, dataset: opts.dataset, modality, shardSize, items: itemsHash(opts.splits),
  });
  const job: JobFile = {
    version: 1, fingerprint, encoder: encoder.id, dim, dataset: opts.dataset, modality, shardSize,
    splits: opts.splits.map((s) => ({
      name: s.name, items: s.items.length, captions: s.items.reduce((a, it) => a + it.captions.length, 0),
      shards: Math.ceil(s.items.length / shardSize),
    })),
  };
  const summary: EmbedSummary = { outDir, dim, fingerprint, splits: {}, alreadyComplete: false };
  for (const s of job.splits) summary.splits[s.name] = { items: s.items, captions: s.captions, shardsComputed: 0, shardsReused: 0 };

  // A finished output of the same job: nothing to do. Of another job: refuse to mix.
  const metaPath = embeddingPaths(outDir).meta;
  if (existsSync(metaPath)) {
    const meta = readJson<EmbeddingMeta & { fingerprint?: string }>(metaPath, 'embedding meta');
    if (meta.fingerprint === fingerprint) { summary.alreadyComplete = true; return summary; }
    throw new DbridgeError(
      `${outDir} already holds embeddings of another job (encoder ${meta.encoder}, dataset ${meta.dataset}; ` +
        'different weights, items or settings); use another --out or delete it',
    );
  }
  const jobPath = join(partialDir(outDir), 'job.json');
  if (existsSync(jobPath)) {
    const old = readJson<JobFile>(jobPath, 'partial embedding job');
    if (old.fingerprint !== fingerprint) {
      throw new DbridgeError(
        `${outDir}/.partial holds shards of a different job (encoder ${old.encoder}, dataset ${old.dataset}, ` +
          `shard size ${old.shardSize}); delete ${partialDir(outDir)} or use another --out`,
      );
    }
  } else {
    ensureDir(partialDir(outDir));
    writeJsonAtomic(jobPath, job);
  }

  // Which shards are done already.
  const todo: { split: EmbedSplit; k: number }[] = [];
  let totalShards = 0;
  for (const split of opts.splits) {
    const n = Math.ceil(split.items.length / shardSize);
    totalShards += n;
    for (let k = 0; k < n; k++) {
      if (shardValid(outDir, split, k, shardSize, dim, fingerprint)) summary.splits[split.name].shardsReused++;
      else todo.push({ split, k });
    }
  }
  const remainingItems = todo.reduce((a, t) => a + Math.min(shardSize, t.split.items.length - t.k * shardSize), 0);
  const progress = opts.progress === false ? null : new Progress({ total: remainingItems, label: `embed ${opts.dataset}`, unit: modality === 'image' ? 'images' : 'clips' });
  let itemsDone = 0;
  let shardsDone = totalShards - todo.length;

  const checkAbort = () => {
    if (opts.signal?.aborted) throw new EmbedInterrupted(shardsDone, totalShards, outDir);
  };

  for (const { split, k } of todo) {
    checkAbort();
    const items = split.items.slice(k * shardSize, (k + 1) * shardSize);
    const image = new Float32Array(items.length * dim);
    // Reading (decoding) the next batch overlaps with encoding this one.
    const load = (b: number) => {
      const p = Promise.all(items.slice(b, b + batchSize).map((it) => opts.loadMedia(it)));
      p.catch(() => undefined); // handled when awaited; avoids an unhandled rejection if the run stops first
      return p;
    };
    let next: Promise<Media[]> | null = load(0);
    for (let b = 0; b < items.length; b += batchSize) {
      checkAbort();
      const batch = items.slice(b, b + batchSize);
      const media = await next!;
      next = b + batchSize < items.length ? load(b + batchSize) : null;
      const out = await encodeMedia(media as RGBImage[] & AudioClip[]);
      checkRows(out, batch.length, dim, `${split.name} ${modality} batch at item ${k * shardSize + b}`);
      image.set(out, b * dim);
      itemsDone += batch.length;
      progress?.update(itemsDone);
      opts.onBatch?.({ split: split.name, shard: k, kind: 'media', rows: batch.length });
    }
    const captions = items.flatMap((it) => it.captions);
    const text = new Float32Array(captions.length * dim);
    for (let b = 0; b < captions.length; b += textBatchSize) {
      checkAbort();
      const batch = captions.slice(b, b + textBatchSize);
      const out = await encoder.encodeText(batch);
      checkRows(out, batch.length, dim, `${split.name} text batch at caption ${b} of shard ${k}`);
      text.set(out, b * dim);
      opts.onBatch?.({ split: split.name, shard: k, kind: 'text', rows: batch.length });
    }
    writeSafetensors(shardPath(outDir, split.name, k), {
      image: { dtype: 'float32', shape: [items.length, dim], data: image },
      text: { dtype: 'float32', shape: [captions.length, dim], data: text },
    }, { fingerprint, split: split.name, shard: String(k), start: String(k * shardSize), items: String(items.length), captions: String(captions.length) });
    summary.splits[split.name].shardsComputed++;
    shardsDone++;
  }
  if (progress && itemsDone === 0) progress.finish(); // otherwise the last update already printed the final line

  finalize(opts, job, fingerprint);
  if (!opts.keepShards) rmSync(partialDir(outDir), { recursive: true, force: true });
  return summary;
}

/** Reads only a safetensors header (JSON) and checks the file is as long as the header says. */
function shardHeader(path: string): { header: Record<string, { shape?: number[]; data_offsets?: number[] }>; metadata: Record<string, string> } | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const lenBuf = Buffer.alloc(8);
    if (size < 8 || readSync(fd, lenBuf, 0, 8, 0) !== 8) return null;
    const len = Number(lenBuf.readBigUInt64LE(0));
    if (len > size - 8 || len > 1 << 20) return null;
    const hb = Buffer.alloc(len);
    readSync(fd, hb, 0, len, 8);
    const raw = JSON.parse(hb.toString('utf8')) as Record<string, unknown>;
    const metadata = (raw.__metadata__ ?? {}) as Record<string, string>;
    delete raw.__metadata__;
    const header = raw as Record<string, { shape?: number[]; data_offsets?: number[] }>;
    const end = Math.max(0, ...Object.values(header).map((t) => Number(t.data_offsets?.[1] ?? 0)));
    if (8 + len + end !== size) return null;
    return { header, metadata };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function shardValid(outDir: string, split: EmbedSplit, k: number, shardSize: number, dim: number, fingerprint: string): boolean {
  const path = shardPath(outDir, split.name, k);
  if (!existsSync(path)) return false;
  const items = split.items.slice(k * shardSize, (k + 1) * shardSize);
  const captions = items.reduce((a, it) => a + it.captions.length, 0);
  const h = shardHeader(path); // unreadable (should not happen with atomic writes): recompute
  if (!h) return false;
  const img = h.header.image?.shape, txt = h.header.text?.shape;
  return h.metadata.fingerprint === fingerprint && img !== undefined && txt !== undefined &&
    img[0] === items.length && img[1] === dim && txt[0] === captions && txt[1] === dim;
}

/** Concatenates the shards into the final layout, computes the means, writes meta.json last. */
function finalize(opts: EmbedOptions, job: JobFile, fingerprint: string): void {
  const { outDir } = opts;
  const dim = job.dim;
  const meanSplit = opts.meanSplit ?? 'train';
  let textAcc: Float64Array | null = null, imageAcc: Float64Array | null = null;
  let nText = 0, nImage = 0;
  for (const split of opts.splits) {
    const info = job.splits.find((s) => s.name === split.name)!;
    const paths = embeddingPaths(outDir, split.name, job.modality);
    removeStaleTemps(join(outDir, split.name));
    const tw = new NpyF32Writer(paths.text, info.captions, dim);
    const iw = new NpyF32Writer(paths.image, info.items, dim);
    const isMean = split.name === meanSplit;
    if (isMean) { textAcc = new Float64Array(dim); imageAcc = new Float64Array(dim); nText = info.captions; nImage = info.items; }
    try {
      for (let k = 0; k < info.shards; k++) {
        const st = readSafetensors(shardPath(outDir, split.name, k));
        const img = st.tensors.get('image')!.data as Float32Array, txt = st.tensors.get('text')!.data as Float32Array;
        iw.append(img);
        tw.append(txt);
        if (isMean) { addNormalised(imageAcc!, img, dim); addNormalised(textAcc!, txt, dim); }
      }
      tw.finish();
      iw.finish();
    } catch (e) {
      tw.abort();
      iw.abort();
      throw e;
    }
    const index: EmbeddingIndex = { split: split.name, images: [], texts: [] };
    for (const it of split.items) {
      const rows: number[] = [];
      for (const c of it.captions) { rows.push(index.texts.length); index.texts.push({ image_id: it.id, caption: c }); }
      index.images.push({ image_id: it.id, file: it.file, text_rows: rows });
    }
    writeJsonAtomic(paths.index, index);
  }
  const p = embeddingPaths(outDir, undefined, job.modality);
  const hasMeans = textAcc !== null && imageAcc !== null && nText > 0 && nImage > 0;
  if (hasMeans) {
    writeNpy(p.textMean, { dtype: 'float32', shape: [dim], data: Float32Array.from(textAcc!, (v) => v / nText) });
    writeNpy(p.imageMean, { dtype: 'float32', shape: [dim], data: Float32Array.from(imageAcc!, (v) => v / nImage) });
  }
  const meta: EmbeddingMeta & Record<string, unknown> = {
    ...opts.extraMeta,
    encoder: opts.encoder.id,
    dataset: opts.dataset,
    modality: job.modality,
    dim,
    splits: opts.splits.map((s) => s.name),
    means_from: hasMeans ? meanSplit : null,
    counts: Object.fromEntries(job.splits.map((s) => [s.name, { items: s.items, captions: s.captions }])),
    fingerprint,
    encoder_fingerprint: opts.encoderFingerprint ?? null,
  };
  writeJsonAtomic(p.meta, meta);
}

/** Temp files left by a run killed while writing (atomic writes never leave anything else). */
function removeStaleTemps(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
}

/** Lists split folders that an embedding directory holds (for tools that read it back). */
export function embeddedSplits(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(embeddingPaths(dir, d.name).index))
    .map((d) => d.name);
}
