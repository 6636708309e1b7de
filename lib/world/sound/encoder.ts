// The sound world's dual encoder: training (CLAP's symmetric InfoNCE, CLIP's recipe as in
// lib/world/encoder.ts), checkpoints with resume, retrieval evaluation, and loading as an `Encoder`
// (encodeText, encodeAudio) so experiments use it exactly like CLAP. Architecture in encoder-model.ts.
// Training pairs come from the world's pre-training split (pretrain_sound.json, its WAV files read
// with the real WAV reader), one of a clip's 5 captions drawn per step; step s draws its batch from
// Rng(seed).fork(`step/${s}`), so a resumed run sees the batches an uninterrupted one would.
// Same choices as the image world's encoder and for the same reason (docs/world.md): the
// temperature is fixed at CLIP's final 0.01, D = 256 (64 on smoke worlds), which leaves a modality
// gap after mean removal. Trained on the project's one training harness (lib/train: coupled
// contrastive loss, clipping, checkpoints, exact resume, worker threads), as lib/world/encoder.ts is
// (its lrAt, sampleDistinct).
// Divergence from CLAP: clips at another rate are resampled (windowed sinc) and padded with zeros
// or cut to the world's clip length, not repeat-padded or fused.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../tf.ts';
import { backendName } from '../../backend.ts';
import { ParamStore, checkpointExists, loadCheckpoint } from '../../nn/index.ts';
import { runTraining, type HarnessResult, type TrainModel, type TrainProblem } from '../../train/index.ts';
import { flattenSettings } from '../../util/resume.ts';
import { readWav, resample } from '../../data/audiocaps.ts';
import { DbridgeError } from '../../util/errors.ts';
import { writeJsonAtomic } from '../../util/fs.ts';
import { configHash } from '../../util/hash.ts';
import { provenance } from '../../util/provenance.ts';
import { Rng } from '../../util/rng.ts';
import { type EncoderTrainState, contrastiveOptimizer, encoderCheckpointResume } from '../contrastive-training.ts';
import type { AudioClip, Encoder } from '../../encoders/types.ts';
import { l2NormalizeRows } from '../../embeddings/normalize.ts';
import { clipLoss, textForward } from '../encoder-model.ts';
import { CompactVocab, buildVocab } from '../tokenizer.ts';
import { type RetrievalReport, type WorldTrainConfig, DEFAULT_TRAIN, ensureBackend, lrAt, retrievalFromEmbeddings, sampleDistinct } from '../encoder.ts';
import { DEFAULT_SOUND_ARCH, type SoundEncoderArch, audioForward, audioTokens, createSoundEncoderParams } from './encoder-model.ts';
import { LogMel } from './features.ts';
import { type SoundClipEntry, readSoundWorldEntries, readSoundWorldMeta } from './generate.ts';

export { DEFAULT_SOUND_ARCH, type SoundEncoderArch } from './encoder-model.ts';

/** Training defaults: the image world encoder's (same recipe, same budget). */
export const DEFAULT_SOUND_TRAIN: WorldTrainConfig = { ...DEFAULT_TRAIN };
export const SOUND_SMOKE_STEPS = 60;
export const SOUND_SMOKE_BATCH = 64;
export const SOUND_SMOKE_DIM = 64;

/** A short hash of the encoder's code defaults: cache keys of default-trained encoders include it. */
export const SOUND_ENCODER_RECIPE = configHash({ arch: DEFAULT_SOUND_ARCH, train: DEFAULT_SOUND_TRAIN, smoke: { steps: SOUND_SMOKE_STEPS, batchSize: SOUND_SMOKE_BATCH, dim: SOUND_SMOKE_DIM } }).slice(0, 8);

export interface SoundEncoderConfig {
  kind: 'sound-dual-encoder';
  arch: SoundEncoderArch;
  train: WorldTrainConfig;
  world: { scale: string; seed: number; pretrainClips: number; sizes: unknown };
}

/** A trained (or fresh) sound encoder, usable through the Encoder interface. */
export class SoundEncoder implements Encoder {
  readonly id = 'sound-dual-encoder';
  readonly vocab: CompactVocab;
  readonly logMel: LogMel;

  constructor(readonly params: ParamStore, readonly config: SoundEncoderConfig) {
    this.vocab = new CompactVocab(config.arch.vocab);
    this.logMel = new LogMel(config.arch);
  }

  get dim(): number { return this.config.arch.dim; }

