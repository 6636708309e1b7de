// What a trainer gives the training harness (harness.ts): a model whose loss it can differentiate
// (the same on the main thread and on every worker replica), host batches that are a pure function
// of the step, and how to cut them. The harness owns everything else (step loop, accumulation,
// clipping and the optimiser through `Optimizer`, EMA, checkpoints, exact resume, progress, workers).
import type { tf } from '../tf.ts';
import type { ParamStore } from '../nn/params.ts';

/** Where a part of a batch sits: the step, and its index among the step's parts (for per-part random streams). */
export interface PartContext {
  step: number;
  part: number;
}

/**
 * The differentiable side of a trainer, built identically on the main thread and in each worker
 * (see ReplicaSpec). `B` is the trainer's host batch type (structured-cloneable).
 */
export interface TrainModel<B> {
  readonly params: ParamStore;
  /** Mean loss over a part of a batch (differentiable in params). Not used by coupled problems. */
  loss(part: B, ctx: PartContext): tf.Scalar;
  /**
   * The part's share of the batch's loss normaliser: its rows for a per-row mean, its tokens
   * for a per-token mean. The batch loss is sum_p weight(p) * loss(p) / sum_p weight(p).
   */
  weight(part: B): number;
  /**
   * Coupled losses (contrastive: every row's loss depends on the whole batch): per-row features
   * [rows, F] of a part, differentiable in params; the loss is TrainProblem.head on all of them.
   */
  features?(part: B, ctx: PartContext): tf.Tensor2D;
  dispose(): void;
}

/**
 * How a worker thread builds the same TrainModel: `module` is the URL of an ES module (use
 * `import.meta.url` of the trainer's file), `factory` the name of its exported function, called
 * with `args` (structured-cloneable). Weights are copied from the main thread afterwards.
 */
export interface ReplicaSpec {
  module: string;
  factory: string;
  args: unknown;
}

/** A coupled loss: computed on the main thread from the features of the whole batch (rows in batch order). */
export interface CoupledHead<B> {
  loss(features: tf.Tensor2D, batch: B): tf.Scalar;
}

export interface TrainProblem<B> {
  model: TrainModel<B>;
  /** Host data of step `step` (0-based): a pure function of (seed, step), which makes resume exact. */
  batch(step: number): B;
  /** Rows of a batch (what micro-batches and workers split). */
  rows(batch: B): number;
  /** Rows [start, end) of a batch, as a batch. */
  slice(batch: B, start: number, end: number): B;
  /** Learning rate of step `step` (0-based). */
  lr(step: number): number;
  /** For coupled models (TrainModel.features): the loss on all features; its own parameters live in model.params. */
  head?: CoupledHead<B>;
  /** How workers rebuild the model (required for workers > 1). */
  replica?: ReplicaSpec;
}

/** A point of the loss curve. */
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
