// The world's dual encoder (issue 4): a CLIP-like pair of towers projected to a shared D, small
// enough to train in a couple of minutes on a 2-core CPU (wasm).
//   image tower: a convolutional stem written as patch matmuls (conv 4x4 stride 4 to `stemWidth`
//     channels, GELU, [conv 2x2 stride 2 to `stemWidth2`, GELU,] then a conv over each token's
//     block of those to `width`: an imageGrid x imageGrid grid of tokens; tfjs-wasm has no conv
//     weight gradient, so the patches are cut on the host and each conv is a lib/nn linear), learned
//     position embeddings, `imageLayers` pre-LN transformer blocks, mean+max pooling over tokens,
//     LayerNorm, projection head to D (CLIP's ViT: ln_post + proj).
//   projection heads: with headHidden = 0 a linear map to D, as CLIP; with headHidden = H a
//     two-layer head (linear to H, GELU, linear to D), so the embeddings are not confined to the
//     tower width's subspace of D (a linear map from width 64 to D = 256 has rank 64 at most).
//   text tower: token + position embeddings over the real CLIP BPE ids (compact table, see
//     tokenizer.ts), `textLayers` pre-LN transformer blocks with a padding mask, final
//     LayerNorm, mean over the caption's tokens, linear projection to D.
//   logit scale: CLIP's, clamped at ln(100); trained as fixed at 1/0.01 by default (world.ts).
// Divergences from CLIP: the text tower pools by the mean over tokens instead of the
// <|endoftext|> feature and attends bidirectionally (no causal mask); the image stem is a small
// CNN instead of one big patch convolution, and image tokens are pooled by mean and max instead of
// a class token. The loss is CLIP's symmetric InfoNCE.
import { tf } from '../tf.ts';
import { ParamStore, attention, embedding, geluErf, init, layerNorm, linear, matMul2d } from '../nn/index.ts';
import { Rng } from '../util/rng.ts';

export interface WorldEncoderArch {
  /** Shared embedding dimension D. */
  dim: number;
  /** Input image side (pixels); imageSize / imageGrid must be a multiple of 4. */
  imageSize: number;
  /** Image tokens per side: each token sees an (imageSize / imageGrid)-pixel square. */
  imageGrid: number;
  stemWidth: number;
  /**
   * 2: conv 4x4 to stemWidth, GELU, one linear map over the token's square to width. 3: a middle
   * conv 2x2 (8-pixel cells) to stemWidth2 and GELU between them, weights shared across the
   * token's cells (more nonlinearity and translation sharing for about the same cost).
   */
  stemDepth: 2 | 3;
  stemWidth2: number;
  width: number;
  heads: number;
  mlpRatio: number;
  imageLayers: number;
  textLayers: number;
  /** CLIP context length (tokens including <|startoftext|> and <|endoftext|>). */
  contextLength: number;
  /** Hidden width of the projection heads; 0 = a linear projection (CLIP's). */
  headHidden: number;
  /** How image tokens are pooled: 'max' finds small objects among background tokens; 'mean' is ViT-like. */
  imagePool: 'mean' | 'max' | 'meanmax';
  /** Compact vocabulary: CLIP ids with a row in the token table (rows 0/1 are pad/unk). */
  vocab: number[];
}

/** Defaults chosen from measurements on the 2-core CPU (docs/world.md): one block per tower at
 * width 64 learns the world's attributes fastest per CPU second; mean+max pooling lets the image
 * tower find small objects among background tokens (mean pooling alone learned only the domain).
 * D = 256: a wide shared space keeps a modality gap after mean removal, as CLIP's 512 does (Liang
 * et al. 2022: initialisation + low temperature); at D = 64 the towers align almost fully. */
export const DEFAULT_ARCH: Omit<WorldEncoderArch, 'vocab'> = {
  dim: 256,
  imageSize: 64,
  imageGrid: 4,
  stemWidth: 32,
  stemDepth: 3,
  stemWidth2: 64,
  width: 64,
  heads: 2,
  mlpRatio: 2,
  imageLayers: 1,
  textLayers: 1,
  contextLength: 32,
  imagePool: 'meanmax',
  headHidden: 0,
};

export const LOGIT_SCALE_INIT = Math.log(1 / 0.07);
export const LOGIT_SCALE_MAX = Math.log(100);

const SUB = 4; // stem patch (pixels)

