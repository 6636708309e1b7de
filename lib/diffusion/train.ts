// The trainer (official Trainer1D as train_norm.py runs it, without fp16): batches of
// preprocessed text embeddings drawn epoch by epoch in a seeded shuffled order, t ~ U{0..T-1},
// ε ~ N(0, I), the model's loss, Adam (betas 0.9/0.99) with global grad-norm clipping, an EMA
// of the weights, atomic checkpoints every N steps (+ at the end) and exact resume: the batch,
// timesteps and noise of step s depend only on (seed, s), so a resumed run draws what an
// uninterrupted one would. Shows a Progress bar (loss, steps/s, ETA) and writes the loss curve
// to loss_curve.json in the output folder.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { tf } from '../tf.ts';
import { Adam, lossAndGrads } from '../nn/optim.ts';
import { DeviceSum } from '../nn/device-sum.ts';
import { checkpointExists, loadCheckpoint } from '../nn/checkpoint.ts';
import { Progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { DbridgeError } from '../util/errors.ts';
import { readJson, writeJsonAtomic, ensureDir } from '../util/fs.ts';
import type { DiffusionModel, DiffusionCheckpointConfig, SaveExtras } from './model.ts';
import { loadDenoiserWeights } from './denoisers/index.ts';
import type { TrainConfig } from './configs.ts';
import { PAPER_TRAIN } from './configs.ts';
import { WeightEma } from './ema.ts';
import { recoverPartialCheckpoint, writeCheckpointAtomically } from './checkpoint-files.ts';
import { stableStringify } from '../util/hash.ts';
import { checkResume, dataHash } from '../util/resume.ts';
import { lockFolder } from '../util/lock.ts';

export interface LossPoint {
  /** Last step of the window (1-based count of optimiser steps). */
  step: number;
  /** Mean loss over the window. */
  loss: number;
  /** Mean gradient norm (before clipping) over the window. */
  gradNorm: number;
  /** Seconds since this run (not the resumed one) started. */
  elapsed: number;
}

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
}

interface TrainState { step: number; emaStep: number; emaInitted: boolean; seed: number; rows: number; data?: string; }

/** Settings a resumed run may change (the total step count grows; the others do not change the numbers). */
const RESUME_MAY_CHANGE = ['steps', 'checkpointEvery', 'logEvery', 'microBatch'] as const;
const RESUME_LABELS = { seed: '--seed', batchSize: '--batch-size', lr: '--lr', data: 'the training data (embeddings, text mean)' };

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
 * One optimiser step on a batch given as host arrays (B rows of x0 and noise, B timesteps): the
 * model's loss, gradients (summed over micro-batches of `microBatch` rows, each scaled by its
 * share of the batch so the total is the gradient of the batch-mean loss), then Adam with
 * clipping. Returns the batch loss and the gradient norm before clipping as device scalars
 * (the caller disposes them): nothing is read back to the host, so steps queue on a GPU.
 */
