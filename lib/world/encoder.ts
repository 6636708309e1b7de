// The world's dual encoder: training (CLIP's symmetric InfoNCE), checkpoints with --resume,
// retrieval evaluation, and loading as an `Encoder` (lib/encoders/types.ts), so experiments use it
// exactly like CLIP.
// Follows CLIP's recipe (Radford et al. 2021: Adam, warm-up then cosine decay, logit scale
// clamped at 100) at a toy size, without CLIP's weight decay (weightDecay is an option, applied to
// every parameter by lib/nn's AdamW); architecture in encoder-model.ts.
// Divergence: the temperature is fixed at CLIP's final value 0.01 by default instead of learned
// from 0.07. CLIP's falls to 0.01 over its long training; on the world's ambiguous captions a
// learned one stays near 0.06 in a few hundred steps, and that high temperature keeps pulling pairs
// together until almost no gap is left after mean removal (docs/world.md, measured).
// `fixedTemperature: null` learns it as CLIP does. Training pairs come from the
// world's pre-training split (pretrain_world.json), one of an image's 5 captions drawn per step.
// Determinism: step s draws its batch from Rng(seed).fork(`step/${s}`), so a run resumed at step s
// sees the same batches as an uninterrupted one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { backendName, initBackend } from '../backend.ts';
import { ParamStore, checkpointExists, loadCheckpoint, registerWasmKernels } from '../nn/index.ts';
import { runTraining, type HarnessResult, type TrainModel, type TrainProblem } from '../train/index.ts';
import { readWorldEntries, readWorldImages, readWorldMeta, type WorldImageEntry } from './generate.ts';
import { DbridgeError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { configHash } from '../util/hash.ts';
import { flattenSettings } from '../util/resume.ts';
import { provenance } from '../util/provenance.ts';
import { Rng } from '../util/rng.ts';
import { type EncoderTrainState, contrastiveOptimizer, encoderCheckpointResume } from './contrastive-training.ts';
import type { Encoder, RGBImage } from '../encoders/types.ts';
import type { HostArray } from '../io/dtype.ts';
import {
  DEFAULT_ARCH, type WorldEncoderArch, clipLoss, createWorldEncoderParams, imageForward, imagePatches, textForward, validImageGeometry,
} from './encoder-model.ts';
import { CompactVocab, buildVocab } from './tokenizer.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';

export { DEFAULT_ARCH, type WorldEncoderArch } from './encoder-model.ts';

export interface WorldTrainConfig {
  steps: number;
  batchSize: number;
  /** Peak Adam learning rate (after linear warm-up; cosine decay to 10% of it). */
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipGradNorm: number;
  seed: number;
  /**
   * Learning-rate multiplier of the logit scale (its own Adam). CLIP's temperature falls from 0.07
   * to its clamp 0.01 over hundreds of thousands of steps; a run of a few hundred steps gets there
   * only if the scalar moves faster.
   */
  logitScaleLrMult: number;
  /**
   * The temperature, fixed at this value (logit scale ln(1/T), not learned); null = learned from
   * CLIP's initial 0.07. Default 0.01, where CLIP's learned temperature ends (its clamp).
   */
  fixedTemperature: number | null;
}

/** Defaults sized for the `mini` world on a 2-core CPU (see docs/world.md for the measurements). */
export const DEFAULT_TRAIN: WorldTrainConfig = {
  steps: 500,
  batchSize: 128,
  lr: 3e-3,
  warmupSteps: 40,
  weightDecay: 0,
  clipGradNorm: 1.0,
  seed: 0,
  logitScaleLrMult: 1,
  fixedTemperature: 0.01,
};

/** Defaults at the smoke scale (tests, CI, notebooks in CI): a few seconds of training. */
export const SMOKE_BATCH = 64;
export const SMOKE_STEPS = 60;
/** D on a smoke world: keeps the smoke pipeline's Unet1D (a convolution over the D entries) fast. */
export const SMOKE_DIM = 64;

/**
 * A short hash of the encoder's code defaults (architecture, training, smoke sizes): folders and
 * cache keys that hold a default-trained encoder include it, so changing a default never reuses
 * (or refuses to resume) an encoder trained under the old ones.
 */
export const WORLD_ENCODER_RECIPE = configHash({ arch: DEFAULT_ARCH, train: DEFAULT_TRAIN, smoke: { steps: SMOKE_STEPS, batchSize: SMOKE_BATCH, dim: SMOKE_DIM } }).slice(0, 8);

export interface WorldEncoderConfig {
  kind: 'world-dual-encoder';
  arch: WorldEncoderArch;
  train: WorldTrainConfig;
  /** The world it was trained on (its pre-training split depends only on scale sizes and seed). */
  world: { scale: string; seed: number; pretrainImages: number; sizes: unknown };
}

export interface RetrievalReport {
  split: string;
  images: number;
  captions: number;
  /** Image -> text: an image counts as found at k when any of its captions ranks within the top k. */
  i2t: { r1: number; r5: number; r10: number };
  /** Text -> image: a caption counts as found at k when its image ranks within the top k. */
  t2i: { r1: number; r5: number; r10: number };
  /** Chance levels of R@1 for reference. */
  chance: { i2t_r1: number; t2i_r1: number };
}

export interface TrainWorldEncoderOptions {
  worldDir: string;
  outDir: string;
  seed?: number;
  /** Total optimisation steps (default DEFAULT_TRAIN.steps); with resume, training continues up to it. */
  steps?: number;
  resume?: boolean;
  /** Start over even when outDir holds a checkpoint. */
  force?: boolean;
  batchSize?: number;
  lr?: number;
  logitScaleLrMult?: number;
  /** Fix the temperature at this value instead of learning it (see WorldTrainConfig). */
  fixedTemperature?: number | null;
  arch?: Partial<Omit<WorldEncoderArch, 'vocab' | 'imageSize'>>;
  /** Save a checkpoint every this many steps (default 100) and at the end. */
  checkpointEvery?: number;
  /** Split of dataset_world.json for the final retrieval report (default 'test'; 'none' to skip). */
  evalSplit?: string;
  quiet?: boolean;
  /** Stop after this many steps of this call (tests use it to simulate an interruption). */
  maxStepsThisRun?: number;
  /** Worker threads, one encoder replica each (default 1: this thread); see lib/train. */
  workers?: number;
  /** Pairs per forward/backward pass on one thread (default 0: all; the contrastive loss still sees the whole batch). */
  microBatch?: number;
}

export interface TrainWorldEncoderResult {
  outDir: string;
  step: number;
  loss: number;
  logitScale: number;
  seconds: number;
  stepsPerSecond: number;
  retrieval?: RetrievalReport;
  done: boolean;
}

/** The backend, started (quietly) if nothing started it yet, with the encoders' wasm kernels registered. Shared with the sound encoder. */
export async function ensureBackend(): Promise<void> {
  try { backendName(); } catch { await initBackend(undefined, { quiet: true }); }
  if (backendName() === 'wasm') registerWasmKernels();
}

/** CLIP's schedule: linear warm-up to `lr`, then cosine decay to 10% of it. */
export function lrAt(step: number, c: Pick<WorldTrainConfig, 'lr' | 'warmupSteps' | 'steps'>): number {
  if (step < c.warmupSteps) return c.lr * (step + 1) / c.warmupSteps;
  const t = (step - c.warmupSteps) / Math.max(1, c.steps - c.warmupSteps);
  return c.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t))));
}

