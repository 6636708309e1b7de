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
import { Adam, DeviceSum, READ_EVERY, linearWarmupDecay, lossAndGrads } from '../nn/index.ts';
import { loadCheckpoint, saveCheckpoint } from '../nn/checkpoint.ts';
import { DbridgeError } from '../util/errors.ts';
import { writeJsonAtomic, readJson, ensureDir } from '../util/fs.ts';
import { Progress, logLine } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { configHash, sha256 } from '../util/hash.ts';
import { checkResume } from '../util/resume.ts';
import { lockFolder } from '../util/lock.ts';
import { createDecoder, decoderFromWeights, type CaptionDecoder, type DecoderConfig, type LmSpec } from './model.ts';
import { loadPretrainedLm } from './lm-checkpoint.ts';
import { GPT2_SMALL, GPT2_TINY, type Gpt2Config } from './gpt2.ts';
import type { MapperVariant } from './mapper.ts';
import { Vocab, FULL_STOP_IDS } from './tokenizer.ts';
import { DEFAULT_NOISE_VARIANCE, checkMatrix, checkTrainTreatment, trainTreatmentBase, trainTreatmentEval, trainTreatmentNoise, type TrainTreatment } from './treatments.ts';
import { generateCaptions, type GenerateOptions } from './generate.ts';

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

interface ResumeState {
  step: number;
  epoch: number;
  bestEpoch: number;
  bestScore: number | null;
  history: EpochRecord[];
  optionsHash: string;
  /** The settings behind optionsHash, so a refused resume can name the one that differs. */
  settings?: Record<string, unknown>;
}