  /** Log-mel tokens of clips, [n, T * patchFrames * mels] row-major (resampled and padded/cut first). */
  features(clips: AudioClip[]): Float32Array {
    const { arch } = this.config;
    const per = audioTokens(arch) * arch.patchFrames * arch.mels;
    const out = new Float32Array(clips.length * per);
    const frames = new Float32Array(this.logMel.frames * arch.mels);
    clips.forEach((c, i) => {
      if (!c || !(c.samples instanceof Float32Array) || c.samples.length === 0) throw new DbridgeError(`encodeAudio: clip ${i} has no samples`);
      const x = c.sampleRate === arch.sampleRate ? c.samples : resample(c, arch.sampleRate).samples;
      this.logMel.compute(x, frames);
      out.set(frames.subarray(0, per), i * per);
    });
    return out;
  }

  /** Raw text embeddings [n, D]. */
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

  /** Raw audio embeddings [n, D] from features() output. */
  async encodeFeatures(feats: Float32Array, n: number, batchSize = 256): Promise<Float32Array> {
    const { arch } = this.config;
    const T = audioTokens(arch), per = T * arch.patchFrames * arch.mels;
    const out = new Float32Array(n * arch.dim);
    for (let s = 0; s < n; s += batchSize) {
      const rows = Math.min(batchSize, n - s);
      const y = tf.tidy(() => audioForward(this.params, arch, tf.tensor4d(feats.subarray(s * per, (s + rows) * per), [rows, T, arch.patchFrames, arch.mels])));
      out.set(await y.data() as Float32Array, s * arch.dim);
      y.dispose();
    }
    return out;
  }

  /** Raw audio embeddings [n, D] of clips at any rate. */
  async encodeAudio(clips: AudioClip[]): Promise<Float32Array> {
    return this.encodeFeatures(this.features(clips), clips.length);
  }

  async logitScale(): Promise<number> {
    return Math.exp((await this.params.get('logit_scale').data())[0]);
  }

  dispose(): void { this.params.dispose(); }
}

/** Loads a sound encoder checkpoint folder (weights.safetensors + config.json). */
export async function loadSoundEncoder(dir: string): Promise<SoundEncoder> {
  await ensureBackend();
  const ck = loadCheckpoint<SoundEncoderConfig>(dir);
  if (ck.config?.kind !== 'sound-dual-encoder') throw new DbridgeError(`${dir} is not a sound encoder checkpoint (config.json kind is ${String(ck.config?.kind)})`);
  const params = createSoundEncoderParams(ck.config.arch, 0);
  params.load(ck.weights, { source: join(dir, 'weights.safetensors') });
  return new SoundEncoder(params, ck.config);
}

/** Reads the WAV files of sound world entries. */
export function readSoundClips(dir: string, entries: Pick<SoundClipEntry, 'filepath' | 'filename'>[]): AudioClip[] {
  return entries.map((e) => readWav(join(dir, e.filepath, e.filename)));
}

/** Cosine retrieval between the clips and captions of one split of dataset_sound.json. */
export async function evaluateSoundRetrieval(encoder: SoundEncoder, worldDir: string, split = 'test'): Promise<RetrievalReport> {
  const entries = readSoundWorldEntries(worldDir, 'dataset').filter((e) => e.split === split);
  if (entries.length === 0) throw new DbridgeError(`${worldDir}: split '${split}' has no clips`);
  const captions: string[] = [], owner: number[] = [];
  entries.forEach((e, i) => e.sentences.forEach((s) => { captions.push(s.raw); owner.push(i); }));
  const D = encoder.dim;
  const rawA = await encoder.encodeAudio(readSoundClips(worldDir, entries)), rawT = await encoder.encodeText(captions);
  return retrievalFromEmbeddings(l2NormalizeRows(rawA, entries.length, D), l2NormalizeRows(rawT, captions.length, D), owner, D, split);
}

export interface TrainSoundEncoderOptions {
  worldDir: string;
  outDir: string;
  seed?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  /** Fixed temperature (default 0.01), or null to learn it from 0.07. */
  fixedTemperature?: number | null;
  arch?: Partial<Pick<SoundEncoderArch, 'dim' | 'width' | 'heads' | 'audioLayers' | 'textLayers' | 'patchFrames' | 'stemWidth' | 'mels'>>;
  resume?: boolean;
  force?: boolean;
  checkpointEvery?: number;
  /** Split for the final retrieval report (default 'test'; 'none' skips it). */
  evalSplit?: string;
  quiet?: boolean;
  /** Stop after this many steps of this call (tests simulate an interruption). */
  maxStepsThisRun?: number;
}

export interface TrainSoundEncoderResult {
  outDir: string;
  step: number;
  loss: number;
  logitScale: number;
  seconds: number;
  stepsPerSecond: number;
  retrieval?: RetrievalReport;
  done: boolean;
}