/** Pixels of equally sized images concatenated (n x S x S x 3). */
function stackImages(images: RGBImage[], size: number, what: string): Uint8Array {
  const out = new Uint8Array(images.length * size * size * 3);
  images.forEach((im, i) => {
    if (im.width !== size || im.height !== size) {
      throw new DbridgeError(`${what}: image ${i} is ${im.width}x${im.height}; the world encoder takes ${size}x${size} images`);
    }
    out.set(im.data, i * size * size * 3);
  });
  return out;
}

/** A trained (or freshly initialised) world encoder, usable through the Encoder interface. */
export class WorldEncoder implements Encoder {
  readonly id = 'world-dual-encoder';
  readonly vocab: CompactVocab;
  constructor(readonly params: ParamStore, readonly config: WorldEncoderConfig) {
    this.vocab = new CompactVocab(config.arch.vocab);
  }

  get dim(): number {
    return this.config.arch.dim;
  }

  /** Raw text embeddings [n, D] (row-major), in batches. */
  async encodeText(captions: string[], batchSize = 256): Promise<Float32Array> {
    const { arch } = this.config;
    const out = new Float32Array(captions.length * arch.dim);
    for (let s = 0; s < captions.length; s += batchSize) {
      const part = captions.slice(s, s + batchSize);
      part.forEach((c, i) => { if (typeof c !== 'string') throw new DbridgeError(`encodeText: caption ${s + i} is not a string`); });
      const { ids, lengths, L } = this.vocab.batch(part, arch.contextLength);
      const y = tf.tidy(() => textForward(this.params, arch, tf.tensor2d(ids, [part.length, L], 'int32'), lengths));
      out.set(await y.data() as Float32Array, s * arch.dim);
      y.dispose();
    }
    return out;
  }

