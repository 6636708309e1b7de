// Paired training data and the training loop shared by the paired bridges (Diffusion-Link and
// DiffGAP): preprocessed text rows with, for each, the preprocessed row of the clip (image) it
// describes; a seeded step loop (Adam with global-norm clipping, batches that depend only on
// (seed, step), so a resumed run draws what an uninterrupted one would), checkpoints every N steps
// and at the end, a progress bar. Diffusion Bridge trains on text alone (lib/diffusion/train.ts);
// these two need the pairs, which is what sets them apart.
// Note: this loop is deliberately small; it moves onto the project's one training harness
// (lib/train/, issue 12) when that lands.
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { Adam, type ParamStore, READ_EVERY, checkpointExists, loadCheckpoint, lossAndGrads, saveCheckpoint } from '../nn/index.ts';
import { BatchSampler } from '../diffusion/train.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import { DbridgeError } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { stableStringify } from '../util/hash.ts';
import type { SplitEmbeddings } from '../experiments/data.ts';

/** Preprocessed pairs: text row i describes clip row `owner[i]`. */
export interface PairedEmbeddings {
  d: number;
  /** Preprocessed text rows [nText, d] (radius C, text mean removed). */
  text: Float32Array;
  /** Preprocessed clip rows [nClip, d] (radius C, the clips' own mean removed). */
  media: Float32Array;
  /** For each text row, its clip row. */
  owner: Int32Array;
  nText: number;
}

/** Pairs of one embedded split with its train means (docs/spec.md §1.1 preprocessing, radius C). */
export function pairedEmbeddings(s: SplitEmbeddings, textMean: Float32Array, mediaMean: Float32Array, radius: number): PairedEmbeddings {
  const rowOf = new Map(s.index.images.map((im, i) => [String(im.image_id), i]));
  const owner = Int32Array.from(s.index.texts, (t, i) => {
    const r = rowOf.get(String(t.image_id));
    if (r === undefined) throw new DbridgeError(`paired data: caption ${i} names clip ${t.image_id}, which is not in the split`);
    return r;
  });
  return {
    d: s.d, nText: s.nText, owner,
    text: preprocessRows(s.text, s.nText, s.d, textMean, radius),
    media: preprocessRows(s.image, s.nImage, s.d, mediaMean, radius),
  };
}

/** One batch of pairs: B text rows and the clip rows they describe, as tensors [B, d]. */
export function pairBatch(p: PairedEmbeddings, idx: Int32Array): { text: tf.Tensor2D; media: tf.Tensor2D } {
  const B = idx.length, d = p.d;
  const t = new Float32Array(B * d), m = new Float32Array(B * d);
  idx.forEach((r, i) => {
    t.set(p.text.subarray(r * d, (r + 1) * d), i * d);
    const o = p.owner[r];
    m.set(p.media.subarray(o * d, (o + 1) * d), i * d);
  });
  return { text: tf.tensor2d(t, [B, d]), media: tf.tensor2d(m, [B, d]) };
}

export interface PairedTrainConfig {
  steps: number;
  batchSize: number;
  lr: number;
  /** Global gradient-norm clip (the diffusion trainer's 1.0). */
  clipGradNorm: number;
  checkpointEvery: number;
}

export interface PairedLoopOptions {
  params: ParamStore;
  pairs: PairedEmbeddings;
  train: PairedTrainConfig;
  seed: number;
  label: string;
  /** Checkpoint folder; resumes from it when it holds a checkpoint of the same `config`. */
  outDir: string;
  /** What must match for a resume (written into config.json). */
  config: Record<string, unknown>;
  /** The batch loss: pairs of the batch, a per-step Rng (timesteps, noise). */
  loss(batch: { text: tf.Tensor2D; media: tf.Tensor2D }, rng: Rng): tf.Scalar;
  quiet?: boolean;
  /** Stop after this many steps of this call, checkpointing (tests simulate an interruption). */
  stopAfter?: number;
}

/** Runs the loop; returns the last loss, steps done now and the seconds taken. */
export async function trainPaired(o: PairedLoopOptions): Promise<{ loss: number; steps: number; seconds: number; stepsPerSecond: number }> {
  const { train } = o;
  for (const k of ['steps', 'batchSize', 'checkpointEvery'] as const) {
    if (!Number.isInteger(train[k]) || train[k] < 1) throw new DbridgeError(`${o.label}: ${k} must be a positive integer, got ${train[k]}`);
  }
  if (!(train.lr > 0)) throw new DbridgeError(`${o.label}: lr must be positive, got ${train.lr}`);
  const opt = new Adam(o.params, { lr: train.lr, beta1: 0.9, beta2: 0.99, clipGradNorm: train.clipGradNorm > 0 ? train.clipGradNorm : undefined });
  const t0 = Date.now();
  let start = 0, loss = NaN;
  try {
    if (checkpointExists(o.outDir)) {
      const ck = loadCheckpoint<Record<string, unknown>, { step: number; loss: number }>(o.outDir);
      if (stableStringify(ck.config) !== stableStringify(o.config)) throw new DbridgeError(`${o.outDir} holds a ${o.label} checkpoint of another configuration; use another folder`);
      o.params.load(ck.weights, { source: join(o.outDir, 'weights.safetensors') });
      if (ck.optimizer) opt.loadState(ck.optimizer);
      start = ck.state.step;
      loss = ck.state.loss;
    }
    const save = async (step: number) => saveCheckpoint(o.outDir, { config: o.config, weights: await o.params.toHost(), optimizer: await opt.stateToHost(), state: { step, loss } });
    const sampler = new BatchSampler(o.pairs.nText, train.batchSize, o.seed);
    const progress = o.quiet ? null : new Progress({ total: train.steps - start, label: o.label, unit: 'steps' });
    // the latest loss stays on the device; read every READ_EVERY steps and before checkpoints
    let lossT: tf.Scalar | null = null, lossStep = start;
    const readLoss = async () => {
      if (!lossT) return;
      loss = (await lossT.data())[0];
      if (!Number.isFinite(loss)) throw new DbridgeError(`${o.label}: training diverged (loss ${loss}) by step ${lossStep + 1}; try a lower learning rate`);
      progress?.update(lossStep + 1 - start, { loss });
    };
    const stopAt = o.stopAfter !== undefined ? Math.min(train.steps, start + o.stopAfter) : train.steps;
    try {
      for (let step = start; step < stopAt; step++) {
        const rng = new Rng(o.seed).fork(`step${step}`);
        const batch = pairBatch(o.pairs, sampler.indices(step));
        const r = lossAndGrads(o.params, () => o.loss(batch, rng));
        tf.dispose([batch.text, batch.media]);
        tf.dispose([opt.apply(r.grads), ...Object.values(r.grads)]);
        lossT?.dispose();
        lossT = r.loss; lossStep = step;
        if ((step + 1) % READ_EVERY === 0) await readLoss();
        if ((step + 1) % train.checkpointEvery === 0 && step + 1 < stopAt) { await readLoss(); await save(step + 1); }
      }
      await readLoss();
    } finally {
      (lossT as tf.Scalar | null)?.dispose();
    }
    progress?.finish({ loss });
    if (start < stopAt || !checkpointExists(o.outDir)) await save(Math.max(start, stopAt));
    const seconds = (Date.now() - t0) / 1000;
    return { loss, steps: stopAt - start, seconds, stepsPerSecond: (stopAt - start) / Math.max(1e-9, seconds) };
  } finally {
    opt.dispose();
  }
}
