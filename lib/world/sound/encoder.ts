// The sound world's dual encoder: training (CLAP's symmetric InfoNCE, CLIP's recipe as in
// lib/world/encoder.ts), checkpoints with resume, retrieval evaluation, and loading as an `Encoder`
// (encodeText, encodeAudio) so experiments use it exactly like CLAP. Architecture in encoder-model.ts.
// Training pairs come from the world's pre-training split (pretrain_sound.json, its WAV files read
// with the real WAV reader), one of a clip's 5 captions drawn per step; step s draws its batch from
// Rng(seed).fork(`step/${s}`), so a resumed run sees the batches an uninterrupted one would.
// Same choices as the image world's encoder and for the same reason (docs/world.md): the
// temperature is fixed at CLIP's final 0.01, D = 256 (64 on smoke worlds), which leaves a modality
// gap after mean removal. The loop follows lib/world/encoder.ts (its lrAt, sampleDistinct); both move
// onto the project's one training harness (lib/train/, issue 12) when it lands.
// Divergence from CLAP: clips at another rate are resampled (windowed sinc) and padded with zeros
// or cut to the world's clip length, not repeat-padded or fused.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../tf.ts';
import { backendName, initBackend } from '../../backend.ts';
import { Adam, ParamStore, READ_EVERY, checkpointExists, loadCheckpoint, lossAndGrads, registerWasmKernels, saveCheckpoint } from '../../nn/index.ts';
import { readWav, resample } from '../../data/audiocaps.ts';
import { DbridgeError } from '../../util/errors.ts';
import { writeJsonAtomic } from '../../util/fs.ts';
import { configHash } from '../../util/hash.ts';
import { Progress } from '../../util/progress.ts';
import { provenance } from '../../util/provenance.ts';
import { Rng } from '../../util/rng.ts';
import type { AudioClip, Encoder } from '../../encoders/types.ts';
import { l2NormalizeRows } from '../../embeddings/normalize.ts';
import { clipLoss, textForward } from '../encoder-model.ts';
import { CompactVocab, buildVocab } from '../tokenizer.ts';
import { type RetrievalReport, type WorldTrainConfig, DEFAULT_TRAIN, lrAt, prefix, retrievalFromEmbeddings, sampleDistinct, unprefix } from '../encoder.ts';
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