  /** Raw image embeddings [n, D] (row-major), in batches; images must be imageSize x imageSize. */
  async encodeImage(images: RGBImage[], batchSize = 256): Promise<Float32Array> {
    const { arch } = this.config;
    const S = arch.imageSize;
    const out = new Float32Array(images.length * arch.dim);
    for (let s = 0; s < images.length; s += batchSize) {
      const part = images.slice(s, s + batchSize);
      const pix = stackImages(part, S, 'encodeImage');
      const y = tf.tidy(() => imageForward(this.params, arch, imagePatches(arch, pix, part.length)));
      out.set(await y.data() as Float32Array, s * arch.dim);
      y.dispose();
    }
    return out;
  }

  /** exp(logit_scale), the inverse temperature (read from the device asynchronously). */
  async logitScale(): Promise<number> {
    return Math.exp((await this.params.get('logit_scale').data())[0]);
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Loads a world encoder checkpoint folder (weights.safetensors + config.json). */
export async function loadWorldEncoder(dir: string): Promise<WorldEncoder> {
  await ensureBackend();
  const ck = loadCheckpoint<WorldEncoderConfig>(dir);
  if (ck.config?.kind !== 'world-dual-encoder') throw new DbridgeError(`${dir} is not a world encoder checkpoint (config.json kind is ${String(ck.config?.kind)})`);
  // encoders written before these were configurable cut 8-pixel tokens and projected linearly
  const config = { ...ck.config, arch: { ...ck.config.arch, imageGrid: ck.config.arch.imageGrid ?? ck.config.arch.imageSize / 8, headHidden: ck.config.arch.headHidden ?? 0, stemDepth: ck.config.arch.stemDepth ?? 2 } };
  const params = createWorldEncoderParams(config.arch, 0);
  params.load(ck.weights, { source: join(dir, 'weights.safetensors') });
  return new WorldEncoder(params, config);
}

/**
 * Cosine-similarity retrieval between the images and captions of one split of dataset_world.json
 * (or, with source 'pretrain', of the first `limit` pre-training pairs: training-set retrieval).
 */
export async function evaluateRetrieval(encoder: Encoder, worldDir: string, split = 'test', opts: { source?: 'dataset' | 'pretrain'; limit?: number } = {}): Promise<RetrievalReport> {
  const entries = readWorldEntries(worldDir, opts.source ?? 'dataset').filter((e) => e.split === split).slice(0, opts.limit ?? Infinity);
  if (entries.length === 0) throw new DbridgeError(`${worldDir}: split '${split}' has no images`);
  if (!encoder.encodeImage) throw new DbridgeError(`encoder ${encoder.id} cannot encode images`);
  const images = await readWorldImages(worldDir, entries);
  const captions: string[] = [], owner: number[] = [];
  entries.forEach((e, i) => e.sentences.forEach((s) => { captions.push(s.raw); owner.push(i); }));
  const D = encoder.dim;
  const rawI = await encoder.encodeImage(images), rawT = await encoder.encodeText(captions);
  const iv = l2NormalizeRows(rawI, rawI.length / D, D), tv = l2NormalizeRows(rawT, rawT.length / D, D);
  return retrievalFromEmbeddings(iv, tv, owner, D, split);
}

/** Recall@1/5/10 both ways from L2-normalised image rows, text rows and each text row's image. */
export function retrievalFromEmbeddings(iv: Float32Array, tv: Float32Array, owner: number[], d: number, split = 'test'): RetrievalReport {
  const nI = iv.length / d, nT = tv.length / d;
  const sim = new Float32Array(nI * nT);
  for (let i = 0; i < nI; i++) for (let t = 0; t < nT; t++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += iv[i * d + j] * tv[t * d + j];
    sim[i * nT + t] = s;
  }
  return retrievalFromSimilarity(sim, nI, nT, owner, split);
}

/**
 * Recall@1/5/10 both ways from a similarity matrix sim[i * nT + t] between nI media rows and nT
 * text rows (owner[t] = the media row text t describes); ties count in the query's favour.
 */
export function retrievalFromSimilarity(sim: Float32Array, nI: number, nT: number, owner: number[], split = 'test'): RetrievalReport {
  const ks = [1, 5, 10] as const;
  const i2t = [0, 0, 0], t2i = [0, 0, 0];
  for (let i = 0; i < nI; i++) {
    let best = -Infinity;
    for (let t = 0; t < nT; t++) if (owner[t] === i) best = Math.max(best, sim[i * nT + t]);
    let rank = 0; // captions of other images scoring above the best own caption
    for (let t = 0; t < nT; t++) if (owner[t] !== i && sim[i * nT + t] > best) rank++;
    ks.forEach((k, j) => { if (rank < k) i2t[j]++; });
  }
  for (let t = 0; t < nT; t++) {
    const own = sim[owner[t] * nT + t];
    let rank = 0;
    for (let i = 0; i < nI; i++) if (i !== owner[t] && sim[i * nT + t] > own) rank++;
    ks.forEach((k, j) => { if (rank < k) t2i[j]++; });
  }
  const r = (v: number[], n: number) => ({ r1: v[0] / n, r5: v[1] / n, r10: v[2] / n });
  return { split, images: nI, captions: nT, i2t: r(i2t, nI), t2i: r(t2i, nT), chance: { i2t_r1: Math.min(1, 5 / nT), t2i_r1: 1 / nI } };
}


/** Settings a resume may change, and how the user names the others. */
const RESUME_MAY_CHANGE = ['train.steps', 'train.warmupSteps'] as const;
const RESUME_LABELS = { 'train.lr': '--lr', 'train.batchSize': '--batch-size', 'train.seed': '--seed', 'train.fixedTemperature': '--temperature', 'arch.dim': '--dim', 'arch.width': '--width', 'arch.imageLayers': '--image-layers', 'arch.textLayers': '--text-layers' };

/**
 * Trains the world's dual encoder on the pre-training split of `worldDir` and saves it to
 * `outDir` (weights.safetensors, optimizer.safetensors, config.json, state.json, eval.json).
 */
export async function trainWorldEncoder(opts: TrainWorldEncoderOptions): Promise<TrainWorldEncoderResult> {
  await ensureBackend();
  const t0 = Date.now();
  const meta = readWorldMeta(opts.worldDir);
  const entries = readWorldEntries(opts.worldDir, 'pretrain');
  if (entries.length < 2) throw new DbridgeError(`${opts.worldDir}: the pre-training split needs at least 2 images`);
  const train: WorldTrainConfig = {
    ...DEFAULT_TRAIN,
    ...(opts.steps !== undefined ? { steps: opts.steps } : meta.scale === 'smoke' ? { steps: SMOKE_STEPS } : {}),
    ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : meta.scale === 'smoke' ? { batchSize: SMOKE_BATCH } : {}),
    ...(opts.lr !== undefined ? { lr: opts.lr } : {}),
    ...(opts.logitScaleLrMult !== undefined ? { logitScaleLrMult: opts.logitScaleLrMult } : {}),
    ...(opts.fixedTemperature !== undefined ? { fixedTemperature: opts.fixedTemperature } : {}),
    seed: opts.seed ?? DEFAULT_TRAIN.seed,
  };
  if (!Number.isInteger(train.steps) || train.steps < 1) throw new DbridgeError(`--steps must be a positive integer, got ${train.steps}`);
  if (train.fixedTemperature !== null && !(train.fixedTemperature >= 0.01 && train.fixedTemperature <= 1)) {
    throw new DbridgeError(`--temperature must be in [0.01, 1] (CLIP clamps its logit scale at 100), got ${train.fixedTemperature}`);
  }
  if (!Number.isInteger(train.batchSize) || train.batchSize < 2) throw new DbridgeError(`--batch-size must be an integer >= 2, got ${train.batchSize}`);
  train.batchSize = Math.min(train.batchSize, entries.length);
  train.warmupSteps = Math.min(train.warmupSteps, Math.max(1, Math.floor(train.steps / 10)));
  const captionsAll = entries.flatMap((e) => e.sentences.map((s) => s.raw));
  const baseArch = { ...DEFAULT_ARCH, ...(meta.scale === 'smoke' ? { dim: SMOKE_DIM } : {}), ...opts.arch, imageSize: meta.sizes.imageSize };
  // images too small for the default depth-3 stem's 8-pixel cells (tiny test worlds) take the
  // depth-2 stem, unless the caller asked for depth 3 explicitly
  if (opts.arch?.stemDepth === undefined && !validImageGeometry(baseArch)) baseArch.stemDepth = 2;
  if (!validImageGeometry(baseArch)) {
    const cell = baseArch.stemDepth === 3 ? 8 : 4;
    throw new DbridgeError(`the world encoder's image grid ${baseArch.imageGrid} must split ${baseArch.imageSize}-pixel images into tokens of a multiple of ${cell} pixels (stem depth ${baseArch.stemDepth})`);
  }
  if (baseArch.width % baseArch.heads !== 0) throw new DbridgeError(`width ${baseArch.width} is not divisible by heads ${baseArch.heads}`);
  const arch: WorldEncoderArch = { ...baseArch, vocab: buildVocab(captionsAll, baseArch.contextLength) };
  const config: WorldEncoderConfig = {
    kind: 'world-dual-encoder', arch, train,
    world: { scale: meta.scale, seed: meta.seed, pretrainImages: entries.length, sizes: meta.sizes },
  };
  // what must match for a resume (steps may grow)
  const hash = configHash({ ...config, train: { ...train, steps: 0, warmupSteps: 0 } });

  const settings = flattenSettings({ ...config });
  // an existing checkpoint: a finished one is reused, an unfinished one needs --resume (its settings must match)
  let resume = encoderCheckpointResume({ outDir: opts.outDir, hash, settings, steps: train.steps, resume: opts.resume, force: opts.force, ignore: RESUME_MAY_CHANGE, labels: RESUME_LABELS });

  const params = createWorldEncoderParams(arch, train.seed);
  const optimizer = contrastiveOptimizer(params, train);
  const encoder = new WorldEncoder(params, config);

  let result: HarnessResult | null = null;
  try {
    const S = arch.imageSize, B = train.batchSize;
    const pixels = stackImages(await readWorldImages(opts.worldDir, entries), S, `${opts.worldDir} pre-training images`);
    const tokenized = entries.map((e: WorldImageEntry) => e.sentences.map((s) => encoder.vocab.encode(s.raw, arch.contextLength)));
    const root = new Rng(train.seed);
    const problem: TrainProblem<WorldBatch> = {
      model: worldEncoderTrainModel(params, arch),
      batch: (step) => {
        const rng = root.fork(`step/${step}`);
        const idx = sampleDistinct(rng, entries.length, B);
        const rows = idx.map((i) => tokenized[i][rng.int(tokenized[i].length)]);
        const pix = new Uint8Array(B * S * S * 3);
        idx.forEach((i, b) => pix.set(pixels.subarray(i * S * S * 3, (i + 1) * S * S * 3), b * S * S * 3));
        const L = Math.min(arch.contextLength, Math.ceil(Math.max(...rows.map((r) => r.length)) / 4) * 4);
        const ids = new Int32Array(B * L);
        rows.forEach((r, b) => ids.set(r, b * L));
        return { pixels: pix, ids, lengths: rows.map((r) => r.length), L, S };
      },
      rows: (b) => b.lengths.length,
      slice: (b, s, e) => ({ pixels: b.pixels.slice(s * b.S * b.S * 3, e * b.S * b.S * 3), ids: b.ids.slice(s * b.L, e * b.L), lengths: b.lengths.slice(s, e), L: b.L, S: b.S }),
      lr: (step) => lrAt(step, train),
      head: { loss: (F) => tf.tidy(() => { const D = F.shape[1] / 2; return clipLoss(tf.slice(F, [0, 0], [-1, D]), tf.slice(F, [0, D], [-1, D]), params.get('logit_scale')); }) },
      replica: { module: import.meta.url, factory: 'worldEncoderReplica', args: { arch, fixed: train.fixedTemperature !== null } },
    };
    result = await runTraining(problem, {
      steps: train.steps, optimizer, workers: opts.workers ?? 1, microBatch: opts.microBatch ?? 0, logEvery: Math.min(50, train.steps),
      maxStepsThisRun: opts.maxStepsThisRun, progress: opts.quiet ? false : 'train-encoder',
      checkpoint: {
        dir: opts.outDir, every: opts.checkpointEvery ?? 100, config, resume, settings, ignore: RESUME_MAY_CHANGE, labels: RESUME_LABELS,
        hint: 'use another --out or --force',
      },
      trainerState: { save: () => ({ configHash: hash, provenance: provenance(backendName()) } satisfies EncoderTrainState), load: () => {} },
    });
  } catch (e) {
    encoder.dispose(); optimizer.dispose();
    throw e;
  }
  optimizer.dispose();
  const step = result.endStep;
  const done = step >= train.steps;
  const loss = result.lastStepLoss;
  let retrieval: RetrievalReport | undefined;
  const evalSplit = opts.evalSplit ?? 'test';
  if (done && evalSplit !== 'none') {
    retrieval = await evaluateRetrieval(encoder, opts.worldDir, evalSplit);
    writeJsonAtomic(join(opts.outDir, 'eval.json'), { retrieval, logitScale: await encoder.logitScale(), step, provenance: provenance(backendName()) });
  }
  const out: TrainWorldEncoderResult = {
    outDir: opts.outDir, step, loss, logitScale: await encoder.logitScale(), seconds: (Date.now() - t0) / 1000,
    stepsPerSecond: result.stepsPerSecond, retrieval, done,
  };
  encoder.dispose();
  return out;
}

export function prefix(m: Map<string, HostArray>, p: string): Map<string, HostArray> {
  return new Map([...m].map(([k, v]) => [p + k, v]));
}

export function unprefix(m: Map<string, HostArray>, p: string): Map<string, HostArray> {
  return new Map([...m].filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v]));
}

