// The one training harness (the diffusion model, the caption decoders and the world encoder run
// on it). A trainer supplies a TrainProblem (types.ts: a loss, host batches as a pure function of
// the step, how to cut them); the harness owns the step loop: the cut of each batch into parts
// over micro-batches and worker threads (partition.ts, pool.ts), gradient accumulation
// (grads.ts), the optimiser with its clipping (lib/nn/optim.ts), the EMA of the weights, the loss
// curve, progress, atomic checkpoints and exact resume.
//
// Backend-agnostic: inside a step nothing is read back to the host (the loss, the gradient norm
// and the clip factor stay on the device; batches go up as new tensors). Host reads are awaited
// at log points (every `logEvery` steps), at checkpoints and at hooks, with workers for the
// shared-memory exchange (workers run CPU backends only), and on webgpu the previous step's loss
// before the next step goes on (at most two steps queued on the device).
//
// Exact resume: a checkpoint holds the weights, the optimiser's moments and step, the EMA, the
// trainer's own state, the loss curve and the open log window; batches, noise and dropout depend
// only on (seed, step, part), so a run stopped at any checkpoint (or killed) and resumed with the
// same micro-batch writes the same bytes as one that never stopped, on any worker count (with
// microBatch 0 the cut is one part per worker, so there the worker count is part of "the same
// micro-batch"; a different cut changes the float rounding of the summed gradients, and dropout
// masks where a trainer draws them per part).
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { backendName } from '../backend.ts';
import type { Optimizer } from '../nn/optim.ts';
import { checkpointExists, loadCheckpoint, saveCheckpoint } from '../nn/checkpoint.ts';
import type { HostArray } from '../io/dtype.ts';
import type { WeightEma } from '../diffusion/ema.ts';
import { DbridgeError } from '../util/errors.ts';
import { ensureDir } from '../util/fs.ts';
import { Progress } from '../util/progress.ts';
import { checkResume, type Settings } from '../util/resume.ts';
import { lockFolder, type FolderLock } from '../util/lock.ts';
import { DeviceSum } from '../nn/device-sum.ts';
import { recoverPartialCheckpoint, writeCheckpointAtomically } from './checkpoint-files.ts';
import { coupledGrads, partGrads, type Grads } from './grads.ts';
import { partition } from './partition.ts';
import { WorkerPool, type WorkerPart } from './pool.ts';
import type { LossPoint, TrainProblem } from './types.ts';

export interface CheckpointOptions {
  /** Folder of the resumable checkpoint (weights, optimizer, ema, config.json, state.json). */
  dir: string;
  /** Write one every this many steps (and when the run ends or stops early). */
  every: number;
  /** config.json: what the model is rebuilt from. */
  config: unknown;
  /** Continue from the checkpoint in `dir` if there is one (otherwise one there is an error). */
  resume?: boolean;
  /**
   * Every setting that changes the result, one level deep (lib/util/resume.ts: flattenSettings,
   * dataHash for data): recorded in the checkpoint and compared on resume, where checkResume
   * names the first that differs (with `labels`, skipping `ignore`, suggesting `hint`).
   */
  settings: Settings;
  labels?: Record<string, string>;
  ignore?: readonly string[];
  hint?: string;
  /** Host arrays saved beside the weights (buffers a loader needs, e.g. a text mean). */
  extraWeights?(): Map<string, HostArray>;
  /** Checks a checkpoint before it is loaded (throw a DbridgeError to refuse it). */
  validate?(saved: { config: unknown; state: Record<string, unknown> }): void;
}

/** Work run every `every` steps after the optimiser step, before that step's checkpoint (e.g. end-of-epoch evaluation). */
export interface Hook {
  every: number;
  /** `meanLoss`: mean training loss over the steps since this hook last ran. */
  run(step: number, window: { meanLoss: number; steps: number }): void | Promise<void>;
}

