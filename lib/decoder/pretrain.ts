// Language-model pre-training of the decoder's LM on web text, the stand-in for GPT-2's WebText
// pre-training: the paper fine-tunes a GPT-2 pre-trained on web text, and a captioning decoder
// trained from scratch on a few thousand captions has no language prior (the noise-trained ones
// collapse to a handful of captions). Here the world's small LM is pre-trained once per world on
// the pre-training ("web") captions, GPT-2 style: captions shuffled, joined with <|endoftext|>
// before each, packed into windows of `seqLen` + 1 tokens, next-token cross-entropy at every
// position, AdamW with linear warm-up and decay. Every captioning decoder then starts from these
// weights (createDecoder's lm: { pretrained: dir }) and fine-tunes on text only.
// The vocabulary is compact: the GPT-2 ids of the web captions plus `vocabTexts` (the captioning
// splits' captions, so every decoder's text is covered), the full stops and <|endoftext|>.
// Divergence from GPT-2's recipe: a tiny model and a short budget (CPU); no dropout by default.
// The step loop is lib/train's harness: a batch of windows is cut into micro-batches dealt to worker
// threads (the numbers depend on microBatch, never on the worker count), with exact resume.
// A folder holds config.json (kind 'dbridge-lm': the Gpt2Config and the vocabulary),
// weights.safetensors (names gpt.*), state.json; resume/ holds the harness's checkpoint for --resume.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { Adam, ParamStore, linearWarmupDecay } from '../nn/index.ts';
import { saveCheckpoint } from '../nn/checkpoint.ts';
import { LM_KIND, type PretrainedLmConfig } from './lm-checkpoint.ts';
import { DbridgeError } from '../util/errors.ts';
import { logLine } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { sha256 } from '../util/hash.ts';
import { Gpt2, GPT2_TINY, validateGpt2Config, type Gpt2Config } from './gpt2.ts';
import { Vocab, FULL_STOP_IDS, GPT2_EOS } from './tokenizer.ts';
import { tokenNll } from './train.ts';
import { runTraining, type TrainModel, type TrainProblem } from '../train/index.ts';

export interface PretrainLmOptions {
  /** The web captions. */
  captions: string[];
  /** Texts whose tokens the vocabulary must cover besides the web captions (the decoders' captions). */
  vocabTexts?: string[];
  /** Base LM config (default GPT2_TINY) and overrides. */
  lm?: Gpt2Config;
  lmOverrides?: Partial<Gpt2Config>;
  out: string;
  /** Optimizer steps (default 300). */
  steps?: number;
  /** Windows per step (default 32). */
  batchSize?: number;
  /** Tokens per window (default 48). */
  seqLen?: number;
  /** Windows per forward/backward pass (default 0: one part per worker); the numbers depend on it, not on `workers`. */
  microBatch?: number;
  /** Worker threads, one LM replica each (default 1: this thread); see lib/train. */
  workers?: number;
  /** Peak learning rate (default 4e-3, the tiny LM's rate from scratch, decoder/train.ts defaultLr). */
  lr?: number;
  /** Warm-up steps (default 10% of steps). */
  warmup?: number;
  weightDecay?: number;
  seed?: number;
  /** Continue from out/resume when it holds a run of the same options. */
  resume?: boolean;
  /** Steps between resume checkpoints (default 200). */
  saveEvery?: number;
  /** Stop after this many steps with the resume checkpoint written, as an interrupted run would (tests). */
  stopAfter?: number;
  quiet?: boolean;
}

export interface PretrainLmResult {
  out: string;
  steps: number;
  finalLoss: number;
  tokensPerSecond: number;
  vocabSize: number;
}

/** The token stream of one pass: captions in a seeded order, each preceded by <|endoftext|>, cut into windows of seqLen + 1. */
export function packWindows(ids: number[][], eos: number, seqLen: number, rng: Rng): Int32Array[] {
  const stream: number[] = [];
  for (const i of rng.permutation(ids.length)) { stream.push(eos); for (const t of ids[i]) stream.push(t); }
  const out: Int32Array[] = [];
  for (let s = 0; s + seqLen + 1 <= stream.length; s += seqLen + 1) out.push(Int32Array.from(stream.slice(s, s + seqLen + 1)));
  return out;
}

/** Mean next-token cross-entropy of a batch of windows [B, seqLen + 1] (model ids). */
export function lmLoss(lm: Gpt2, windows: Int32Array[]): tf.Scalar {
  return tf.tidy(() => {
    const B = windows.length, T = windows[0].length - 1;
    const inp = new Int32Array(B * T), tgt = new Int32Array(B * T);
    windows.forEach((w, b) => { inp.set(w.subarray(0, T), b * T); tgt.set(w.subarray(1), b * T); });
    const hidden = lm.forwardEmbeds(lm.embedTokens(tf.tensor2d(inp, [B, T], 'int32')));
    const logits = lm.logits(hidden.reshape([B * T, -1])) as tf.Tensor2D;
    return tf.mean(tokenNll(logits, tf.tensor1d(tgt, 'int32'))) as tf.Scalar;
  });
}

/** One step's windows (every window has seqLen + 1 tokens, so a per-window mean is a per-token mean). */
interface LmBatch { windows: Int32Array[] }

function lmTrainModel(cfg: Gpt2Config, seed: number): TrainModel<LmBatch> {
  const params = new ParamStore();
  const lm = Gpt2.create(cfg, params, new Rng(seed).fork('gpt'), 'gpt.');
  return { params, loss: (b) => lmLoss(lm, b.windows), weight: (b) => b.windows.length, dispose: () => { lm.endInference(); params.dispose(); } };
}

