// The diffusion trainer (official Trainer1D as train_norm.py runs it, without fp16), on the training
// harness (lib/train): batches of preprocessed text embeddings drawn epoch by epoch in a seeded
// shuffled order, t ~ U{0..T-1}, ε ~ N(0, I), the model's loss, Adam (betas 0.9/0.99) with
// global grad-norm clipping, an EMA of the weights, atomic checkpoints every N steps (+ at the end)
// and exact resume: the batch, timesteps and noise of step s depend only on (seed, s). With
// `workers` > 1 each step's batch is split over worker threads (one model replica each). Shows a
// progress bar (loss, steps/s, ETA) and writes the loss curve to loss_curve.json in the output folder.
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { Adam } from '../nn/optim.ts';
import { Rng } from '../util/rng.ts';
import { DbridgeError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { stableStringify } from '../util/hash.ts';
import { dataHash, flattenSettings } from '../util/resume.ts';
import { DiffusionModel, type DiffusionConfig, type DiffusionCheckpointConfig, type SaveExtras } from './model.ts';
import type { TrainConfig } from './configs.ts';
import { PAPER_TRAIN } from './configs.ts';
import { WeightEma } from './ema.ts';
import { runTraining, partition, partGrads, type LossPoint, type TrainModel, type TrainProblem } from '../train/index.ts';

export type { LossPoint } from '../train/index.ts';

export interface TrainOptions extends Partial<TrainConfig> {
  /** Seed of batches, timesteps and noise (default 0). */
  seed?: number;
  /** Folder for checkpoints and loss_curve.json (default: none, nothing is saved). */
  outDir?: string;
  /** Continue from the checkpoint in outDir (if there is one). */
  resume?: boolean;
  /** Extra config.json fields for the checkpoint (e.g. textMean). */
  meta?: SaveExtras['meta'];
  /** Called for each loss-curve point. */
  onLog?: (p: LossPoint) => void;
  /** Show a progress bar (default true; DBRIDGE_QUIET=1 silences it anyway). */
  progress?: boolean;
  /** Stop after this many seconds (a checkpoint is written when stopping early). */
  maxSeconds?: number;
  /** Worker threads, one model replica each (default 1: this thread); see lib/train. */
  workers?: number;
}

export interface TrainResult {
  startStep: number;
  endStep: number;
  /** Loss curve of the whole run, including points before a resume. */
  curve: LossPoint[];
  /** Mean loss of the last window. */
  finalLoss: number;
  seconds: number;
  stepsPerSecond: number;
  config: TrainConfig;
  workers: number;
}

/** One step's host data: rows of x0 and noise (row-major, length L) and timesteps. */
export interface DiffusionBatch {
  x0: Float32Array;
  noise: Float32Array;
  t: Int32Array;
  L: number;
}

/** The diffusion loss of a DiffusionModel as the harness's TrainModel (mean over rows). */
export function diffusionTrainModel(model: DiffusionModel): TrainModel<DiffusionBatch> {
  return {
    params: model.denoiser.params,
    loss: (b) => {
      const B = b.t.length;
      const xs = tf.tensor2d(b.x0, [B, b.L]), ns = tf.tensor2d(b.noise, [B, b.L]);
      return model.loss(xs, Array.from(b.t), ns);
    },
    weight: (b) => b.t.length,
    dispose: () => model.dispose(),
  };
}

/** Worker-side replica (lib/train/worker.ts): a model of `config`; its weights come from the main thread. */
export function diffusionReplica(args: { config: DiffusionConfig }): TrainModel<DiffusionBatch> {
  return diffusionTrainModel(DiffusionModel.create(args.config, 0));
}

/** Settings a resumed run may change (the total step count grows; the others do not change the numbers). */
const RESUME_MAY_CHANGE = ['steps', 'checkpointEvery', 'logEvery', 'microBatch'] as const;
const RESUME_LABELS = { seed: '--seed', batchSize: '--batch-size', lr: '--lr', data: 'the training data (embeddings, text mean)' };

const sliceBatch = (b: DiffusionBatch, s: number, e: number): DiffusionBatch => ({
  x0: b.x0.slice(s * b.L, e * b.L), noise: b.noise.slice(s * b.L, e * b.L), t: b.t.slice(s, e), L: b.L,
});

/** Row indices of the batch at step s (0-based): epoch-wise seeded permutations, consumed in order. */
export class BatchSampler {
  private perms = new Map<number, Int32Array>();
  constructor(readonly n: number, readonly batchSize: number, readonly seed: number) {
    if (n < 1) throw new DbridgeError('no training rows');
  }
  private perm(epoch: number): Int32Array {
    let p = this.perms.get(epoch);
    if (!p) {
      const rng = new Rng(this.seed).fork(`epoch${epoch}`);
      p = Int32Array.from({ length: this.n }, (_, i) => i);
      for (let i = this.n - 1; i > 0; i--) { const j = rng.int(i + 1); const tmp = p[i]; p[i] = p[j]; p[j] = tmp; }
      if (this.perms.size > 2) this.perms.delete(Math.min(...this.perms.keys()));
      this.perms.set(epoch, p);
    }
    return p;
  }
  indices(step: number): Int32Array {
    const out = new Int32Array(this.batchSize);
    for (let i = 0; i < this.batchSize; i++) {
      const g = step * this.batchSize + i;
      out[i] = this.perm(Math.floor(g / this.n))[g % this.n];
    }
    return out;
  }
}

/**
 * One optimiser step on a batch given as host arrays (B rows of x0 and noise, B timesteps), in
 * micro-batches of `microBatch` rows (0 = all at once) as the harness cuts them, on this thread.
 * Returns the batch loss and the gradient norm before clipping as device scalars (the caller
 * disposes them): nothing is read back to the host, so steps queue on a GPU.
 */
export function optimizerStep(model: DiffusionModel, opt: Adam, x0: Float32Array, noise: Float32Array, t: readonly number[],
  lr: number, microBatch = 0): { loss: tf.Scalar; gradNorm: tf.Scalar } {
  const batch: DiffusionBatch = { x0, noise, t: Int32Array.from(t), L: model.length };
  const cut = partition(t.length, 1, microBatch);
  const parts = cut.map((p) => sliceBatch(batch, p.start, p.end));
  const { grads, loss } = partGrads(diffusionTrainModel(model), parts, cut.map((p) => ({ step: 0, part: p.index })), parts.map((p) => p.t.length), t.length);
  try {
    return { loss, gradNorm: opt.apply(grads, lr) };
  } finally {
    tf.dispose(Object.values(grads));
  }
}

function resolveConfig(opts: TrainOptions): TrainConfig {
  const c: TrainConfig = { ...PAPER_TRAIN };
  for (const k of Object.keys(PAPER_TRAIN) as (keyof TrainConfig)[]) if (opts[k] !== undefined) c[k] = opts[k] as number;
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isFinite(v) || v < 0) throw new DbridgeError(`training option ${k} must be a non-negative number, got ${v}`);
  }
  if (!Number.isInteger(c.microBatch)) throw new DbridgeError(`training option microBatch must be an integer, got ${c.microBatch}`);
  for (const k of ['batchSize', 'emaEvery', 'checkpointEvery', 'logEvery'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new DbridgeError(`training option ${k} must be a positive integer, got ${c[k]}`);
  }
  if (!Number.isInteger(c.steps) || c.steps < 1) throw new DbridgeError(`training option steps must be a positive integer, got ${c.steps}`);
  return c;
}

