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
// A folder holds config.json (kind 'dbridge-lm': the Gpt2Config and the vocabulary),
// weights.safetensors (names gpt.*), state.json; resume/ holds the optimizer for --resume.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { Adam, DeviceSum, READ_EVERY, ParamStore, linearWarmupDecay, lossAndGrads } from '../nn/index.ts';
import { loadCheckpoint, saveCheckpoint } from '../nn/checkpoint.ts';
import { LM_KIND, type PretrainedLmConfig } from './lm-checkpoint.ts';
import type { HostArray } from '../io/dtype.ts';
import { DbridgeError } from '../util/errors.ts';
import { Progress, logLine } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { configHash, sha256 } from '../util/hash.ts';
import { Gpt2, GPT2_TINY, validateGpt2Config, type Gpt2Config } from './gpt2.ts';
import { Vocab, FULL_STOP_IDS, GPT2_EOS } from './tokenizer.ts';
import { tokenNll } from './train.ts';

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

interface ResumeState { step: number; optionsHash: string; pass: number; cursor: number; windowsDone: number; lossHistory: number[] }

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
  const hyper = { steps, batchSize, seqLen, lr, warmup, weightDecay, seed, cfg, vocab: vocab.ids, captions: sha256(opts.captions.join('\n')) };
  const optionsHash = configHash(hyper);
  const resumeDir = join(opts.out, 'resume');

  const params = new ParamStore();
  let optim = null as Adam | null;
  const log = (s: string) => { if (!opts.quiet) logLine(s); };
  try {
    let state: ResumeState = { step: 0, optionsHash, pass: 0, cursor: 0, windowsDone: 0, lossHistory: [] };
    const lm = Gpt2.create(cfg, params, new Rng(seed).fork('gpt'), 'gpt.');
    tf.tidy(() => { optim = new Adam(params, { lr, weightDecay }); });
    if (opts.resume && existsSync(join(resumeDir, 'state.json'))) {
      const ck = loadCheckpoint<PretrainedLmConfig, ResumeState>(resumeDir);
      if (ck.state.optionsHash !== optionsHash) throw new DbridgeError(`--resume: ${resumeDir} was written with different captions or options`);
      params.load(ck.weights, { source: resumeDir });
      if (ck.optimizer) optim!.loadState(ck.optimizer);
      state = ck.state;
    } else rmSync(resumeDir, { recursive: true, force: true });
    log(`pretrain-lm: ${opts.captions.length} captions, vocab ${vocab.size}, ${params.count().toLocaleString()} parameters, ${steps} steps x ${batchSize} windows of ${seqLen} tokens, lr ${lr}`);

    // the windows of a pass are a pure function of (seed, pass): a resumed run rebuilds its pass and continues at its cursor
    const rng = new Rng(seed).fork('windows');
    let windows = packWindows(ids, eos, seqLen, rng.fork(state.pass));
    if (windows.length < batchSize) throw new DbridgeError(`LM pre-training: ${windows.length} windows of ${seqLen + 1} tokens, fewer than a batch of ${batchSize}`);
    const bar = opts.quiet ? null : new Progress({ total: steps, label: 'pretrain-lm', unit: 'steps' });
    const sum = new DeviceSum();
    const t0 = Date.now();
    let shown = NaN, tokens = 0;
    const save = async (dir: string, withOptimizer: boolean, finalLoss: number) => {
      const weights: Map<string, HostArray> = await params.toHost();
      const config: PretrainedLmConfig = {
        kind: LM_KIND, version: 1, lm: cfg, vocab: vocab.ids!,
        pretraining: { captions: opts.captions.length, tokens: state.windowsDone * seqLen, steps: state.step, batchSize, seqLen, lr, finalLoss, seconds: (Date.now() - t0) / 1000 },
      };
      saveCheckpoint(dir, { config, weights, optimizer: withOptimizer ? await optim!.stateToHost() : undefined, state: state as ResumeState & { step: number } });
    };
    try {
      while (state.step < steps) {
        if (state.cursor + batchSize > windows.length) { state.cursor = 0; windows = packWindows(ids, eos, seqLen, rng.fork(++state.pass)); }
        const batch = windows.slice(state.cursor, state.cursor + batchSize);
        state.cursor += batchSize;
        const { loss, grads } = lossAndGrads(params, () => lmLoss(lm, batch));
        tf.dispose([optim!.apply(grads, linearWarmupDecay(state.step, lr, warmup, steps)), ...Object.values(grads)]);
        sum.add(loss);
        state.step++;
        state.windowsDone += batchSize;
        tokens += batchSize * seqLen;
        if (state.step % READ_EVERY === 0 || state.step === steps) {
          shown = await sum.mean();
          sum.reset();
          if (!Number.isFinite(shown)) throw new DbridgeError(`LM pre-training diverged: loss ${shown} at step ${state.step} (lower the learning rate)`);
          state.lossHistory.push(+shown.toFixed(4));
        }
        if (state.step < steps && (state.step % (opts.saveEvery ?? 200) === 0 || state.step === opts.stopAfter)) await save(resumeDir, true, shown);
        if (state.step === opts.stopAfter && state.step < steps) { bar?.finish(); return { out: opts.out, steps: state.step, finalLoss: shown, tokensPerSecond: tokens / Math.max(1e-3, (Date.now() - t0) / 1000), vocabSize: vocab.size }; }
        bar?.update(state.step, { loss: shown, 'tok/s': Math.round(tokens / Math.max(1e-3, (Date.now() - t0) / 1000)) });
      }
    } finally { sum.dispose(); }
    bar?.finish({ loss: shown });
    await save(opts.out, false, shown);
    rmSync(resumeDir, { recursive: true, force: true });
    const seconds = (Date.now() - t0) / 1000;
    log(`pretrain-lm: final loss ${shown.toFixed(4)}, ${Math.round(tokens / Math.max(1e-3, seconds))} tok/s`);
    return { out: opts.out, steps: state.step, finalLoss: shown, tokensPerSecond: tokens / Math.max(1e-3, seconds), vocabSize: vocab.size };
  } finally {
    optim?.dispose();
    params.dispose();
  }
}