/** Worker-side replica (lib/train/worker.ts): the same LM; its weights come from the main thread. */
export function lmReplica(args: { cfg: Gpt2Config; seed: number }): TrainModel<LmBatch> {
  return lmTrainModel(args.cfg, args.seed);
}

/** Pre-trains the LM on web captions; see PretrainLmOptions for defaults. */
export async function pretrainLm(opts: PretrainLmOptions): Promise<PretrainLmResult> {
  if (!Array.isArray(opts.captions) || opts.captions.length === 0) throw new DbridgeError('LM pre-training: no captions');
  const steps = opts.steps ?? 300, batchSize = opts.batchSize ?? 32, seqLen = opts.seqLen ?? 48;
  const lr = opts.lr ?? 4e-3, warmup = opts.warmup ?? Math.floor(0.1 * steps), weightDecay = opts.weightDecay ?? 0.01, seed = opts.seed ?? 0;
  for (const [k, v] of Object.entries({ steps, batchSize, seqLen })) if (!Number.isInteger(v) || v < 1) throw new DbridgeError(`LM pre-training: ${k} must be a positive integer, got ${v}`);
  if (!(lr > 0)) throw new DbridgeError(`LM pre-training: learning rate must be > 0, got ${lr}`);
  const vocab = Vocab.fromTexts([...opts.captions, ...(opts.vocabTexts ?? [])], [...FULL_STOP_IDS, GPT2_EOS]);
  const cfg: Gpt2Config = { ...(opts.lm ?? GPT2_TINY), ...(opts.lmOverrides ?? {}), vocabSize: vocab.size };
  validateGpt2Config(cfg);
  if (seqLen > cfg.nPositions) throw new DbridgeError(`LM pre-training: windows of ${seqLen} tokens exceed the LM's ${cfg.nPositions} positions`);
  const ids = opts.captions.map((c) => vocab.encode(c));
  const eos = vocab.modelId(GPT2_EOS);
  const microBatch = opts.microBatch ?? 0;
  const settings = { steps, batchSize, seqLen, lr, warmup, weightDecay, seed, microBatch, lm: sha256(JSON.stringify(cfg)), vocab: sha256(vocab.ids!.join(',')), captions: sha256(opts.captions.join('\n')) };
  const resumeDir = join(opts.out, 'resume');
  const log = (s: string) => { if (!opts.quiet) logLine(s); };

  // the windows of a pass are a pure function of (seed, pass), and every pass has as many windows
  // (the same tokens in another order): step s reads batch s mod (batches per pass) of pass s div it
  const rng = new Rng(seed).fork('windows');
  const passes = new Map<number, Int32Array[]>();
  const pass = (k: number): Int32Array[] => {
    let w = passes.get(k);
    if (!w) { w = packWindows(ids, eos, seqLen, rng.fork(k)); passes.clear(); passes.set(k, w); }
    return w;
  };
  const perPass = Math.floor(pass(0).length / batchSize);
  if (perPass < 1) throw new DbridgeError(`LM pre-training: ${pass(0).length} windows of ${seqLen + 1} tokens, fewer than a batch of ${batchSize}`);

  if (!opts.resume) rmSync(resumeDir, { recursive: true, force: true });
  const model = lmTrainModel(cfg, seed);
  const optim = new Adam(model.params, { lr, weightDecay });
  try {
    log(`pretrain-lm: ${opts.captions.length} captions, vocab ${vocab.size}, ${model.params.count().toLocaleString()} parameters, ${steps} steps x ${batchSize} windows of ${seqLen} tokens, lr ${lr}`);
    const problem: TrainProblem<LmBatch> = {
      model,
      batch: (s) => { const c = (s % perPass) * batchSize; return { windows: pass(Math.floor(s / perPass)).slice(c, c + batchSize) }; },
      rows: (b) => b.windows.length,
      slice: (b, s, e) => ({ windows: b.windows.slice(s, e) }),
      lr: (s) => linearWarmupDecay(s, lr, warmup, steps),
      replica: { module: import.meta.url, factory: 'lmReplica', args: { cfg, seed } },
    };
    const r = await runTraining(problem, {
      steps, optimizer: optim, workers: opts.workers ?? 1, microBatch, logEvery: Math.max(1, Math.min(25, Math.floor(steps / 10))),
      progress: opts.quiet ? false : 'pretrain-lm', maxStepsThisRun: opts.stopAfter,
      checkpoint: { dir: resumeDir, every: opts.saveEvery ?? 200, config: { kind: LM_KIND, lm: cfg }, resume: opts.resume, settings, hint: 'use another output folder or drop --resume' },
    });
    const tokensPerSecond = ((r.endStep - r.startStep) * batchSize * seqLen) / Math.max(1e-3, r.seconds);
    const result = { out: opts.out, steps: r.endStep, finalLoss: r.finalLoss, tokensPerSecond, vocabSize: vocab.size };
    if (r.endStep < steps) return result; // stopped early: resume/ holds the run
    const config: PretrainedLmConfig = {
      kind: LM_KIND, version: 1, lm: cfg, vocab: vocab.ids!,
      pretraining: { captions: opts.captions.length, tokens: steps * batchSize * seqLen, steps, batchSize, seqLen, lr, finalLoss: r.finalLoss, seconds: r.seconds },
    };
    saveCheckpoint(opts.out, { config, weights: await model.params.toHost(), state: { step: steps, lossHistory: r.curve.map((p) => +p.loss.toFixed(4)) } });
    rmSync(resumeDir, { recursive: true, force: true });
    log(`pretrain-lm: final loss ${r.finalLoss.toFixed(4)}, ${Math.round(tokensPerSecond)} tok/s`);
    return result;
  } finally {
    optim.dispose();
    model.dispose();
  }
}