async function ensureBackend(): Promise<void> {
  try { backendName(); } catch { await initBackend(undefined, { quiet: true }); }
  if (backendName() === 'wasm') registerWasmKernels();
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

interface TrainState { step: number; done: boolean; loss: number; seconds: number; configHash: string; [k: string]: unknown }

/** Trains the sound encoder on the pre-training split of `worldDir` into `outDir`. */
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

  const params = createSoundEncoderParams(arch, train.seed);
  const adam = new Adam(params, { lr: train.lr, weightDecay: train.weightDecay, clipGradNorm: train.clipGradNorm });
  const adamScale = new Adam(params, { lr: train.lr });
  let startStep = 0, loss = NaN;
  if (checkpointExists(opts.outDir) && !opts.force) {
    const ck = loadCheckpoint<SoundEncoderConfig, TrainState>(opts.outDir);
    if (ck.state.configHash !== hash) throw new DbridgeError(`${opts.outDir} holds an encoder trained with another config or world; use another --out or --force`);
    if (!opts.resume && !(ck.state.done && ck.state.step >= train.steps)) {
      throw new DbridgeError(`${opts.outDir} holds an encoder trained for ${ck.state.step} of ${train.steps} steps; pass --resume to continue it or --force to start over`);
    }
    params.load(ck.weights, { source: opts.outDir });
    if (ck.optimizer) { adam.loadState(unprefix(ck.optimizer, 'main.')); adamScale.loadState(unprefix(ck.optimizer, 'scale.')); }
    startStep = ck.state.step;
    loss = ck.state.loss;
  } else {
    if (opts.force) for (const f of ['state.json', 'weights.safetensors', 'optimizer.safetensors', 'eval.json']) rmSync(join(opts.outDir, f), { force: true });
    if (train.fixedTemperature !== null) tf.tidy(() => params.get('logit_scale').assign(tf.scalar(Math.log(1 / train.fixedTemperature!))));
  }
  const encoder = new SoundEncoder(params, config);
  const save = async (step: number, l: number, done: boolean) => saveCheckpoint<SoundEncoderConfig, TrainState>(opts.outDir, {
    config, weights: await params.toHost(), optimizer: new Map([...prefix(await adam.stateToHost(), 'main.'), ...prefix(await adamScale.stateToHost(), 'scale.')]),
    state: { step, done, loss: l, seconds: (Date.now() - t0) / 1000, configHash: hash, provenance: provenance(backendName()) },
  });

  let step = startStep;
  const tTrain = Date.now();
  if (step < train.steps) {
    const T = audioTokens(arch), per = T * arch.patchFrames * arch.mels, B = train.batchSize;
    const feats = encoder.features(readSoundClips(opts.worldDir, entries));
    const tokenized = entries.map((e) => e.sentences.map((s) => encoder.vocab.encode(s.raw, arch.contextLength)));
    const root = new Rng(train.seed);
    const every = opts.checkpointEvery ?? 100;
    const stopAt = opts.maxStepsThisRun !== undefined ? Math.min(train.steps, step + opts.maxStepsThisRun) : train.steps;
    const progress = opts.quiet ? null : new Progress({ total: train.steps, label: 'train-sound-encoder', unit: 'steps' });
    const batch = new Float32Array(B * per);
    // the latest loss stays on the device; read every READ_EVERY steps and before checkpoints (lib/world/encoder.ts)
    let lossT: tf.Scalar | null = null, lossStep = step;
    const readLoss = async () => {
      if (!lossT) return;
      loss = (await lossT.data())[0];
      if (!Number.isFinite(loss)) throw new DbridgeError(`train-sound-encoder: loss became ${loss} by step ${lossStep}; try a lower --lr`);
      progress?.update(lossStep + 1, { loss });
    };
    try {
      for (; step < stopAt; step++) {
        const rng = root.fork(`step/${step}`);
        const idx = sampleDistinct(rng, entries.length, B);
        const rows = idx.map((i) => tokenized[i][rng.int(tokenized[i].length)]);
        idx.forEach((i, b) => batch.set(feats.subarray(i * per, (i + 1) * per), b * per));
        const L = Math.min(arch.contextLength, Math.ceil(Math.max(...rows.map((r) => r.length)) / 4) * 4);
        const ids = new Int32Array(B * L);
        rows.forEach((r, b) => ids.set(r, b * L));
        const x = tf.tensor4d(batch, [B, T, arch.patchFrames, arch.mels]);
        const idT = tf.tensor2d(ids, [B, L], 'int32');
        const lengths = rows.map((r) => r.length);
        const res = lossAndGrads(params, () => clipLoss(audioForward(params, arch, x), textForward(params, arch, idT, lengths), params.get('logit_scale')));
        tf.dispose([x, idT]);
        const { logit_scale: scaleGrad, ...rest } = res.grads;
        const norms = [adam.apply(rest, lrAt(step, train))];
        if (train.fixedTemperature === null) norms.push(adamScale.apply({ logit_scale: scaleGrad }, lrAt(step, train) * train.logitScaleLrMult));
        tf.dispose([...norms, ...Object.values(res.grads)]);
        lossT?.dispose();
        lossT = res.loss; lossStep = step;
        if ((step + 1) % READ_EVERY === 0) await readLoss();
        if ((step + 1) % every === 0 && step + 1 < stopAt) { await readLoss(); await save(step + 1, loss, false); }
      }
      await readLoss();
    } finally {
      (lossT as tf.Scalar | null)?.dispose();
    }
    progress?.finish({ loss });
  }
  const trainSeconds = (Date.now() - tTrain) / 1000;
  const done = step >= train.steps;
  if (step > startStep || startStep === 0) await save(step, loss, done);
  let retrieval: RetrievalReport | undefined;
  const evalSplit = opts.evalSplit ?? 'test';
  if (done && evalSplit !== 'none') {
    retrieval = await evaluateSoundRetrieval(encoder, opts.worldDir, evalSplit);
    writeJsonAtomic(join(opts.outDir, 'eval.json'), { retrieval, logitScale: await encoder.logitScale(), step, provenance: provenance(backendName()) });
  }
  const result: TrainSoundEncoderResult = {
    outDir: opts.outDir, step, loss, logitScale: await encoder.logitScale(), seconds: (Date.now() - t0) / 1000,
    stepsPerSecond: (step - startStep) / Math.max(1e-9, trainSeconds), retrieval, done,
  };
  encoder.dispose();
  adam.dispose();
  adamScale.dispose();
  return result;
}

/** True when `dir` holds a sound encoder checkpoint. */
export function soundEncoderExists(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && checkpointExists(dir);
}