/** Settings a resume may change, and how the user names the others. */
const RESUME_MAY_CHANGE = ['train.steps', 'train.warmupSteps'] as const;
const RESUME_LABELS = { 'train.lr': '--lr', 'train.batchSize': '--batch-size', 'train.seed': '--seed', 'train.fixedTemperature': '--temperature', 'arch.dim': '--dim', 'arch.width': '--width', 'arch.audioLayers': '--image-layers', 'arch.textLayers': '--text-layers' };

/** One step's host data: B clips' log-mel tokens and one caption each (ids padded to L). */
export interface SoundBatch { feats: Float32Array; per: number; ids: Int32Array; lengths: number[]; L: number }

/**
 * The sound encoder as the training harness's TrainModel: its features are [audio | text]
 * embeddings per row; CLAP's loss over the whole batch is the problem's head (a coupled loss).
 */
export function soundEncoderTrainModel(params: ParamStore, arch: SoundEncoderArch): TrainModel<SoundBatch> {
  const T = audioTokens(arch);
  return {
    params,
    loss: () => { throw new Error('the sound encoder loss is coupled: use features and the head'); },
    weight: (b) => b.lengths.length,
    features: (b) => tf.tidy(() => {
      const n = b.lengths.length;
      const audio = audioForward(params, arch, tf.tensor4d(b.feats, [n, T, arch.patchFrames, arch.mels]));
      const text = textForward(params, arch, tf.tensor2d(b.ids, [n, b.L], 'int32'), b.lengths);
      return tf.concat([audio, text], 1) as tf.Tensor2D;
    }),
    dispose: () => params.dispose(),
  };
}

/** Worker-side replica (lib/train/worker.ts); its weights come from the main thread. */
export async function soundEncoderReplica(args: { arch: SoundEncoderArch; fixed: boolean }): Promise<TrainModel<SoundBatch>> {
  await ensureBackend();
  const params = createSoundEncoderParams(args.arch, 0);
  if (args.fixed) params.get('logit_scale').trainable = false;
  return soundEncoderTrainModel(params, args.arch);
}

