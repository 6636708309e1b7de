// Paired training data and the training problem shared by the paired bridges (Diffusion-Link and
// DiffGAP): preprocessed text rows with, for each, the preprocessed row of the clip (image) it
// describes, trained on the project's one training harness (lib/train: step loop, clipping,
// checkpoints, exact resume, progress). Diffusion Bridge trains on text alone
// (lib/diffusion/train.ts); these two need the pairs, which is what sets them apart.
import { tf } from '../tf.ts';
import { Adam, type ParamStore } from '../nn/index.ts';
import { BatchSampler } from '../diffusion/train.ts';
import { runTraining, type TrainProblem } from '../train/index.ts';
import { dataHash, flattenSettings } from '../util/resume.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import { DbridgeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
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

export interface PairedTrainConfig {
  steps: number;
  batchSize: number;
  lr: number;
  /** Global gradient-norm clip (the diffusion trainer's 1.0). */
  clipGradNorm: number;
  checkpointEvery: number;
}

/** One step's pairs, host side: B preprocessed text rows and the clip rows they describe. */
export interface PairBatch { text: Float32Array; media: Float32Array; d: number }

export interface PairedLoopOptions {
  params: ParamStore;
  pairs: PairedEmbeddings;
  train: PairedTrainConfig;
  seed: number;
  label: string;
  /** Checkpoint folder; resumes from it when it holds a checkpoint of the same `config`. */
  outDir: string;
  /** What the model is rebuilt from and what must match for a resume (config.json; compared setting by setting). */
  config: Record<string, unknown>;
  /** The loss of a batch of pairs (tensors [rows, d]), with a random stream for its timesteps and noise. */
  loss(batch: { text: tf.Tensor2D; media: tf.Tensor2D }, rng: Rng): tf.Scalar;
  quiet?: boolean;
  /** Stop after this many steps of this call, checkpointing (tests simulate an interruption). */
  stopAfter?: number;
}

/**
 * Runs the loop on the project's training harness (lib/train): batches of pairs drawn epoch by
 * epoch (the diffusion trainer's BatchSampler), a random stream per (step, part) for timesteps and
 * noise, Adam (betas 0.9 / 0.99) with clipping, checkpoints and exact resume.
 */
export async function trainPaired(o: PairedLoopOptions): Promise<{ loss: number; steps: number; seconds: number; stepsPerSecond: number }> {
  const { train, pairs } = o;
  for (const k of ['steps', 'batchSize', 'checkpointEvery'] as const) {
    if (!Number.isInteger(train[k]) || train[k] < 1) throw new DbridgeError(`${o.label}: ${k} must be a positive integer, got ${train[k]}`);
  }
  if (!(train.lr > 0)) throw new DbridgeError(`${o.label}: lr must be positive, got ${train.lr}`);
  const d = pairs.d;
  const sampler = new BatchSampler(pairs.nText, train.batchSize, o.seed);
  const problem: TrainProblem<PairBatch> = {
    model: {
      params: o.params,
      loss: (b, ctx) => tf.tidy(() => {
        const rows = b.text.length / d;
        return o.loss({ text: tf.tensor2d(b.text, [rows, d]), media: tf.tensor2d(b.media, [rows, d]) }, new Rng(o.seed).fork(`step${ctx.step}/part${ctx.part}`));
      }),
      weight: (b) => b.text.length / b.d,
      dispose: () => undefined, // the caller owns the parameters
    },
    batch: (step) => {
      const idx = sampler.indices(step);
      const text = new Float32Array(idx.length * d), media = new Float32Array(idx.length * d);
      idx.forEach((r, i) => {
        text.set(pairs.text.subarray(r * d, (r + 1) * d), i * d);
        media.set(pairs.media.subarray(pairs.owner[r] * d, (pairs.owner[r] + 1) * d), i * d);
      });
      return { text, media, d };
    },
    rows: (b) => b.text.length / b.d,
    slice: (b, s, e) => ({ text: b.text.slice(s * b.d, e * b.d), media: b.media.slice(s * b.d, e * b.d), d: b.d }),
    lr: () => train.lr,
  };
  const optimizer = new Adam(o.params, { lr: train.lr, beta1: 0.9, beta2: 0.99, clipGradNorm: train.clipGradNorm > 0 ? train.clipGradNorm : undefined });
  try {
    const r = await runTraining(problem, {
      steps: train.steps, optimizer, logEvery: Math.min(50, train.steps), progress: o.quiet ? false : o.label, maxStepsThisRun: o.stopAfter,
      checkpoint: {
        dir: o.outDir, every: train.checkpointEvery, config: o.config, resume: true,
        settings: { ...flattenSettings(o.config), seed: o.seed, rows: pairs.nText, data: dataHash(pairs.text) }, hint: 'use another folder',
      },
    });
    return { loss: r.lastStepLoss, steps: r.endStep - r.startStep, seconds: r.seconds, stepsPerSecond: r.stepsPerSecond };
  } finally {
    optimizer.dispose();
  }
}