/** One step's host data: B images (pixels, S x S x 3 each) and one caption each (ids padded to L). */
export interface WorldBatch {
  pixels: Uint8Array;
  ids: Int32Array;
  lengths: number[];
  L: number;
  S: number;
}

/**
 * The dual encoder as the training harness's TrainModel: its features are [image | text]
 * embeddings per row, the CLIP loss over the whole batch is the problem's head (a coupled loss).
 */
export function worldEncoderTrainModel(params: ParamStore, arch: WorldEncoderArch): TrainModel<WorldBatch> {
  return {
    params,
    loss: () => { throw new Error('the world encoder loss is coupled: use features and the head'); },
    weight: (b) => b.lengths.length,
    features: (b) => tf.tidy(() => {
      const n = b.lengths.length;
      const img = imageForward(params, arch, imagePatches(arch, b.pixels, n));
      const txt = textForward(params, arch, tf.tensor2d(b.ids, [n, b.L], 'int32'), b.lengths);
      return tf.concat([img, txt], 1) as tf.Tensor2D;
    }),
    dispose: () => params.dispose(),
  };
}

/** Worker-side replica (lib/train/worker.ts); its weights come from the main thread. */
export async function worldEncoderReplica(args: { arch: WorldEncoderArch; fixed: boolean }): Promise<TrainModel<WorldBatch>> {
  await ensureBackend();
  const params = createWorldEncoderParams(args.arch, 0);
  if (args.fixed) params.get('logit_scale').trainable = false;
  return worldEncoderTrainModel(params, args.arch);
}

/** k distinct integers in [0, n) (partial Fisher-Yates on a sparse map). */
export function sampleDistinct(rng: Rng, n: number, k: number): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const vj = swapped.get(j) ?? j, vi = swapped.get(i) ?? i;
    out.push(vj);
    swapped.set(j, vi);
  }
  return out;
}

/** True when `dir` holds a finished world encoder checkpoint. */
export function worldEncoderExists(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && checkpointExists(dir);
}
