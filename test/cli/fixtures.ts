// Tiny inputs shared by the CLI safety tests: a diffusion checkpoint imported from the small
// official Unet1D fixture (L = 64), embeddings to bridge, and a caption-embedding folder for the
// decoder commands (4 captions, D = 16). Each call makes fresh files in a new temporary folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.ts';
import { writeNpy } from '../../lib/io/npy.ts';
import { writeJsonAtomic } from '../../lib/util/fs.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { FIXTURES, tmpDir } from '../helpers.ts';

export const SMALL_UNET = ['--dim', '64', '--init-dim', '8', '--dim-mults', '1,2', '--length', '64'];
export const SMALL_STATE_DICT = join(FIXTURES, 'diffusion', 'unet1d_small.safetensors');

/** Runs the CLI in process with console.log silenced; resolves to what it printed. */
export async function cli(argv: string[]): Promise<string> {
  const log = console.log; const out: string[] = [];
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  try { await main([...argv, '--quiet', '--backend', 'wasm']); } finally { console.log = log; }
  return out.join('\n');
}

/** A predicate for assert.rejects: a one-line DbridgeError matching `re`. */
export const oneLine = (re: RegExp) => (e: unknown) => e instanceof DbridgeError && re.test(e.message) && !e.message.includes('\n');

/** A small diffusion checkpoint and N x 64 raw embeddings with their mean. */
export async function smallBridgeSetup(n = 4): Promise<{ dir: string; ck: string; input: string; mean: string }> {
  const dir = tmpDir('cli-safety-');
  const ck = join(dir, 'ck');
  await cli(['import-official', '--state-dict', SMALL_STATE_DICT, ...SMALL_UNET, '--out', ck]);
  const rng = new Rng(7);
  const input = join(dir, 'x.npy'), mean = join(dir, 'mean.npy');
  writeNpy(input, { dtype: 'float32', shape: [n, 64], data: rng.normals(n * 64) });
  writeNpy(mean, { dtype: 'float32', shape: [64], data: rng.normals(64).map((v) => v * 0.05) });
  return { dir, ck, input, mean };
}

export const CAPTIONS = ['A red circle.', 'A blue square.', 'A green star.', 'Two red circles.'];

/** <root>/train/{text,image}.npy + index.json and text_mean.npy (D = 16). */
export function captionFolder(): string {
  const root = tmpDir('cli-dec-');
  const rng = new Rng(11);
  const D = 16;
  mkdirSync(join(root, 'train'), { recursive: true });
  writeNpy(join(root, 'train', 'text.npy'), { dtype: 'float32', shape: [CAPTIONS.length, D], data: rng.normals(CAPTIONS.length * D) });
  writeNpy(join(root, 'train', 'image.npy'), { dtype: 'float32', shape: [CAPTIONS.length, D], data: rng.normals(CAPTIONS.length * D) });
  writeJsonAtomic(join(root, 'train', 'index.json'), {
    split: 'train',
    images: CAPTIONS.map((_, i) => ({ image_id: 100 + i, file: `${i}.png`, text_rows: [i] })),
    texts: CAPTIONS.map((caption, i) => ({ image_id: 100 + i, caption })),
  });
  writeNpy(join(root, 'text_mean.npy'), { dtype: 'float32', shape: [D], data: rng.normals(D).map((v) => v * 0.05) });
  return root;
}

/** train-decoder arguments for a 1-layer, 1-epoch decoder on captionFolder(). */
export function tinyDecoderArgs(root: string, out: string, extra: string[] = [], epochs = '1'): string[] {
  return ['train-decoder', '--embeddings', join(root, 'train', 'text.npy'), '--captions', join(root, 'train', 'index.json'),
    '--treatment', 'capdec', '--out', out, '--layers', '1', '--width', '16', '--heads', '2', '--prefix-length', '2',
    '--epochs', epochs, '--batch-size', '2', ...extra];
}
