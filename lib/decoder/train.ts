// Text-only decoder training (ClipCap / C3 / Diffusion Bridge `clip_cap.py` + `dataset_coco.py`):
// each training caption's embedding, after the treatment of the method (treatments.ts), is mapped
// to a prefix; the loss is cross-entropy of the caption tokens predicted from the positions before
// them (logits[:, P-1:-1]), padding ignored, mean over real tokens. AdamW (torch defaults, weight
// decay 0.01), linear warm-up then linear decay to 0 (transformers' get_linear_schedule_with_warmup),
// shuffled batches with drop_last, a checkpoint per epoch, the best epoch selected on validation,
// and --resume from the last finished epoch.
// Divergences: ClipCap pads with id 0 and ignores id 0 in the loss (so real "!" tokens are never
// learned); here padding is masked explicitly. Batches are padded to their longest caption (not to
// max_seq_len), which changes nothing for right padding under causal attention. Best-epoch
// selection uses a caption metric when a scorer is given (the official code picks val METEOR),
// else the validation loss (as C3).
import { existsSync, rmSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { Adam, DeviceSum, linearWarmupDecay } from '../nn/index.ts';
import { saveCheckpoint } from '../nn/checkpoint.ts';
import { DbridgeError } from '../util/errors.ts';
import { writeJsonAtomic, readJson, ensureDir } from '../util/fs.ts';
import { logLine } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { configHash, sha256 } from '../util/hash.ts';
import { lockFolder } from '../util/lock.ts';
import { createDecoder, decoderFromWeights, type CaptionDecoder, type DecoderConfig, type LmSpec } from './model.ts';
import { loadPretrainedLm } from './lm-checkpoint.ts';
import { GPT2_SMALL, GPT2_TINY, type Gpt2Config } from './gpt2.ts';
import type { MapperVariant } from './mapper.ts';
import { Vocab, FULL_STOP_IDS } from './tokenizer.ts';
import { DEFAULT_NOISE_VARIANCE, checkMatrix, checkTrainTreatment, trainTreatmentBase, trainTreatmentEval, trainTreatmentNoise, type TrainTreatment } from './treatments.ts';
import { generateCaptions, type GenerateOptions } from './generate.ts';
import { runTraining, type TrainModel, type TrainProblem } from '../train/index.ts';

/** Scores generated captions against references (higher is better), e.g. METEOR or CIDEr from lib/metrics. */
export type CaptionScorer = (candidates: Map<string, string>, references: Map<string, string[]>) => number | Promise<number>;

export interface TrainDecoderOptions {
  /** Per-caption input embeddings [N, D] (for 'augmented': the diffusion-augmented ones). */
  embeddings: Float32Array;
  /** Embedding dimension D. */
  dim: number;
  /** N training captions, row i described by embeddings row i. */
  captions: string[];
  treatment: TrainTreatment;
  /** Mean of L2-normalised train text embeddings [D]: required for plain/c3; stored in the checkpoint when given. */
  textMean?: Float32Array;
  /** Output folder: best weights at the top, epochs/epoch-NN/, resume/, train_log.json. */
  out: string;

  /** Validation captions with their text embeddings (val loss). */
  val?: { embeddings: Float32Array; captions: string[] };
  /**
   * Validation images for metric-based selection (the official code: bridged val image embeddings,
   * METEOR): embeddings already treated for test, ids and reference captions. Used when `scorer` is set.
   */
  valImages?: { embeddings: Float32Array; ids: (string | number)[]; references: string[][] };
  scorer?: CaptionScorer;
  /** Name of the selection metric, for logs (default 'metric'). */
  scorerName?: string;
  generate?: GenerateOptions;

  /** LM: 'tiny' (default), 'small' (GPT-2 small from scratch), { hfDir } (pretrained GPT-2) or { pretrained } (lib/decoder/pretrain.ts; its vocabulary is used). */
  lm?: LmSpec;
  lmOverrides?: Partial<Gpt2Config>;
  mapper?: MapperVariant;
  prefixLength?: number;
  mapperHidden?: number;
  /** Factor on the mapper's input (default 1; see MapperConfig.inputScale). */
  mapperInputScale?: number;
  /** Restrict the vocabulary to the tokens of the train (+val) captions plus full stops (default: true for LMs from scratch, false for { hfDir }). */
  compactVocab?: boolean;

  /** Epochs (default 10). */
  epochs?: number;
  /** Batch size (default 40). */
  batchSize?: number;
  /** Peak learning rate (default 2e-5 for a pretrained GPT-2; from scratch 4e-3 up to width 128, else 1e-3: defaultLr). */
  lr?: number;
  /** Warm-up steps (default min(5000, 10% of all steps)). */
  warmup?: number;
  /** AdamW weight decay (default 0.01, torch's AdamW default). */
  weightDecay?: number;
  /** Gradient-norm clip (default none, as ClipCap). */
  clipGradNorm?: number;
  /** Noise variance for capdec/c3 (default 0.016). */
  noiseVariance?: number;
  /** Caption token cap (default ClipCap's min(int(mean + 10 std), max) of train lengths). */
  maxSeqLen?: number;
  seed?: number;
  /** Continue from `out/resume` when present (default false: an existing folder is overwritten). */
  resume?: boolean;
  /** Write epochs/epoch-NN checkpoints (default true). */
  keepEpochs?: boolean;
  /**
   * Group captions of similar length into batches (within windows of 20 batches; batch order
   * shuffled) to cut padding, ~25% fewer positions on the world's captions. Default false (the
   * reference code's plain shuffled batches).
   */
  bucketByLength?: boolean;
  /** Stop after this many optimizer steps (for tests/benchmarks; default none). */
  maxSteps?: number;
  /** Worker threads, one decoder replica each (default 1: this thread); see lib/train. */
  workers?: number;
  /** Captions per forward/backward pass within a worker (default 0: its whole share of the batch). */
  microBatch?: number;
  quiet?: boolean;
  /** Called after each epoch. */
  onEpoch?: (e: EpochRecord) => void;
}

export interface EpochRecord {
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number | null;
  metric: number | null;
  seconds: number;
  tokensPerSecond: number;
  best: boolean;
}

export interface TrainDecoderResult {
  out: string;
  bestEpoch: number;
  history: EpochRecord[];
  config: DecoderConfig;
  steps: number;
}

/** Training defaults of the text-only decoder (ClipCap's train.py: 10 epochs, batch 40, AdamW weight decay 0.01, prefix 10). */
export const DECODER_TRAIN_DEFAULTS = { epochs: 10, batchSize: 40, weightDecay: 0.01, prefixLength: 10 } as const;

const RESUME_LABELS: Record<string, string> = {
  epochs: '--epochs', batchSize: '--batch-size', lr: '--lr', warmup: '--warmup', weightDecay: '--weight-decay', seed: '--seed',
  treatment: '--treatment', noiseVariance: '--noise-variance', maxSeqLen: '--max-seq-len', n: 'the number of captions', D: 'the embedding dimension',
  bucketByLength: '--bucket-by-length', captions: 'the captions (--captions)', embeddings: 'the embeddings (--embeddings)',
  textMean: 'the text mean (--text-mean)', lm: '--lm', lmOverrides: 'the LM shape (--layers/--width/--heads/--dropout)', mapper: '--mapper',
  prefixLength: '--prefix-length', mapperInputScale: 'the mapper input scale', vocab: 'the vocabulary (from the captions, --compact-vocab)', clipGradNorm: 'clipGradNorm', mapperHidden: 'mapperHidden',
};

/** A caption's tokens as model ids, truncated to maxSeqLen. */
interface Example { row: number; ids: number[] }

/** ClipCap's max_seq_len: min(int(mean + 10 * std), max) of token lengths (torch std is unbiased). */
export function clipcapMaxSeqLen(lengths: number[]): number {
  const n = lengths.length;
  const mean = lengths.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(lengths.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return Math.max(1, Math.min(Math.floor(mean + 10 * std), Math.max(...lengths)));
}

function checkCaptions(captions: string[], n: number, what: string): void {
  if (!Array.isArray(captions) || captions.length === 0) throw new DbridgeError(`${what}: no captions`);
  if (captions.length !== n) throw new DbridgeError(`${what}: ${captions.length} captions but ${n} embedding rows`);
  captions.forEach((c, i) => {
    if (typeof c !== 'string' || c.trim() === '') throw new DbridgeError(`${what}: caption ${i} is empty`);
  });
}

/**
 * Loss of one batch: mean cross-entropy over the real caption tokens. `inputs` [B, D] (treated),
 * `examples` the batch's token ids. Differentiable with respect to the decoder's parameters.
 */
export function captionLoss(decoder: CaptionDecoder, inputs: tf.Tensor2D, examples: number[][], dropoutRng?: Rng): tf.Scalar {
  return tf.tidy(() => {
    const B = examples.length;
    const T = Math.max(...examples.map((e) => e.length));
    const P = decoder.prefixPositions;
    const L = P + T - 1; // the last token is never an input
    if (L > decoder.config.lm.nPositions) throw new DbridgeError(`caption of ${T} tokens + prefix ${P} exceeds the LM's ${decoder.config.lm.nPositions} positions`);
    const prefix = decoder.prefix(inputs);
    let x = prefix;
    if (T > 1) {
      const tok = new Int32Array(B * (T - 1));
      examples.forEach((e, b) => { for (let t = 0; t < T - 1; t++) tok[b * (T - 1) + t] = t < e.length ? e[t] : 0; });
      x = tf.concat([prefix, decoder.lm.embedTokens(tf.tensor2d(tok, [B, T - 1], 'int32'))], 1);
    }
    const rate = decoder.config.lm.dropout;
    const hidden = decoder.lm.forwardEmbeds(x, dropoutRng && rate > 0 ? { rate, rng: dropoutRng } : undefined);
    // rows of the real tokens: position P-1+t predicts token t
    const rows: number[] = [], targets: number[] = [];
    examples.forEach((e, b) => e.forEach((id, t) => { rows.push(b * L + P - 1 + t); targets.push(id); }));
    const h = tf.gather(hidden.reshape([B * L, -1]), tf.tensor1d(rows, 'int32'));
    const logits = decoder.lm.logits(h) as tf.Tensor2D;
    return tf.mean(tokenNll(logits, tf.tensor1d(targets, 'int32'))) as tf.Scalar;
  });
}

/**
 * Per-row cross-entropy -log softmax(logits)[target] of logits [N, V] and int targets [N], with the
 * gradient written directly as (softmax - onehot) * dy: tfjs' logSumExp/gather gradients go through
 * a broadcast Equal and a scatter that are slow on wasm (the Equal alone was ~10% of a tiny step).
 */
export const tokenNll = tf.customGrad(((logits: tf.Tensor, targets: tf.Tensor, save: tf.GradSaveFunc) => {
  const [N, V] = logits.shape as [number, number];
  const tInt = tf.cast(targets, 'int32'); // customGrad hands its inputs over as float32
  const flat = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), tInt);
  const picked = tf.gather(logits.reshape([-1]), flat);
  const nll = tf.sub(tf.logSumExp(logits, 1), picked);
  save([logits, targets]);
  return {
    value: nll,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [lg, tg] = saved;
      const g = tf.mul(tf.sub(tf.softmax(lg, -1), tf.oneHot(tf.cast(tg, 'int32'), V)), dy.reshape([N, 1]));
      return [g, tf.zerosLike(tg)];
    },
  };
}) as any) as unknown as (logits: tf.Tensor2D, targets: tf.Tensor1D) => tf.Tensor1D;

