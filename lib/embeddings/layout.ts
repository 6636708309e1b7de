// The on-disk layout of embedded data, shared by every encoder and dataset:
//   <dir>/<split>/text.npy     float32 [n_captions, D]  one row per caption, in file order (raw encoder output)
//   <dir>/<split>/image.npy    float32 [n_images, D]    one row per image (or audio clip), in file order (raw)
//   <dir>/<split>/index.json   EmbeddingIndex: rows to image ids and captions
//   <dir>/text_mean.npy        float32 [D]  mean of L2-normalised train-split text embeddings (docs/spec.md §1.1)
//   <dir>/image_mean.npy       float32 [D]  mean of L2-normalised train-split image embeddings
//   <dir>/meta.json            EmbeddingMeta: encoder, dataset, modality, dim, splits
import { join } from 'node:path';

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
  /** Name of the non-text modality ('image', 'audio'); the file is still called image.npy. */
  modality: string;
  dim: number;
  splits: string[];
}

export const embeddingPaths = (dir: string, split?: string) => ({
  text: join(dir, split ?? '', 'text.npy'),
  image: join(dir, split ?? '', 'image.npy'),
  index: join(dir, split ?? '', 'index.json'),
  textMean: join(dir, 'text_mean.npy'),
  imageMean: join(dir, 'image_mean.npy'),
  meta: join(dir, 'meta.json'),
});