/** Number of image tokens after the stem. */
export function imageTokens(arch: Pick<WorldEncoderArch, 'imageGrid'>): number {
  return arch.imageGrid ** 2;
}

/** 4x4 stem patches per token. */
export function subPatches(arch: Pick<WorldEncoderArch, 'imageSize' | 'imageGrid'>): number {
  return (arch.imageSize / arch.imageGrid / SUB) ** 2;
}

/** Whether the image geometry is valid: tokens of a whole number of 4x4 stem patches (8x8 cells for the depth-3 stem). */
export function validImageGeometry(arch: Pick<WorldEncoderArch, 'imageSize' | 'imageGrid' | 'stemDepth'>): boolean {
  const t = arch.imageSize / arch.imageGrid;
  return Number.isInteger(arch.imageGrid) && arch.imageGrid >= 1 && Number.isInteger(t) && t % (arch.stemDepth === 3 ? 2 * SUB : SUB) === 0;
}

/** Adds the parameters of one pre-LN transformer block `name` (width, MLP ratio `mlp`). */
export function addBlock(p: ParamStore, rng: Rng, name: string, width: number, mlp: number): void {
  p.add(`${name}.ln1.g`, init.ones([width]));
  p.add(`${name}.ln1.b`, init.zeros([width]));
  p.add(`${name}.qkv.w`, init.normal(rng, [width, 3 * width], width ** -0.5));
  p.add(`${name}.qkv.b`, init.zeros([3 * width]));
  p.add(`${name}.proj.w`, init.normal(rng, [width, width], width ** -0.5 * 0.5));
  p.add(`${name}.proj.b`, init.zeros([width]));
  p.add(`${name}.ln2.g`, init.ones([width]));
  p.add(`${name}.ln2.b`, init.zeros([width]));
  p.add(`${name}.fc1.w`, init.normal(rng, [width, mlp * width], width ** -0.5));
  p.add(`${name}.fc1.b`, init.zeros([mlp * width]));
  p.add(`${name}.fc2.w`, init.normal(rng, [mlp * width, width], (mlp * width) ** -0.5 * 0.5));
  p.add(`${name}.fc2.b`, init.zeros([width]));
}

/** Creates the parameters of a fresh encoder (seeded). */
export function createWorldEncoderParams(arch: WorldEncoderArch, seed: number): ParamStore {
  const p = new ParamStore();
  const rng = new Rng(seed).fork('world-encoder-init');
  const { width: W, stemWidth: C, mlpRatio: m, dim: D } = arch;
  const patch = SUB * SUB * 3;
  p.add('image.stem1.w', init.normal(rng, [patch, C], patch ** -0.5));
  p.add('image.stem1.b', init.zeros([C]));
  if (arch.stemDepth === 3) {
    const C2 = arch.stemWidth2, K = (subPatches(arch) / 4) * C2;
    p.add('image.stem2.w', init.normal(rng, [4 * C, C2], (4 * C) ** -0.5));
    p.add('image.stem2.b', init.zeros([C2]));
    p.add('image.stem3.w', init.normal(rng, [K, W], K ** -0.5));
    p.add('image.stem3.b', init.zeros([W]));
  } else {
    const K = subPatches(arch) * C;
    p.add('image.stem2.w', init.normal(rng, [K, W], K ** -0.5));
    p.add('image.stem2.b', init.zeros([W]));
  }
  p.add('image.pos', init.normal(rng, [imageTokens(arch), W], 0.02));
  for (let i = 0; i < arch.imageLayers; i++) addBlock(p, rng, `image.block${i}`, W, m);
  const P = arch.imagePool === 'meanmax' ? 2 * W : W;
  p.add('image.ln_post.g', init.ones([P]));
  p.add('image.ln_post.b', init.zeros([P]));
  addHead(p, rng, 'image', P, arch.headHidden, D);
  addTextTower(p, rng, arch);
  p.add('logit_scale', tf.scalar(LOGIT_SCALE_INIT));
  return p;
}

/** What the text tower needs from an architecture (the sound world's encoder shares this tower). */
export type TextTowerArch = Pick<WorldEncoderArch, 'dim' | 'width' | 'heads' | 'mlpRatio' | 'textLayers' | 'contextLength' | 'vocab'> & { headHidden?: number };