/** Mean val loss over examples (token-weighted), no dropout, no noise. */
async function evalLoss(decoder: CaptionDecoder, inputs: Float32Array, dim: number, examples: Example[], batch: number): Promise<number> {
  const sum = new DeviceSum(); // token-weighted losses stay on the device until the end
  let count = 0;
  try {
    for (let s = 0; s < examples.length; s += batch) {
      const ex = examples.slice(s, s + batch);
      const rows = new Float32Array(ex.length * dim);
      ex.forEach((e, i) => rows.set(inputs.subarray(e.row * dim, (e.row + 1) * dim), i * dim));
      const tokens = ex.reduce((a, e) => a + e.ids.length, 0);
      sum.add(tf.tidy(() => tf.mul(captionLoss(decoder, tf.tensor2d(rows, [ex.length, dim]), ex.map((e) => e.ids)), tokens) as tf.Scalar));
      count += tokens;
    }
    return count > 0 ? (await sum.read()) / count : NaN;
  } finally {
    sum.dispose();
  }
}

/**
 * The epoch's example order: a permutation, or (bucketing) the permutation cut into windows of 20
 * batches, each window sorted by length and cut into batches, then all full batches shuffled.
 */
export function epochOrder(train: { ids: number[] }[], batchSize: number, rng: Rng, bucket: boolean): number[] {
  const perm = rng.permutation(train.length);
  if (!bucket || train.length < 2 * batchSize) return perm;
  const window = 20 * batchSize;
  const batches: number[][] = [];
  for (let s = 0; s < perm.length; s += window) {
    const w = perm.slice(s, s + window).sort((a, b) => train[a].ids.length - train[b].ids.length);
    for (let b = 0; b + batchSize <= w.length; b += batchSize) batches.push(w.slice(b, b + batchSize));
  }
  return rng.shuffle(batches).flat();
}

