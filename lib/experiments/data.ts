// Loading one embedded split (lib/embeddings/layout.ts) for the runner: raw text and image
// embeddings, the index (rows <-> image ids and captions) and the train-split means.
import { existsSync } from 'node:fs';
import { readEmbeddingMatrix, readNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { readJson } from '../util/fs.ts';
import { DbridgeError } from '../util/errors.ts';
import { folderPaths, type EmbeddingIndex } from '../embeddings/layout.ts';

export interface SplitEmbeddings {
  d: number;
  text: Float32Array;
  nText: number;
  image: Float32Array;
  nImage: number;
  index: EmbeddingIndex;
}

export function loadSplit(dir: string, split: string): SplitEmbeddings {
  const p = folderPaths(dir, split);
  if (!existsSync(p.index)) throw new DbridgeError(`no embedded split '${split}' in ${dir} (missing ${p.index})`);
  const t = readEmbeddingMatrix(p.text);
  const i = readEmbeddingMatrix(p.image, { dim: t.d });
  const index = readJson<EmbeddingIndex>(p.index, 'embedding index');
  if (index.texts.length !== t.n || index.images.length !== i.n) {
    throw new DbridgeError(`${p.index} lists ${index.texts.length} captions / ${index.images.length} images but the .npy files hold ${t.n} / ${i.n} rows`);
  }
  return { d: t.d, text: t.data, nText: t.n, image: i.data, nImage: i.n, index };
}

export function loadMeans(dir: string): { text: Float32Array; image: Float32Array } {
  const p = folderPaths(dir);
  return { text: toFloat32(readNpy(p.textMean)), image: toFloat32(readNpy(p.imageMean)) };
}

/** Image id -> reference captions of a split. */
export function referencesOf(s: SplitEmbeddings): Map<number | string, string[]> {
  const refs = new Map<number | string, string[]>();
  for (const im of s.index.images) refs.set(im.image_id, im.text_rows.map((r) => s.index.texts[r].caption));
  return refs;
}