/** Adds the text tower's parameters (`text.*`), drawing from `rng` in a fixed order. */
export function addTextTower(p: ParamStore, rng: Rng, arch: TextTowerArch): void {
  const { width: W, mlpRatio: m, dim: D } = arch;
  p.add('text.tok', init.normal(rng, [arch.vocab.length + 2, W], 0.02));
  p.add('text.pos', init.normal(rng, [arch.contextLength, W], 0.01));
  for (let i = 0; i < arch.textLayers; i++) addBlock(p, rng, `text.block${i}`, W, m);
  p.add('text.ln_final.g', init.ones([W]));
  p.add('text.ln_final.b', init.zeros([W]));
  addHead(p, rng, 'text', W, arch.headHidden ?? 0, D);
}

/** A tower's projection to D: linear (hidden = 0), or linear to `hidden`, GELU, linear to D. */
function addHead(p: ParamStore, rng: Rng, tower: string, from: number, hidden: number, D: number): void {
  if (hidden > 0) {
    p.add(`${tower}.head.w`, init.normal(rng, [from, hidden], from ** -0.5));
    p.add(`${tower}.head.b`, init.zeros([hidden]));
    p.add(`${tower}.proj`, init.normal(rng, [hidden, D], hidden ** -0.5));
  } else {
    p.add(`${tower}.proj`, init.normal(rng, [from, D], from ** -0.5));
  }
}

function head(p: ParamStore, tower: string, pooled: tf.Tensor, hidden: number): tf.Tensor2D {
  const h = hidden > 0 ? geluErf(linear(pooled, p.get(`${tower}.head.w`), p.get(`${tower}.head.b`))) : pooled;
  return linear(h, p.get(`${tower}.proj`)) as tf.Tensor2D;
}

/** One pre-LN transformer block `name` on x [B, L, W] (optional additive attention mask [B, 1, 1, L]). */
export function block(p: ParamStore, name: string, x: tf.Tensor, heads: number, mask?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [B, L, W] = x.shape as [number, number, number];
    const dh = W / heads;
    const h = layerNorm(x, p.get(`${name}.ln1.g`), p.get(`${name}.ln1.b`));
    const qkv = linear(h, p.get(`${name}.qkv.w`), p.get(`${name}.qkv.b`));
    const [q, k, v] = tf.split(qkv, 3, 2).map((t) => tf.transpose(t.reshape([B, L, heads, dh]), [0, 2, 1, 3]));
    const a = tf.transpose(attention(q, k, v, mask), [0, 2, 1, 3]).reshape([B, L, W]);
    const x1 = tf.add(x, linear(a, p.get(`${name}.proj.w`), p.get(`${name}.proj.b`)));
    const h2 = layerNorm(x1, p.get(`${name}.ln2.g`), p.get(`${name}.ln2.b`));
    const f = linear(geluErf(linear(h2, p.get(`${name}.fc1.w`), p.get(`${name}.fc1.b`))), p.get(`${name}.fc2.w`), p.get(`${name}.fc2.b`));
    return tf.add(x1, f);
  });
}

/**
 * Cuts 8-bit RGB images (n x S x S x 3, concatenated) into stem patches, normalised to about
 * zero mean / unit range: [n, T, k*k, 48] with T = grid^2 tokens, each token's k x k 4x4
 * sub-patches, each sub-patch's pixels row-major x RGB. Sub-patches are row-major within the
 * token's square, or with `cells` = 2 grouped by 2x2 cells (cells row-major, then the cell's four
 * sub-patches row-major), as the depth-3 stem reads them.
 */
export function patchify(pixels: Uint8Array, n: number, size: number, grid: number, cells: 1 | 2 = 1): Float32Array {
  const G = grid, k = size / grid / SUB, P = SUB * SUB * 3, q = k / cells;
  const out = new Float32Array(n * G * G * k * k * P);
  let o = 0;
  for (let b = 0; b < n; b++) {
    const base = b * size * size * 3;
    for (let ty = 0; ty < G; ty++) for (let tx = 0; tx < G; tx++) {
      for (let j = 0; j < k * k; j++) {
        const c = Math.floor(j / (cells * cells)), w = j % (cells * cells);
        const sy = Math.floor(c / q) * cells + Math.floor(w / cells), sx = (c % q) * cells + (w % cells);
        const y0 = (ty * k + sy) * SUB, x0 = (tx * k + sx) * SUB;
        for (let y = 0; y < SUB; y++) {
          let src = base + ((y0 + y) * size + x0) * 3;
          for (let x = 0; x < SUB * 3; x++) out[o++] = pixels[src++] / 127.5 - 1;
        }
      }
    }
  }
  return out;
}