/** AdamW over the decoder's parameters (torch defaults; clipping only when asked, as ClipCap has none). */
function newAdam(decoder: CaptionDecoder, lr: number, weightDecay: number, clipGradNorm?: number): Adam {
  return new Adam(decoder.params, { lr, weightDecay, ...(clipGradNorm ? { clipGradNorm } : {}) });
}

/** One step's host data: treated input embeddings [n, D] and the captions' token ids. */
export interface DecoderBatch {
  inputs: Float32Array;
  ids: number[][];
  D: number;
}

/** The caption loss of a decoder as the training harness's TrainModel (mean over tokens; dropout per step and part). */
export function decoderTrainModel(decoder: CaptionDecoder, seed: number): TrainModel<DecoderBatch> {
  return {
    params: decoder.params,
    loss: (b, ctx) => captionLoss(decoder, tf.tensor2d(b.inputs, [b.ids.length, b.D]), b.ids,
      decoder.config.lm.dropout > 0 ? new Rng(seed).fork(`dropout/${ctx.step}/${ctx.part}`) : undefined),
    weight: (b) => b.ids.reduce((a, e) => a + e.length, 0),
    dispose: () => decoder.dispose(),
  };
}

/** Worker-side replica (lib/train/worker.ts): a decoder of `config`; its weights come from the main thread. */
export function decoderReplica(args: { config: DecoderConfig; textMean: Float32Array | null; seed: number }): TrainModel<DecoderBatch> {
  return decoderTrainModel(decoderFromWeights(args.config, null, 'replica', args.textMean), args.seed);
}