export function optimizerStep(model: DiffusionModel, opt: Adam, x0: Float32Array, noise: Float32Array, t: readonly number[],
  lr: number, microBatch = 0): { loss: tf.Scalar; gradNorm: tf.Scalar } {
  const B = t.length, L = model.length;
  const mb = microBatch > 0 ? Math.min(microBatch, B) : B;
  let acc: Record<string, tf.Tensor> | null = null;
  const lossSum = new DeviceSum();
  try {
    for (let s = 0; s < B; s += mb) {
      const m = Math.min(mb, B - s);
      const xs = tf.tensor2d(x0.subarray(s * L, (s + m) * L), [m, L]);
      const ns = tf.tensor2d(noise.subarray(s * L, (s + m) * L), [m, L]);
      const ts = t.slice(s, s + m);
      const { loss, grads } = lossAndGrads(model.denoiser.params, () => (m === B ? model.loss(xs, ts, ns) : tf.mul(model.loss(xs, ts, ns), m / B) as tf.Scalar));
      tf.dispose([xs, ns]);
      lossSum.add(loss);
      if (!acc) acc = grads;
      else {
        for (const [k, g] of Object.entries(grads)) {
          const prev = acc[k];
          acc[k] = prev ? tf.add(prev, g) : g;
          if (prev) { prev.dispose(); g.dispose(); }
        }
      }
    }
    const gradNorm = opt.apply(acc!, lr);
    return { loss: lossSum.take(), gradNorm };
  } finally {
    if (acc) tf.dispose(Object.values(acc));
    lossSum.dispose();
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
  const params = model.denoiser.params;
  const opt = new Adam(params, { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8, clipGradNorm: cfg.clipGradNorm > 0 ? cfg.clipGradNorm : undefined });
  const ema = new WeightEma(params, { decay: cfg.emaDecay, every: cfg.emaEvery, afterStep: cfg.emaAfterStep });
  const out = opts.outDir;
  let start = 0;
  let curve: LossPoint[] = [];
  let meta = opts.meta ?? {};
  // one process trains into a folder at a time; the data hash is recorded so a resume can check it
  const lock = out ? lockFolder(out) : null;
  const data = out ? dataHash(z0) : undefined;
  try {
    if (out) {
      ensureDir(out);
      recoverPartialCheckpoint(out);
      if (checkpointExists(out)) {
        if (!opts.resume) throw new DbridgeError(`${out} already holds a checkpoint; pass --resume to continue it or choose another output folder`);
        const ck = loadCheckpoint<DiffusionCheckpointConfig, TrainState>(out);
        const { format: _f, version: _v, textMean, train: _t, source, ...saved } = ck.config;
        meta = { ...(textMean !== undefined ? { textMean } : {}), ...(source !== undefined ? { source } : {}), ...meta };
        if (stableStringify(saved) !== stableStringify(model.config)) {
          throw new DbridgeError(`cannot resume: the checkpoint in ${out} was made with a different model config`);
        }
        if (ck.state.rows !== undefined && ck.state.rows !== n) throw new DbridgeError(`cannot resume: the checkpoint was trained on ${ck.state.rows} rows, the data now has ${n}`);
        checkResume(out, { ...(ck.config.train ?? {}), ...(ck.state.data ? { data: ck.state.data } : {}) }, { ...cfg, seed, data },
          { ignore: RESUME_MAY_CHANGE, labels: RESUME_LABELS });
        loadDenoiserWeights(model.denoiser, ck.weights, join(out, 'weights.safetensors'));
        if (ck.optimizer) opt.loadState(ck.optimizer);
        if (ck.ema) ema.load(ck.ema, { step: ck.state.emaStep ?? 0, initted: ck.state.emaInitted ?? false });
        start = ck.state.step;
        const cpath = join(out, 'loss_curve.json');
        if (existsSync(cpath)) curve = readJson<{ points: LossPoint[] }>(cpath, 'loss curve').points.filter((p) => p.step <= start);
      }
    }
    const sampler = new BatchSampler(n, cfg.batchSize, seed);
    const B = cfg.batchSize;
    const total = Math.max(0, cfg.steps - start);
    const progress = opts.progress === false ? null : new Progress({ total, label: 'train-diffusion', unit: 'steps' });
    const t0 = Date.now();
    let lastLoss = NaN;

    const saveNow = async (step: number) => {
      if (!out) return;
      const [emaHost, optHost] = [await ema.toHost(), await opt.stateToHost()];
      await writeCheckpointAtomically(out, (tmp) => model.save(tmp, {
        ema: emaHost,
        optimizer: optHost,
        state: { step, emaStep: ema.step, emaInitted: ema.initted, seed, rows: n, data },
        meta: { ...meta, train: { ...cfg, seed } },
      }));
      writeJsonAtomic(join(out, 'loss_curve.json'), { config: cfg, seed, points: curve });
    };

    // Loss and gradient-norm sums of the current window stay on the device; they are read
    // (awaited) only when a loss-curve point is logged or a checkpoint is written, where a
    // non-finite loss stops the run before anything is saved.
    const winLoss = new DeviceSum(), winNorm = new DeviceSum();
    let winFirst = start + 1;
    const readWindow = async (done: number) => {
      const [mean, norm] = await Promise.all([winLoss.mean(), winNorm.mean()]);
      if (!Number.isFinite(mean)) throw new DbridgeError(`training diverged: loss is ${mean} in steps ${winFirst}-${done}`);
      return { mean, norm };
    };
    const flushWindow = async (done: number) => {
      if (winLoss.count === 0) return;
      const { mean, norm } = await readWindow(done);
      winLoss.reset(); winNorm.reset();
      const p: LossPoint = { step: done, loss: mean, gradNorm: norm, elapsed: (Date.now() - t0) / 1000 };
      curve.push(p);
      opts.onLog?.(p);
      lastLoss = mean;
      winFirst = done + 1;
    };

    let step = start;
    try {
      for (; step < cfg.steps; step++) {
        const idx = sampler.indices(step);
        const rng = new Rng(seed).fork(`step${step}`);
        const t = Array.from({ length: B }, () => rng.int(T));
        const noiseData = rng.normals(B * L);
        const batch = new Float32Array(B * L);
        for (let i = 0; i < B; i++) batch.set(z0.subarray(idx[i] * L, (idx[i] + 1) * L), i * L);
        const { loss, gradNorm } = optimizerStep(model, opt, batch, noiseData, t, cfg.lr, cfg.microBatch);
        ema.update();
        winLoss.add(loss); winNorm.add(gradNorm);
        const done = step + 1;
        if (done % cfg.logEvery === 0 || done === cfg.steps) await flushWindow(done);
        progress?.update(done - start, { loss: lastLoss });
        if (done % cfg.checkpointEvery === 0 && done !== cfg.steps) {
          if (winLoss.count > 0) await readWindow(done); // never checkpoint diverged weights
          await saveNow(done);
        }
        if (opts.maxSeconds !== undefined && (Date.now() - t0) / 1000 >= opts.maxSeconds) { step++; break; }
        if (done % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      await flushWindow(step);
    } finally {
      winLoss.dispose(); winNorm.dispose();
    }
    progress?.finish({ loss: lastLoss });
    if (step > start || (out && !checkpointExists(out))) await saveNow(step);
    const seconds = (Date.now() - t0) / 1000;
    const last = curve.length ? curve[curve.length - 1].loss : NaN;
    return { startStep: start, endStep: step, curve, finalLoss: last, seconds, stepsPerSecond: seconds > 0 ? (step - start) / seconds : 0, config: cfg };
  } finally {
    opt.dispose();
    ema.dispose();
    lock?.release();
  }
}
