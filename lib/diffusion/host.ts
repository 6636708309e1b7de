// Host-array helpers for runners and experiments: whole embedding matrices in, bridged or
// augmented unit-norm embeddings out, processed in batches (one tensor batch alive at a time).
// Preprocessing (docs/spec.md §1.1) happens here unless the input is already preprocessed.
import { tf } from '../tf.ts';
import { DbridgeError, checkFinite } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import type { DiffusionCore } from './core.ts';
import { augment, bridge } from './sampling.ts';
import { chooseWorkers, runInWorkers } from './parallel.ts';

export interface BridgeEmbeddingsOptions {
  /** Start step M (MSCOCO 600, Flickr30K 400). */
  M: number;
  /** DDIM steps (official 5). */
  steps: number;
  /** Rows per tensor batch (default 64: the paper Unet1D keeps ~32 MiB of activations per row, and the wasm heap is limited to a few GiB). */
  batchSize?: number;
  eta?: number;
  seed?: number;
  /** Show a progress bar (default false). */
  progress?: boolean;
  /**
   * Worker threads to split the rows over, each with its own backend and a copy of the weights
   * (needs a DiffusionModel; CPU backends), kept for later calls; the result is the same bit for
   * bit. Default 'auto': this thread for small requests, the machine's cores when the request
   * would take one thread more than ~2 s (lib/diffusion/parallel.ts).
   */
  workers?: number | 'auto';
}

export interface AugmentEmbeddingsOptions extends Omit<BridgeEmbeddingsOptions, 'M'> {
  /** Forward-noising step A (official 400). */
  A: number;
  /** Seed of the forward noise; row i always gets the same noise whatever the batch size. */
  seed: number;
  /** Timestep of ᾱ for the forward noise (default A: the official off-by-one). */
  noiseStep?: number;
  /** Index of the first row in a larger set (noise of row i comes from Rng(seed).fork(rowOffset + i)); default 0. */
  rowOffset?: number;
}

function checkSteps(core: DiffusionCore, start: number, steps: number, what: string): void {
  const T = core.schedule.T;
  if (!Number.isInteger(start) || start < 1 || start > T) throw new DbridgeError(`${what} must be an integer in [1, ${T}], got ${start}`);
  if (!Number.isInteger(steps) || steps < 1) throw new DbridgeError(`the number of DDIM steps must be a positive integer, got ${steps}`);
  // more steps than timesteps would visit timesteps twice (the official linspace rounds them together)
  if (steps > start) throw new DbridgeError(`the number of DDIM steps (${steps}) must be at most ${what} (${start}): DDIM takes at most one step per timestep`);
}

function checkShape(core: DiffusionCore, raw: Float32Array, n: number, d: number, mean: Float32Array | null): void {
  const L = core.denoiser.config.length;
  if (d !== L) throw new DbridgeError(`embeddings have dimension ${d}, the diffusion model works on dimension ${L}`);
  if (raw.length !== n * d) throw new DbridgeError(`embedding matrix has ${raw.length} values, ${n} x ${d} needs ${n * d}`);
  if (mean && mean.length !== d) throw new DbridgeError(`the mean has ${mean.length} values, the embeddings have dimension ${d}`);
  checkFinite(raw, 'embeddings');
}

async function batched(n: number, d: number, batchSize: number, label: string, showProgress: boolean,
  run: (start: number, rows: number) => tf.Tensor2D): Promise<Float32Array> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DbridgeError(`batch size must be a positive integer, got ${batchSize}`);
  const out = new Float32Array(n * d);
  const progress = showProgress ? new Progress({ total: n, label, unit: 'emb' }) : null;
  for (let s = 0; s < n; s += batchSize) {
    const rows = Math.min(batchSize, n - s);
    const y = run(s, rows);
    out.set(await y.data() as Float32Array, s * d);
    y.dispose();
    progress?.update(s + rows);
  }
  progress?.finish();
  return out;
}

/**
 * Bridges raw embeddings of a non-text modality: preprocess with that modality's `mean` (pass
 * null when `raw` is already preprocessed), DDIM from M, L2-normalise. Returns n×d unit vectors.
 */
export async function bridgeEmbeddings(core: DiffusionCore, raw: Float32Array, n: number, d: number, mean: Float32Array | null,
  opts: BridgeEmbeddingsOptions): Promise<Float32Array> {
  checkShape(core, raw, n, d, mean);
  checkSteps(core, opts.M, opts.steps, 'M');
  const x = mean ? preprocessRows(raw, n, d, mean, core.radius) : raw;
  const k = chooseWorkers(core, n, opts.steps, opts.workers);
  if (k > 1) return runInWorkers(core, 'bridge', x, n, d, k, opts);
  return batched(n, d, opts.batchSize ?? 64, 'bridge', opts.progress ?? false, (s, rows) => tf.tidy(() =>
    bridge(core, tf.tensor2d(x.subarray(s * d, (s + rows) * d), [rows, d]), { M: opts.M, steps: opts.steps, eta: opts.eta, seed: opts.seed })));
}

/**
 * Diffusion-augments raw text embeddings (docs/spec.md §3): preprocess with the text `mean` (null when
 * already preprocessed), forward-noise to A with seeded per-row noise, DDIM from A, L2-normalise.
 */
export async function augmentEmbeddings(core: DiffusionCore, raw: Float32Array, n: number, d: number, mean: Float32Array | null,
  opts: AugmentEmbeddingsOptions): Promise<Float32Array> {
  checkShape(core, raw, n, d, mean);
  checkSteps(core, opts.A, opts.steps, 'the augmentation step A');
  if (opts.A >= core.schedule.T && (opts.noiseStep ?? opts.A) >= core.schedule.T) throw new DbridgeError(`the augmentation step A must be at most ${core.schedule.T - 1}, got ${opts.A}`);
  const x = mean ? preprocessRows(raw, n, d, mean, core.radius) : raw;
  const k = chooseWorkers(core, n, opts.steps, opts.workers);
  if (k > 1) return runInWorkers(core, 'augment', x, n, d, k, opts);
  return batched(n, d, opts.batchSize ?? 64, 'augment', opts.progress ?? false, (s, rows) => tf.tidy(() =>
    augment(core, tf.tensor2d(x.subarray(s * d, (s + rows) * d), [rows, d]), {
      A: opts.A, steps: opts.steps, seed: opts.seed, rowOffset: (opts.rowOffset ?? 0) + s, noiseStep: opts.noiseStep, eta: opts.eta,
    })));
}