export interface HarnessOptions {
  /** Total optimiser steps; a resumed run continues up to it. */
  steps: number;
  optimizer: Optimizer;
  /** Rows per part (0 = each worker's whole shard at once). */
  microBatch?: number;
  /** Worker threads (default 1: this thread). With k > 1 the problem needs a ReplicaSpec. */
  workers?: number;
  ema?: WeightEma;
  /** Steps per loss-curve point (default 100). */
  logEvery?: number;
  checkpoint?: CheckpointOptions;
  hooks?: Hook[];
  /** The trainer's own resumable state (JSON), saved in every checkpoint. */
  trainerState?: { save(): unknown; load(state: unknown): void };
  /** Progress bar label (false: none; DBRIDGE_QUIET=1 silences it anyway). */
  progress?: string | false;
  /** Stop (with a checkpoint) after this many seconds of this run. */
  maxSeconds?: number;
  /** Stop (with a checkpoint) after this many steps of this run. */
  maxStepsThisRun?: number;
  onLog?(p: LossPoint): void;
}

export interface HarnessResult {
  startStep: number;
  endStep: number;
  /** Loss curve of the whole run, including points before a resume. */
  curve: LossPoint[];
  /** Mean loss of the last window. */
  finalLoss: number;
  /** Loss of the last step (of the checkpoint's run when this one ran no step; NaN when unknown). */
  lastStepLoss: number;
  seconds: number;
  stepsPerSecond: number;
  workers: number;
}

interface HarnessState {
  step: number;
  settings: Settings;
  curve: LossPoint[];
  /** The open log window: sums of the loss and gradient norm, steps. */
  window: { loss: number; norm: number; count: number };
  hookWindows: { loss: number; count: number }[];
  ema: { step: number; initted: boolean } | null;
  trainer: unknown;
  partition: { workers: number; microBatch: number };
  backend: string;
  /** Loss of the step just before this checkpoint (its last step). */
  lastStepLoss: number | null;
}

/** A DeviceSum holding `count` earlier values that summed to `sum` (a window restored from a checkpoint). */
function restoredSum(sum: number, count: number): DeviceSum {
  const d = new DeviceSum();
  if (count > 0) { d.add(tf.scalar(sum)); d.count = count; }
  return d;
}

/**
 * Runs the step loop of `problem` up to `opts.steps`; see the header. The checkpoint folder is
 * locked (lib/util/lock.ts) while the run lasts: a second process training into it is refused.
 */
export async function runTraining<B>(problem: TrainProblem<B>, opts: HarnessOptions): Promise<HarnessResult> {
  const lock: FolderLock | null = opts.checkpoint ? lockFolder(opts.checkpoint.dir) : null;
  try {
    return await runLocked(problem, opts);
  } finally {
    lock?.release();
  }
}