/** The stem patches of n stacked images as a tensor [n, T, k*k, 48]. */
export function imagePatches(arch: Pick<WorldEncoderArch, 'imageSize' | 'imageGrid' | 'stemDepth'>, pixels: Uint8Array, n: number): tf.Tensor4D {
  const cells = arch.stemDepth === 3 ? 2 : 1;
  return tf.tensor4d(patchify(pixels, n, arch.imageSize, arch.imageGrid, cells), [n, imageTokens(arch), subPatches(arch), SUB * SUB * 3]);
}

/** Image features [n, D] (not normalised) from patchify() output. */
export function imageForward(p: ParamStore, arch: WorldEncoderArch, patches: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const T = imageTokens(arch);
    const n = patches.shape[0]!;
    const s1 = geluErf(linear(patches, p.get('image.stem1.w'), p.get('image.stem1.b'))); // [n, T, k*k, C]
    let x: tf.Tensor;
    if (arch.stemDepth === 3) {
      const cells = subPatches(arch) / 4;
      const s2 = geluErf(linear(s1.reshape([n, T, cells, 4 * arch.stemWidth]), p.get('image.stem2.w'), p.get('image.stem2.b'))); // [n, T, cells, C2]
      x = linear(s2.reshape([n, T, cells * arch.stemWidth2]), p.get('image.stem3.w'), p.get('image.stem3.b'));
    } else {
      x = linear(s1.reshape([n, T, subPatches(arch) * arch.stemWidth]), p.get('image.stem2.w'), p.get('image.stem2.b'));
    }
    x = tf.add(x, p.get('image.pos'));
    for (let i = 0; i < arch.imageLayers; i++) x = block(p, `image.block${i}`, x, arch.heads);
    const pool = arch.imagePool === 'mean' ? tf.mean(x, 1) : arch.imagePool === 'max' ? tf.max(x, 1) : tf.concat([tf.mean(x, 1), tf.max(x, 1)], 1);
    const pooled = layerNorm(pool, p.get('image.ln_post.g'), p.get('image.ln_post.b'));
    return head(p, 'image', pooled, arch.headHidden);
  });
}

/** Text features [n, D] (not normalised) from a padded batch of compact ids [n, L]. */
export function textForward(p: ParamStore, arch: TextTowerArch, ids: tf.Tensor, lengths: number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, L] = ids.shape as [number, number];
    const valid = new Float32Array(n * L);
    lengths.forEach((len, i) => valid.fill(1, i * L, i * L + len));
    const validT = tf.tensor2d(valid, [n, L]);
    const mask = tf.mul(tf.sub(1, validT), -1e9).reshape([n, 1, 1, L]);
    let x = tf.add(embedding(p.get('text.tok'), ids), tf.slice(p.get('text.pos'), [0, 0], [L, arch.width]));
    for (let i = 0; i < arch.textLayers; i++) x = block(p, `text.block${i}`, x, arch.heads, mask);
    x = layerNorm(x, p.get('text.ln_final.g'), p.get('text.ln_final.b'));
    const w = tf.div(validT, tf.sum(validT, 1, true)).reshape([n, L, 1]);
    const pooled = tf.sum(tf.mul(x, w), 1);
    return head(p, 'text', pooled, arch.headHidden ?? 0);
  });
}

function l2normalize(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, -1, true), 1e-12)));
}

/**
 * CLIP's symmetric InfoNCE: logits = exp(s) * norm(img) @ norm(txt)^T (s clamped at ln 100),
 * loss = (CE(logits, diag) + CE(logits^T, diag)) / 2.
 */
export function clipLoss(img: tf.Tensor, txt: tf.Tensor, logitScale: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const n = img.shape[0]!;
    const a = l2normalize(img), b = l2normalize(txt);
    const scale = tf.exp(tf.minimum(logitScale, LOGIT_SCALE_MAX));
    // plain matMul with an explicit transpose (the transposed wasm kernel is slow)
    const logits = tf.mul(matMul2d(a as tf.Tensor2D, tf.transpose(b) as tf.Tensor2D), scale);
    const labels = tf.oneHot(tf.range(0, n, 1, 'int32'), n);
    const li = tf.losses.softmaxCrossEntropy(labels, logits);
    const lt = tf.losses.softmaxCrossEntropy(labels, tf.transpose(logits));
    return tf.div(tf.add(li, lt), 2) as tf.Scalar;
  });
}