/**
 * Trains `model` in place on preprocessed embeddings z0 (n rows of length L, radius C) and
 * returns the loss curve. With `outDir`, checkpoints (weights + ema + optimizer + config + state)
 * are written atomically every `checkpointEvery` steps and at the end.
 */
export async function trainDiffusion(model: DiffusionModel, z0: Float32Array, n: number, opts: TrainOptions = {}): Promise<TrainResult> {
  const cfg = resolveConfig(opts);
  const L = model.length;
  if (z0.length !== n * L) throw new DbridgeError(`training data has ${z0.length} values, ${n} rows of length ${L} need ${n * L}`);
  for (let i = 0; i < z0.length; i++) if (!Number.isFinite(z0[i])) throw new DbridgeError(`training data row ${Math.floor(i / L)} contains ${z0[i]}`);
  const seed = opts.seed ?? 0;
  const T = model.schedule.T;
  const B = cfg.batchSize;
  const params = model.denoiser.params;
  const sampler = new BatchSampler(n, B, seed);
  const problem: TrainProblem<DiffusionBatch> = {
    model: diffusionTrainModel(model),
    batch: (step) => {
      const idx = sampler.indices(step);
      const rng = new Rng(seed).fork(`step${step}`);
      const t = Int32Array.from({ length: B }, () => rng.int(T));
      const noise = rng.normals(B * L);
      const x0 = new Float32Array(B * L);
      for (let i = 0; i < B; i++) x0.set(z0.subarray(idx[i] * L, (idx[i] + 1) * L), i * L);
      return { x0, noise, t, L };
    },
    rows: (b) => b.t.length,
    slice: sliceBatch,
    lr: () => cfg.lr,
    replica: { module: import.meta.url, factory: 'diffusionReplica', args: { config: model.config } },
  };
  const opt = new Adam(params, { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8, clipGradNorm: cfg.clipGradNorm > 0 ? cfg.clipGradNorm : undefined });
  const ema = new WeightEma(params, { decay: cfg.emaDecay, every: cfg.emaEvery, afterStep: cfg.emaAfterStep });
  const out = opts.outDir;
  let meta = opts.meta ?? {};
  // every setting that changes the numbers, with the data's hash, is recorded and checked on resume
  const settings = { ...cfg, seed, rows: n, data: dataHash(z0), ...flattenSettings({ model: model.config }) };
  try {
    const r = await runTraining(problem, {
      steps: cfg.steps, optimizer: opt, ema, microBatch: cfg.microBatch, workers: opts.workers ?? 1, logEvery: cfg.logEvery,
      progress: opts.progress === false ? false : 'train-diffusion', maxSeconds: opts.maxSeconds, onLog: opts.onLog,
      checkpoint: out ? {
        dir: out, every: cfg.checkpointEvery, resume: opts.resume, settings, ignore: RESUME_MAY_CHANGE, labels: RESUME_LABELS,
        get config() { return model.checkpointConfig({ ...meta, train: { ...cfg, seed } }); },
        validate: ({ config, state }) => {
          const { format: _f, version: _v, textMean, train: _t, source, ...saved } = config as DiffusionCheckpointConfig;
          meta = { ...(textMean !== undefined ? { textMean } : {}), ...(source !== undefined ? { source } : {}), ...meta };
          if (stableStringify(saved) !== stableStringify(model.config)) throw new DbridgeError(`cannot resume: the checkpoint in ${out} was made with a different model config`);
          const rows = (state.trainer as { rows?: number } | undefined)?.rows;
          if (rows !== undefined && rows !== n) throw new DbridgeError(`cannot resume: the checkpoint was trained on ${rows} rows, the data now has ${n}`);
        },
      } : undefined,
      trainerState: { save: () => ({ seed, rows: n }), load: () => {} },
    });
    if (out) writeJsonAtomic(join(out, 'loss_curve.json'), { config: cfg, seed, points: r.curve });
    return { startStep: r.startStep, endStep: r.endStep, curve: r.curve, finalLoss: r.finalLoss, seconds: r.seconds, stepsPerSecond: r.stepsPerSecond, config: cfg, workers: r.workers };
  } finally {
    opt.dispose();
    ema.dispose();
  }
}