async function runLocked<B>(problem: TrainProblem<B>, opts: HarnessOptions): Promise<HarnessResult> {
  const { model } = problem;
  const workers = opts.workers ?? 1;
  const microBatch = opts.microBatch ?? 0;
  const logEvery = opts.logEvery ?? 100;
  if (!Number.isInteger(opts.steps) || opts.steps < 0) throw new DbridgeError(`steps must be a non-negative integer, got ${opts.steps}`);
  if (!Number.isInteger(workers) || workers < 1) throw new DbridgeError(`workers must be a positive integer, got ${workers}`);
  if (!Number.isInteger(logEvery) || logEvery < 1) throw new DbridgeError(`logEvery must be a positive integer, got ${logEvery}`);
  if (workers > 1 && !problem.replica) throw new DbridgeError('this trainer cannot run on worker threads (no replica spec); use workers = 1');
  if (problem.head && !model.features) throw new Error('a coupled problem (head) needs TrainModel.features');
  const ck = opts.checkpoint;
  const hooks = opts.hooks ?? [];

  // ---- resume
  let start = 0;
  let curve: LossPoint[] = [];
  let window = { loss: 0, norm: 0, count: 0 };
  let hookWindows = hooks.map(() => ({ loss: 0, count: 0 }));
  let lastStepLoss = NaN;
  if (ck) {
    ensureDir(ck.dir);
    recoverPartialCheckpoint(ck.dir);
    if (checkpointExists(ck.dir)) {
      if (!ck.resume) throw new DbridgeError(`${ck.dir} already holds a checkpoint; pass --resume to continue it or choose another output folder`);
      const saved = loadCheckpoint<unknown, HarnessState>(ck.dir);
      ck.validate?.({ config: saved.config, state: saved.state as unknown as Record<string, unknown> });
      if (saved.state.settings === undefined) throw new DbridgeError(`cannot resume ${ck.dir}: it was written by an older dbridge (no recorded settings); remove it or choose another output folder`);
      checkResume(ck.dir, saved.state.settings, ck.settings, { labels: ck.labels, ignore: ck.ignore, hint: ck.hint });
      model.params.load(saved.weights, { source: join(ck.dir, 'weights.safetensors') });
      if (saved.optimizer) opts.optimizer.loadState(saved.optimizer);
      if (opts.ema && saved.ema && saved.state.ema) opts.ema.load(saved.ema, saved.state.ema);
      if (opts.trainerState && saved.state.trainer !== undefined) opts.trainerState.load(saved.state.trainer);
      start = saved.state.step;
      curve = saved.state.curve ?? [];
      window = saved.state.window ?? window;
      if (saved.state.hookWindows?.length === hooks.length) hookWindows = saved.state.hookWindows;
      lastStepLoss = saved.state.lastStepLoss ?? NaN;
    }
  }

  const winLoss = restoredSum(window.loss, window.count), winNorm = restoredSum(window.norm, window.count);
  const hookSums = hookWindows.map((h) => restoredSum(h.loss, h.count));
  let pool: WorkerPool | null = null;
  const progress = opts.progress === false || start >= opts.steps ? null : new Progress({ total: opts.steps - start, label: opts.progress ?? 'train', unit: 'steps' });
  const t0 = Date.now();
  let lastLoss = curve.length ? curve[curve.length - 1].loss : NaN;
  let lastStep: tf.Scalar | null = null;
  let step = start;
  const webgpu = backendName() === 'webgpu';

  const saveNow = async (at: number) => {
    if (!ck) return;
    const [wl, wn] = [await winLoss.read(), await winNorm.read()];
    if (!Number.isFinite(wl)) throw new DbridgeError(`training diverged: the loss is ${wl / Math.max(1, winLoss.count)} in steps ${at - winLoss.count + 1}-${at}; not saving a checkpoint`);
    const state: HarnessState = {
      step: at, settings: ck.settings, curve,
      window: { loss: wl, norm: wn, count: winLoss.count },
      hookWindows: await Promise.all(hookSums.map(async (h) => ({ loss: await h.read(), count: h.count }))),
      ema: opts.ema ? { step: opts.ema.step, initted: opts.ema.initted } : null,
      trainer: opts.trainerState?.save(),
      partition: { workers, microBatch },
      backend: backendName(),
      lastStepLoss: lastStep ? (await lastStep.data())[0] : Number.isFinite(lastStepLoss) ? lastStepLoss : null,
    };
    const weights = await model.params.toHost();
    for (const [k, v] of ck.extraWeights?.() ?? []) weights.set(k, v);
    const optimizer = await opts.optimizer.stateToHost();
    const ema: Map<string, HostArray> | undefined = opts.ema ? await opts.ema.toHost() : undefined;
    await writeCheckpointAtomically(ck.dir, (tmp) => saveCheckpoint(tmp, { config: ck.config, weights, optimizer, ema, state }));
  };

  const logPoint = async (at: number) => {
    const n = winLoss.count;
    if (n === 0) return;
    const p: LossPoint = { step: at, loss: (await winLoss.read()) / n, gradNorm: (await winNorm.read()) / n, elapsed: (Date.now() - t0) / 1000 };
    winLoss.reset(); winNorm.reset();
    if (!Number.isFinite(p.loss)) throw new DbridgeError(`training diverged: the mean loss is ${p.loss} in steps ${at - n + 1}-${at} (lower the learning rate?)`);
    curve.push(p);
    lastLoss = p.loss;
    opts.onLog?.(p);
  };

  try {
    if (workers > 1 && step < opts.steps) pool = await WorkerPool.start(problem.replica!, model.params, workers, backendName());
    const stopAt = opts.maxStepsThisRun !== undefined ? Math.min(opts.steps, start + opts.maxStepsThisRun) : opts.steps;
    for (; step < stopAt; step++) {
      const batch = problem.batch(step);
      const cut = partition(problem.rows(batch), workers, microBatch);
      const parts = cut.map((p) => problem.slice(batch, p.start, p.end));
      const ctxs = cut.map((p) => ({ step, part: p.index }));
      let out: { grads: Grads; loss: tf.Scalar };
      if (pool) {
        const weights = parts.map((p) => model.weight(p));
        const W = weights.reduce((a, b) => a + b, 0);
        const byWorker: WorkerPart<B>[][] = Array.from({ length: workers }, () => []);
        cut.forEach((p, i) => byWorker[p.worker].push({ index: p.index, data: parts[i], weight: weights[i] }));
        out = await pool.grads(step, byWorker, W, problem.head ? { head: problem.head, batch } : undefined);
      } else if (problem.head) {
        out = coupledGrads(model, problem.head, batch, parts, ctxs);
      } else {
        const weights = parts.map((p) => model.weight(p));
        out = partGrads(model, parts, ctxs, weights, weights.reduce((a, b) => a + b, 0));
      }
      const norm = opts.optimizer.apply(out.grads, problem.lr(step));
      tf.dispose(Object.values(out.grads));
      opts.ema?.update();
      winLoss.add(out.loss.clone()); winNorm.add(norm);
      for (const h of hookSums) h.add(out.loss.clone());
      // webgpu: wait for the previous step (its loss) before going on, so at most two steps are
      // queued: Dawn frees a step's transient allocations only once the device has finished it,
      // and unbounded queueing ran lavapipe out of memory mappings (a segfault after ~40 steps)
      if (webgpu && lastStep) await lastStep.data();
      lastStep?.dispose();
      lastStep = out.loss;
      if (pool) await pool.publishWeights();

      const done = step + 1;
      if (done % logEvery === 0 || done === opts.steps) await logPoint(done);
      for (let i = 0; i < hooks.length; i++) {
        if (done % hooks[i].every !== 0) continue;
        const n = hookSums[i].count, mean = (await hookSums[i].read()) / Math.max(1, n);
        hookSums[i].reset();
        await hooks[i].run(done, { meanLoss: mean, steps: n });
      }
      progress?.update(done - start, { loss: lastLoss });
      if (ck && done % ck.every === 0 && done < stopAt) await saveNow(done);
      if (opts.maxSeconds !== undefined && (Date.now() - t0) / 1000 >= opts.maxSeconds) { step++; break; }
      if (!pool && done % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    if (lastStep) lastStepLoss = (await lastStep.data())[0];
    progress?.finish({ loss: lastLoss });
    if (ck && (step > start || !checkpointExists(ck.dir))) await saveNow(step);
  } finally {
    await pool?.close();
    lastStep?.dispose();
    winLoss.reset(); winNorm.reset();
    for (const h of hookSums) h.reset();
  }
  const seconds = (Date.now() - t0) / 1000;
  return {
    startStep: start, endStep: step, curve, finalLoss: curve.length ? curve[curve.length - 1].loss : NaN, lastStepLoss,
    seconds, stepsPerSecond: seconds > 0 ? (step - start) / seconds : 0, workers,
  };
}
