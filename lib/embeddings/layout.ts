// The on-disk layout of embedded data, shared by every encoder and dataset:
//   <dir>/<split>/text.npy     float32 [n_captions, D]  one row per caption, in file order (raw encoder output)
//   <dir>/<split>/image.npy    float32 [n_images, D]    one row per image, in file order (raw); audio.npy for clips
//   <dir>/<split>/index.json   EmbeddingIndex: rows to image ids and captions
//   <dir>/text_mean.npy        float32 [D]  mean of L2-normalised train-split text embeddings (docs/spec.md §1.1)
//   <dir>/image_mean.npy       float32 [D]  mean of L2-normalised train-split image embeddings (audio_mean.npy)
// The non-text modality (meta.json `modality`) names its files; everything else is the same for
// every modality. Readers resolve it with embeddingModality(dir).
//   <dir>/meta.json            EmbeddingMeta: encoder, dataset, modality, dim, splits
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DbridgeError } from '../util/errors.ts';

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export interface EmbeddingIndex {
  split: string;
  /** For each row of image.npy: its image id, file name and the text.npy rows of its captions. */
  images: { image_id: number | string; file: string; text_rows: number[] }[];
  /** For each row of text.npy: the image it describes and the raw caption. */
  texts: { image_id: number | string; caption: string }[];
}

export interface EmbeddingMeta {
  encoder: string;
  dataset: string;
  /** Name of the non-text modality ('image', 'audio'): its rows are in <modality>.npy. */
  modality: string;
  dim: number;
  splits: string[];
}

export const MODALITIES = ['image', 'audio'] as const;

/** Paths of an embeddings folder; `image` / `imageMean` are the non-text modality's files (image.npy or audio.npy). */
export const embeddingPaths = (dir: string, split?: string, modality = 'image') => {
  if (!(MODALITIES as readonly string[]).includes(modality)) throw new DbridgeError(`unknown embedding modality '${modality}' (${MODALITIES.join(' or ')})`);
  return {
    text: join(dir, split ?? '', 'text.npy'),
    image: join(dir, split ?? '', `${modality}.npy`),
    index: join(dir, split ?? '', 'index.json'),
    textMean: join(dir, 'text_mean.npy'),
    imageMean: join(dir, `${modality}_mean.npy`),
    meta: join(dir, 'meta.json'),
  };
};

/** The non-text modality of an embeddings folder: meta.json's `modality`, else 'image'. */
export function embeddingModality(dir: string): string {
  const meta = join(dir, 'meta.json');
  if (!existsSync(meta)) return 'image';
  try {
    return (JSON.parse(readFileSync(meta, 'utf8')) as Partial<EmbeddingMeta>).modality ?? 'image';
  } catch {
    throw new DbridgeError(`${meta} is not valid JSON`);
  }
}

/** embeddingPaths of an existing folder, with its own modality. */
export const folderPaths = (dir: string, split?: string) => embeddingPaths(dir, split, embeddingModality(dir));