/**
 * Default peak learning rate: 2e-5 for a pretrained GPT-2 (ClipCap/C3/Diffusion Bridge); from scratch
 * 4e-3 for widths up to 128 (tuned on world captions for GPT2_TINY: val loss 0.58 at 4e-3 vs 0.66 at
 * 8e-3, 0.71 at 2e-3 and 1.03 at 1e-3 after the same 45 CPU-seconds), 1e-3 for wider LMs.
 */
export function defaultLr(pretrained: boolean, width: number): number {
  if (pretrained) return 2e-5;
  return width <= 128 ? 4e-3 : 1e-3;
}

/** Trains a caption decoder on text embeddings and captions; see TrainDecoderOptions for defaults. */
export async function trainDecoder(opts: TrainDecoderOptions): Promise<TrainDecoderResult> {
  const treatment = checkTrainTreatment(opts.treatment);
  const D = opts.dim;
  const n = checkMatrix(opts.embeddings, D, 'training embeddings');
  checkCaptions(opts.captions, n, 'training data');
  if (opts.val) checkCaptions(opts.val.captions, checkMatrix(opts.val.embeddings, D, 'validation embeddings'), 'validation data');
  if ((treatment === 'plain' || treatment === 'c3') && !opts.textMean) throw new DbridgeError(`treatment '${treatment}' needs the text mean (textMean / --text-mean)`);
  if (treatment === 'augmented' && opts.val && !opts.textMean) throw new DbridgeError("treatment 'augmented' with validation data needs the text mean (textMean / --text-mean): its val text is mean-removed");
  if (opts.textMean && opts.textMean.length !== D) throw new DbridgeError(`text mean has dimension ${opts.textMean.length}, embeddings have ${D}`);
  const lmSpec = opts.lm ?? 'tiny';
  const pretrained = typeof lmSpec === 'object' && 'hfDir' in lmSpec;
  const epochs = opts.epochs ?? DECODER_TRAIN_DEFAULTS.epochs;
  const batchSize = opts.batchSize ?? DECODER_TRAIN_DEFAULTS.batchSize;
  const lmCheckpoint = typeof lmSpec === 'object' && 'pretrained' in lmSpec ? loadPretrainedLm(lmSpec.pretrained).config : null;
  const width = opts.lmOverrides?.nEmbd ?? (lmSpec === 'tiny' ? GPT2_TINY.nEmbd : lmSpec === 'small' ? GPT2_SMALL.nEmbd : pretrained ? 0 : lmCheckpoint ? lmCheckpoint.lm.nEmbd : (lmSpec as Gpt2Config).nEmbd);
  const lr = opts.lr ?? defaultLr(pretrained, width);
  const seed = opts.seed ?? 0;
  const noiseVariance = opts.noiseVariance ?? DEFAULT_NOISE_VARIANCE;
  if (!Number.isInteger(epochs) || epochs < 1) throw new DbridgeError(`epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DbridgeError(`batch size must be a positive integer, got ${batchSize}`);
  if (!(lr > 0)) throw new DbridgeError(`learning rate must be > 0, got ${lr}`);

  // tokens
  const compact = opts.compactVocab ?? !pretrained;
  // a pre-trained world LM brings its vocabulary (it covers the captioning splits' tokens)
  const vocab = lmCheckpoint ? new Vocab(lmCheckpoint.vocab) : compact ? Vocab.fromTexts([...opts.captions, ...(opts.val?.captions ?? [])], FULL_STOP_IDS) : Vocab.full();
  const trainIds = opts.captions.map((c) => vocab.encode(c));
  const maxSeqLen = opts.maxSeqLen ?? clipcapMaxSeqLen(trainIds.map((t) => t.length));
  const toExamples = (ids: number[][]): Example[] => ids.map((t, row) => ({ row, ids: t.slice(0, maxSeqLen) })).filter((e) => e.ids.length > 0);
  const train = toExamples(trainIds);
  const val = opts.val ? toExamples(opts.val.captions.map((c) => vocab.encode(c))) : [];

  const base = trainTreatmentBase(treatment, opts.embeddings, D, { textMean: opts.textMean, noiseVariance });
  const valInputs = opts.val ? trainTreatmentEval(treatment, opts.val.embeddings, D, { textMean: opts.textMean }) : null;

  const stepsPerEpoch = Math.max(1, Math.floor(train.length / batchSize));
  const totalSteps = epochs * stepsPerEpoch;
  const warmup = opts.warmup ?? Math.min(5000, Math.floor(0.1 * totalSteps));
  const hyper = { epochs, batchSize, lr, warmup, weightDecay: opts.weightDecay ?? DECODER_TRAIN_DEFAULTS.weightDecay, clipGradNorm: opts.clipGradNorm ?? null, seed, treatment, noiseVariance, maxSeqLen, n, D, bucketByLength: opts.bucketByLength ?? false };
  const data = {
    captions: sha256(opts.captions.join('\n')),
    embeddings: sha256(new Uint8Array(opts.embeddings.buffer, opts.embeddings.byteOffset, opts.embeddings.byteLength)),
    textMean: opts.textMean ? sha256(new Uint8Array(opts.textMean.buffer, opts.textMean.byteOffset, opts.textMean.byteLength)) : null,
  };

  const settings = {
    ...hyper, ...data, lm: lmSpec, lmOverrides: opts.lmOverrides ?? null, mapper: opts.mapper ?? 'official', prefixLength: opts.prefixLength ?? DECODER_TRAIN_DEFAULTS.prefixLength,
    mapperHidden: opts.mapperHidden ?? null, mapperInputScale: opts.mapperInputScale ?? 1, vocab: configHash(vocab.ids),
  };

  // a resume continues from resume/ (the harness's checkpoint)
  const resumeDir = join(opts.out, 'resume');
  const lock = lockFolder(opts.out); // one process trains into a folder at a time
  let decoder: CaptionDecoder;
  try {
    decoder = createDecoder({
    inputDim: D, lm: lmSpec, lmOverrides: opts.lmOverrides, mapper: opts.mapper, prefixLength: opts.prefixLength, mapperHidden: opts.mapperHidden, mapperInputScale: opts.mapperInputScale,
      vocab: vocab.ids, treatment, noiseVariance, maxSeqLen, textMean: opts.textMean ?? null, seed,
    });
  } catch (e) {
    lock.release();
    throw e;
  }
  if (decoder.prefixPositions + maxSeqLen - 1 > decoder.config.lm.nPositions) {
    decoder.dispose(); lock.release();
    throw new DbridgeError(`prefix (${decoder.prefixPositions}) + captions (${maxSeqLen} tokens) exceed the LM's ${decoder.config.lm.nPositions} positions`);
  }
  // a fresh start replaces what an earlier run left, once the new model is built (the CLI keeps them until the new run has finished)
  if (!opts.resume && existsSync(opts.out)) for (const f of ['resume', 'epochs', 'weights.safetensors', 'config.json', 'state.json', 'train_log.json']) rmSync(join(opts.out, f), { recursive: true, force: true });
  const optim = newAdam(decoder, lr, hyper.weightDecay, opts.clipGradNorm);
  ensureDir(opts.out);
  const log = (s: string) => { if (!opts.quiet) logLine(s); };
  log(`train-decoder: ${n} captions, ${train.length} used, vocab ${vocab.size}${compact ? ' (compact)' : ''}, maxSeqLen ${maxSeqLen}, ` +
    `${decoder.params.count().toLocaleString()} parameters, ${stepsPerEpoch} steps/epoch x ${epochs}, lr ${lr}, warmup ${warmup}`);

  // batches: epoch e (1-based) takes its order from Rng(seed).fork(`epoch-${e}`); the noise of step s from fork(`noise/${s}`)
  const orders = new Map<number, number[]>();
  const orderOf = (epoch: number): number[] => {
    let o = orders.get(epoch);
    if (!o) {
      o = epochOrder(train, batchSize, new Rng(seed).fork(`epoch-${epoch}`).fork('order'), opts.bucketByLength ?? false);
      orders.clear();
      orders.set(epoch, o);
    }
    return o;
  };
  const batchAt = (step: number): DecoderBatch => {
    const epoch = Math.floor(step / stepsPerEpoch) + 1, b = step % stepsPerEpoch;
    const order = orderOf(epoch);
    const idx = order.length >= batchSize ? order.slice(b * batchSize, (b + 1) * batchSize) : order;
    const ex = idx.map((i) => train[i]);
    const rows = new Float32Array(ex.length * D);
    ex.forEach((e, i) => rows.set(base.subarray(e.row * D, (e.row + 1) * D), i * D));
    return { inputs: trainTreatmentNoise(treatment, rows, D, new Rng(seed).fork(`noise/${step}`), { noiseVariance }), ids: ex.map((e) => e.ids), D };
  };
  const problem: TrainProblem<DecoderBatch> = {
    model: decoderTrainModel(decoder, seed),
    batch: batchAt,
    rows: (b) => b.ids.length,
    slice: (b, s, e) => ({ inputs: b.inputs.slice(s * D, e * D), ids: b.ids.slice(s, e), D }),
    lr: (step) => linearWarmupDecay(step, lr, warmup, totalSteps),
    replica: { module: import.meta.url, factory: 'decoderReplica', args: { config: decoder.config, textMean: opts.textMean ?? null, seed } },
  };

  // what the epochs have decided (saved in every checkpoint, so a resume continues the selection)
  const sel = { bestEpoch: 0, bestScore: null as number | null, history: [] as EpochRecord[] };
  let epochStart = Date.now();
  const endOfEpoch = async (step: number, window: { meanLoss: number }) => {
    const epoch = step / stepsPerEpoch;
    const seconds = (Date.now() - epochStart) / 1000;
    const tokens = orderOf(epoch).slice(0, stepsPerEpoch * batchSize).reduce((a, i) => a + train[i].ids.length, 0);
    const valLoss = valInputs && val.length ? await evalLoss(decoder, valInputs, D, val, batchSize) : null;
    let metric: number | null = null;
    if (opts.scorer && opts.valImages) {
      const caps = await generateCaptions(decoder, opts.valImages.embeddings, opts.generate ?? {});
      const cands = new Map<string, string>(), refs = new Map<string, string[]>();
      opts.valImages.ids.forEach((id, i) => { cands.set(String(id), caps[i]); refs.set(String(id), opts.valImages!.references[i]); });
      metric = await opts.scorer(cands, refs);
    }
    const score = metric ?? (valLoss !== null ? -valLoss : -window.meanLoss);
    const best = sel.bestScore === null || score > sel.bestScore;
    const rec: EpochRecord = { epoch, step, trainLoss: window.meanLoss, valLoss, metric, seconds, tokensPerSecond: tokens / Math.max(1e-3, seconds), best };
    sel.history.push(rec);
    if (best) { sel.bestScore = score; sel.bestEpoch = epoch; }
    log(`epoch ${epoch}: train loss ${rec.trainLoss.toFixed(4)}${valLoss !== null ? `, val loss ${valLoss.toFixed(4)}` : ''}` +
      `${metric !== null ? `, val ${opts.scorerName ?? 'metric'} ${metric.toFixed(4)}` : ''}, ${Math.round(rec.tokensPerSecond)} tok/s${best ? ' (best)' : ''}`);
    const weights = await decoder.weightsToHost();
    const epState = { step, epoch, trainLoss: rec.trainLoss, valLoss, metric };
    if (opts.keepEpochs ?? true) saveCheckpoint(join(opts.out, 'epochs', `epoch-${String(epoch).padStart(2, '0')}`), { config: decoder.config, weights, state: epState });
    if (best) saveCheckpoint(opts.out, { config: decoder.config, weights, state: { ...epState, selectedBy: metric !== null ? opts.scorerName ?? 'metric' : valLoss !== null ? 'val loss' : 'train loss' } });
    writeJsonAtomic(join(opts.out, 'train_log.json'), { options: hyper, lmSource: decoder.config.lmSource, bestEpoch: sel.bestEpoch, history: sel.history });
    opts.onEpoch?.(rec);
    epochStart = Date.now();
  };

  try {
    const r = await runTraining(problem, {
      steps: Math.min(totalSteps, opts.maxSteps ?? Infinity), optimizer: optim, workers: opts.workers ?? 1, microBatch: opts.microBatch ?? 0,
      logEvery: Math.max(1, Math.min(50, stepsPerEpoch)), progress: opts.quiet ? false : 'train-decoder',
      hooks: [{ every: stepsPerEpoch, run: endOfEpoch }],
      trainerState: { save: () => structuredClone(sel), load: (s) => Object.assign(sel, s as typeof sel) },
      checkpoint: {
        dir: resumeDir, every: stepsPerEpoch, config: decoder.config, resume: opts.resume, settings, labels: RESUME_LABELS,
        hint: 'use another --out or drop --resume',
        extraWeights: () => (decoder.textMean ? new Map([['buffer.text_mean', { dtype: 'float32' as const, shape: [decoder.textMean.length], data: decoder.textMean }]]) : new Map()),
      },
    });
    return { out: opts.out, bestEpoch: sel.bestEpoch, history: sel.history, config: decoder.config, steps: r.endStep };
  } finally {
    optim.dispose();
    decoder.dispose();
    lock.release();
  }
}

/** Reads train_log.json of a training folder. */
export function readTrainLog(dir: string): { bestEpoch: number; history: EpochRecord[] } {
  return readJson(join(dir, 'train_log.json'), 'decoder training log');
}

/** Copies the chosen epoch's weights to the top of a training folder (manual re-selection). */
export function selectEpoch(dir: string, epoch: number): void {
  const src = join(dir, 'epochs', `epoch-${String(epoch).padStart(2, '0')}`);
  if (!existsSync(src)) throw new DbridgeError(`no checkpoint for epoch ${epoch} in ${dir}`);
  for (const f of ['weights.safetensors', 'config.json', 'state.json']) cpSync(join(src, f), join(dir, f));
}