const RESUME_LABELS: Record<string, string> = {
  epochs: '--epochs', batchSize: '--batch-size', lr: '--lr', warmup: '--warmup', weightDecay: '--weight-decay', seed: '--seed',
  treatment: '--treatment', noiseVariance: '--noise-variance', maxSeqLen: '--max-seq-len', n: 'the number of captions', D: 'the embedding dimension',
  bucketByLength: '--bucket-by-length', captions: 'the captions (--captions)', embeddings: 'the embeddings (--embeddings)',
  textMean: 'the text mean (--text-mean)', lm: '--lm', lmOverrides: 'the LM shape (--layers/--width/--heads/--dropout)', mapper: '--mapper',
  prefixLength: '--prefix-length', vocab: 'the vocabulary (from the captions, --compact-vocab)', clipGradNorm: 'clipGradNorm', mapperHidden: 'mapperHidden',
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

/**
 * AdamW over the decoder's parameters. Built inside tf.tidy: lib/nn's Adam keeps the zerosLike
 * tensors its moment variables were made from alive (2 tensors per parameter); the variables
 * survive the tidy (they hold their own reference to the data).
 */
function newAdam(decoder: CaptionDecoder, lr: number, weightDecay: number, clipGradNorm?: number): Adam {
  let optim: Adam | null = null;
  tf.tidy(() => { optim = new Adam(decoder.params, { lr, weightDecay, ...(clipGradNorm ? { clipGradNorm } : {}) }); });
  return optim!;
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
  const optionsHash = configHash({ hyper, data, lm: lmSpec, lmOverrides: opts.lmOverrides ?? null, mapper: opts.mapper ?? 'official', prefixLength: opts.prefixLength ?? DECODER_TRAIN_DEFAULTS.prefixLength, mapperHidden: opts.mapperHidden ?? null, vocab: vocab.ids });

  const settings = {
    ...hyper, ...data, lm: lmSpec, lmOverrides: opts.lmOverrides ?? null, mapper: opts.mapper ?? 'official', prefixLength: opts.prefixLength ?? DECODER_TRAIN_DEFAULTS.prefixLength,
    mapperHidden: opts.mapperHidden ?? null, vocab: configHash(vocab.ids),
  };

  // model and optimizer (fresh or resumed); one process trains into a folder at a time
  const lock = lockFolder(opts.out);
  const resumeDir = join(opts.out, 'resume');
  let state: ResumeState = { step: 0, epoch: 0, bestEpoch: 0, bestScore: null, history: [], optionsHash, settings };
  let decoder: CaptionDecoder;
  let optim: Adam;
  try {
    if (opts.resume && existsSync(join(resumeDir, 'state.json'))) {
      const ck = loadCheckpoint<DecoderConfig, ResumeState>(resumeDir);
      checkResume(opts.out, ck.state.settings ?? {}, settings, { labels: RESUME_LABELS });
      if (ck.state.optionsHash !== optionsHash) throw new DbridgeError(`--resume: ${resumeDir} was written with different data or options; use another --out or drop --resume`);
      decoder = decoderFromWeights(ck.config, ck.weights, resumeDir);
      optim = newAdam(decoder, lr, hyper.weightDecay, opts.clipGradNorm);
      if (ck.optimizer) optim.loadState(ck.optimizer);
      state = ck.state;
    } else {
      decoder = createDecoder({
        inputDim: D, lm: lmSpec, lmOverrides: opts.lmOverrides, mapper: opts.mapper, prefixLength: opts.prefixLength, mapperHidden: opts.mapperHidden,
        vocab: vocab.ids, treatment, noiseVariance, maxSeqLen, textMean: opts.textMean ?? null, seed,
      });
      optim = newAdam(decoder, lr, hyper.weightDecay, opts.clipGradNorm);
      if (decoder.prefixPositions + maxSeqLen - 1 > decoder.config.lm.nPositions) {
        decoder.dispose(); optim.dispose();
        throw new DbridgeError(`prefix (${decoder.prefixPositions}) + captions (${maxSeqLen} tokens) exceed the LM's ${decoder.config.lm.nPositions} positions`);
      }
      // an earlier run's files go only once the new model is built (the CLI keeps them until the new run has finished)
      if (existsSync(opts.out)) for (const f of ['resume', 'epochs', 'weights.safetensors', 'config.json', 'state.json', 'train_log.json']) rmSync(join(opts.out, f), { recursive: true, force: true });
    }
  } catch (e) {
    lock.release();
    throw e;
  }
  ensureDir(opts.out);
  const rng = new Rng(seed);
  const log = (s: string) => { if (!opts.quiet) logLine(s); };
  log(`train-decoder: ${n} captions, ${train.length} used, vocab ${vocab.size}${compact ? ' (compact)' : ''}, maxSeqLen ${maxSeqLen}, ` +
    `${decoder.params.count().toLocaleString()} parameters, ${stepsPerEpoch} steps/epoch x ${epochs}, lr ${lr}, warmup ${warmup}`);

  try {
    for (let epoch = state.epoch + 1; epoch <= epochs; epoch++) {
      const erng = rng.fork(`epoch-${epoch}`);
      const order = epochOrder(train, batchSize, erng.fork('order'), opts.bucketByLength ?? false);
      const noiseRng = erng.fork('noise'), dropRng = erng.fork('dropout');
      const bar = opts.quiet ? null : new Progress({ total: stepsPerEpoch, label: `epoch ${epoch}/${epochs}`, unit: 'steps' });
      const t0 = Date.now();
      // The epoch's losses are summed on the device and read (awaited) every READ_EVERY steps for
      // the progress bar and the divergence check, and at the epoch's end.
      const lossSum = new DeviceSum();
      let tokens = 0, shown = NaN;
      const readLoss = async () => {
        shown = await lossSum.mean();
        if (lossSum.count > 0 && !Number.isFinite(shown)) throw new DbridgeError(`training diverged: loss ${shown} by step ${state.step} (lower --lr?)`);
        return shown;
      };
      let trainLoss: number;
      try {
        for (let b = 0; b < stepsPerEpoch; b++) {
          if (opts.maxSteps !== undefined && state.step >= opts.maxSteps) break;
          const idx = order.length >= batchSize ? order.slice(b * batchSize, (b + 1) * batchSize) : order;
          const ex = idx.map((i) => train[i]);
          if (ex.length === 0) break;
          const rows = new Float32Array(ex.length * D);
          ex.forEach((e, i) => rows.set(base.subarray(e.row * D, (e.row + 1) * D), i * D));
          const inputs = trainTreatmentNoise(treatment, rows, D, noiseRng, { noiseVariance });
          const stepLr = linearWarmupDecay(state.step, lr, warmup, totalSteps);
          const x = tf.tensor2d(inputs, [ex.length, D]);
          const { loss, grads } = lossAndGrads(decoder.params, () => captionLoss(decoder, x, ex.map((e) => e.ids), dropRng));
          x.dispose();
          tf.dispose([optim.apply(grads, stepLr), ...Object.values(grads)]);
          lossSum.add(loss);
          state.step++;
          tokens += ex.reduce((a, e) => a + e.ids.length, 0);
          if ((b + 1) % READ_EVERY === 0) await readLoss();
          bar?.update(b + 1, { loss: shown, lr: stepLr, 'tok/s': Math.round(tokens / Math.max(1e-3, (Date.now() - t0) / 1000)) });
        }
        trainLoss = lossSum.count > 0 ? await readLoss() : 0;
      } finally {
        lossSum.dispose();
      }
      const seconds = (Date.now() - t0) / 1000;
      bar?.finish({ loss: trainLoss });
      const valLoss = valInputs && val.length ? await evalLoss(decoder, valInputs, D, val, batchSize) : null;
      let metric: number | null = null;
      if (opts.scorer && opts.valImages) {
        const caps = await generateCaptions(decoder, opts.valImages.embeddings, opts.generate ?? {});
        const cands = new Map<string, string>(), refs = new Map<string, string[]>();
        opts.valImages.ids.forEach((id, i) => { cands.set(String(id), caps[i]); refs.set(String(id), opts.valImages!.references[i]); });
        metric = await opts.scorer(cands, refs);
      }
      const score = metric ?? (valLoss !== null ? -valLoss : -trainLoss);
      const best = state.bestScore === null || score > state.bestScore;
      const rec: EpochRecord = {
        epoch, step: state.step, trainLoss, valLoss, metric, seconds,
        tokensPerSecond: tokens / Math.max(1e-3, seconds), best,
      };
      state.history.push(rec);
      if (best) { state.bestScore = score; state.bestEpoch = epoch; }
      state.epoch = epoch;
      log(`epoch ${epoch}: train loss ${rec.trainLoss.toFixed(4)}${valLoss !== null ? `, val loss ${valLoss.toFixed(4)}` : ''}` +
        `${metric !== null ? `, val ${opts.scorerName ?? 'metric'} ${metric.toFixed(4)}` : ''}, ${Math.round(rec.tokensPerSecond)} tok/s${best ? ' (best)' : ''}`);
      const weights = await decoder.weightsToHost();
      const epState = { step: state.step, epoch, trainLoss: rec.trainLoss, valLoss, metric };
      if (opts.keepEpochs ?? true) saveCheckpoint(join(opts.out, 'epochs', `epoch-${String(epoch).padStart(2, '0')}`), { config: decoder.config, weights, state: epState });
      if (best) saveCheckpoint(opts.out, { config: decoder.config, weights, state: { ...epState, selectedBy: metric !== null ? opts.scorerName ?? 'metric' : valLoss !== null ? 'val loss' : 'train loss' } });
      saveCheckpoint(resumeDir, { config: decoder.config, weights, optimizer: await optim.stateToHost(), state: state as unknown as ResumeState & { step: number } });
      writeJsonAtomic(join(opts.out, 'train_log.json'), { options: hyper, lmSource: decoder.config.lmSource, bestEpoch: state.bestEpoch, history: state.history });
      opts.onEpoch?.(rec);
      if (opts.maxSteps !== undefined && state.step >= opts.maxSteps) break;
    }
    return { out: opts.out, bestEpoch: state.bestEpoch, history: state.history, config: decoder.config, steps: state.step };
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