/** Trains the sound encoder on the pre-training split of `worldDir` into `outDir` (on lib/train's harness). */
export async function trainSoundEncoder(opts: TrainSoundEncoderOptions): Promise<TrainSoundEncoderResult> {
  await ensureBackend();
  const t0 = Date.now();
  const meta = readSoundWorldMeta(opts.worldDir);
  const entries = readSoundWorldEntries(opts.worldDir, 'pretrain');
  if (entries.length < 2) throw new DbridgeError(`${opts.worldDir}: the pre-training split needs at least 2 clips`);
  const smoke = meta.scale === 'smoke';
  const train: WorldTrainConfig = {
    ...DEFAULT_SOUND_TRAIN,
    steps: opts.steps ?? (smoke ? SOUND_SMOKE_STEPS : DEFAULT_SOUND_TRAIN.steps),
    batchSize: opts.batchSize ?? (smoke ? SOUND_SMOKE_BATCH : DEFAULT_SOUND_TRAIN.batchSize),
    ...(opts.lr !== undefined ? { lr: opts.lr } : {}),
    ...(opts.fixedTemperature !== undefined ? { fixedTemperature: opts.fixedTemperature } : {}),
    seed: opts.seed ?? DEFAULT_SOUND_TRAIN.seed,
  };
  if (!Number.isInteger(train.steps) || train.steps < 1) throw new DbridgeError(`--steps must be a positive integer, got ${train.steps}`);
  if (!Number.isInteger(train.batchSize) || train.batchSize < 2) throw new DbridgeError(`--batch-size must be an integer >= 2, got ${train.batchSize}`);
  if (train.fixedTemperature !== null && !(train.fixedTemperature >= 0.01 && train.fixedTemperature <= 1)) {
    throw new DbridgeError(`the temperature must be in [0.01, 1], got ${train.fixedTemperature}`);
  }
  train.batchSize = Math.min(train.batchSize, entries.length);
  train.warmupSteps = Math.min(train.warmupSteps, Math.max(1, Math.floor(train.steps / 10)));
  const base = { ...DEFAULT_SOUND_ARCH, ...(smoke ? { dim: SOUND_SMOKE_DIM } : {}), ...opts.arch };
  if (base.width % base.heads !== 0) throw new DbridgeError(`width ${base.width} is not divisible by heads ${base.heads}`);
  const arch: SoundEncoderArch = {
    ...base, sampleRate: meta.sampleRate, samples: Math.round(meta.sizes.seconds * meta.sampleRate),
    vocab: buildVocab(entries.flatMap((e) => e.sentences.map((s) => s.raw)), base.contextLength),
  };
  const config: SoundEncoderConfig = { kind: 'sound-dual-encoder', arch, train, world: { scale: meta.scale, seed: meta.seed, pretrainClips: entries.length, sizes: meta.sizes } };
  const hash = configHash({ ...config, train: { ...train, steps: 0, warmupSteps: 0 } });
  const settings = flattenSettings({ ...config });
  // an existing checkpoint: a finished one is reused, an unfinished one needs `resume` (its settings must match)
  let resume = encoderCheckpointResume({ outDir: opts.outDir, hash, settings, steps: train.steps, resume: opts.resume, force: opts.force, ignore: RESUME_MAY_CHANGE, labels: RESUME_LABELS });

  const params = createSoundEncoderParams(arch, train.seed);
  const optimizer = contrastiveOptimizer(params, train);
  const encoder = new SoundEncoder(params, config);
  let result: HarnessResult;
  try {
    const T = audioTokens(arch), per = T * arch.patchFrames * arch.mels, B = train.batchSize;
    const feats = encoder.features(readSoundClips(opts.worldDir, entries));
    const tokenized = entries.map((e) => e.sentences.map((x) => encoder.vocab.encode(x.raw, arch.contextLength)));
    const root = new Rng(train.seed);
    const problem: TrainProblem<SoundBatch> = {
      model: soundEncoderTrainModel(params, arch),
      batch: (step) => {
        const rng = root.fork(`step/${step}`);
        const idx = sampleDistinct(rng, entries.length, B);
        const rows = idx.map((i) => tokenized[i][rng.int(tokenized[i].length)]);
        const batch = new Float32Array(B * per);
        idx.forEach((i, b) => batch.set(feats.subarray(i * per, (i + 1) * per), b * per));
        const L = Math.min(arch.contextLength, Math.ceil(Math.max(...rows.map((r) => r.length)) / 4) * 4);
        const ids = new Int32Array(B * L);
        rows.forEach((r, b) => ids.set(r, b * L));
        return { feats: batch, per, ids, lengths: rows.map((r) => r.length), L };
      },
      rows: (b) => b.lengths.length,
      slice: (b, s0, e) => ({ feats: b.feats.slice(s0 * b.per, e * b.per), per: b.per, ids: b.ids.slice(s0 * b.L, e * b.L), lengths: b.lengths.slice(s0, e), L: b.L }),
      lr: (step) => lrAt(step, train),
      head: { loss: (F) => tf.tidy(() => { const D = F.shape[1] / 2; return clipLoss(tf.slice(F, [0, 0], [-1, D]), tf.slice(F, [0, D], [-1, D]), params.get('logit_scale')); }) },
      replica: { module: import.meta.url, factory: 'soundEncoderReplica', args: { arch, fixed: train.fixedTemperature !== null } },
    };
    result = await runTraining(problem, {
      steps: train.steps, optimizer, logEvery: Math.min(50, train.steps), maxStepsThisRun: opts.maxStepsThisRun, progress: opts.quiet ? false : 'train-sound-encoder',
      checkpoint: { dir: opts.outDir, every: opts.checkpointEvery ?? 100, config, resume, settings, ignore: RESUME_MAY_CHANGE, labels: RESUME_LABELS, hint: 'use another --out or --force' },
      trainerState: { save: () => ({ configHash: hash, provenance: provenance(backendName()) } satisfies EncoderTrainState), load: () => {} },
    });
  } catch (e) {
    encoder.dispose(); optimizer.dispose();
    throw e;
  }
  optimizer.dispose();
  const step = result.endStep, done = step >= train.steps;
  let retrieval: RetrievalReport | undefined;
  const evalSplit = opts.evalSplit ?? 'test';
  if (done && evalSplit !== 'none') {
    retrieval = await evaluateSoundRetrieval(encoder, opts.worldDir, evalSplit);
    writeJsonAtomic(join(opts.outDir, 'eval.json'), { retrieval, logitScale: await encoder.logitScale(), step, provenance: provenance(backendName()) });
  }
  const out: TrainSoundEncoderResult = {
    outDir: opts.outDir, step, loss: result.lastStepLoss, logitScale: await encoder.logitScale(), seconds: (Date.now() - t0) / 1000,
    stepsPerSecond: result.stepsPerSecond, retrieval, done,
  };
  encoder.dispose();
  return out;
}

/** True when `dir` holds a sound encoder checkpoint. */
export function soundEncoderExists(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && checkpointExists(dir);
}
