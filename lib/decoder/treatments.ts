// Input treatments of the decoder's embeddings, host-side on Float32Array rows [N, D].
// Training (text embeddings; the methods of the paper's tables):
//   plain     : renorm(norm(e) - text_mean)                  C3's "C^2"/Diffusion Bridge's "Plain Embed"
//   capdec    : renorm(norm(e) + N(0, variance 0.016))        CapDec's noise_injection (DavidHuji/CapDec)
//   c3        : renorm(norm(e) - text_mean + N(0, 0.016))     C3 (yuhui-zh15/C3 dataset_coco.py, text path)
//   augmented : norm(e_aug)                                   Diffusion Bridge: e_aug from lib/diffusion's
//               augmentEmbeddings, already in the mean-removed text space (official normalize_prefix);
//               validated on renorm(norm(e) - text_mean), the clean text of that space
// Noise is drawn fresh every time a caption is used (per epoch), from the seeded Rng.
// Test time (image or other non-text embeddings):
//   raw     : norm(v)                                        CapDec / ClipCap
//   mean    : renorm(norm(v) - image_mean)                   C3's collapse
//   decap   : renorm(sum_i softmax(cos(v, m_i)/0.01) m_i) over a memory of normalised training text
//             embeddings (DeCap, dhg-wei/DeCap), then moved into the decoder's training space
//             (text mean removed for plain/c3/augmented decoders)
//   bridged : norm(e_bridged)                                e_bridged from lib/diffusion's bridgeEmbeddings
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { l2NormalizeRowsInPlace } from '../embeddings/normalize.ts';

export const TRAIN_TREATMENTS = ['plain', 'capdec', 'c3', 'augmented'] as const;
export type TrainTreatment = (typeof TRAIN_TREATMENTS)[number];
export const TEST_TREATMENTS = ['raw', 'mean', 'decap', 'bridged'] as const;
export type TestTreatment = (typeof TEST_TREATMENTS)[number];

/** Noise variance of CapDec and C3 (std sqrt(0.016) = 0.1265). */
export const DEFAULT_NOISE_VARIANCE = 0.016;
/** DeCap's softmax temperature. */
export const DEFAULT_DECAP_TEMPERATURE = 0.01;

export function checkTrainTreatment(t: string): TrainTreatment {
  if (!(TRAIN_TREATMENTS as readonly string[]).includes(t)) throw new DbridgeError(`unknown training treatment '${t}' (choose from ${TRAIN_TREATMENTS.join(', ')})`);
  return t as TrainTreatment;
}

export function checkTestTreatment(t: string): TestTreatment {
  if (!(TEST_TREATMENTS as readonly string[]).includes(t)) throw new DbridgeError(`unknown test treatment '${t}' (choose from ${TEST_TREATMENTS.join(', ')})`);
  return t as TestTreatment;
}

/** Whether a decoder trained with `t` reads embeddings from which the text mean was removed. */
export function removesTextMean(t: TrainTreatment): boolean {
  return t !== 'capdec';
}

export function checkMatrix(data: Float32Array, dim: number, what: string): number {
  if (!Number.isInteger(dim) || dim <= 0) throw new DbridgeError(`${what}: dimension must be a positive integer, got ${dim}`);
  if (data.length % dim !== 0) throw new DbridgeError(`${what}: ${data.length} values are not a whole number of rows of dimension ${dim}`);
  return data.length / dim;
}

function checkVector(v: Float32Array | undefined, dim: number, what: string): Float32Array {
  if (!v) throw new DbridgeError(`${what} is required`);
  if (v.length !== dim) throw new DbridgeError(`${what} has dimension ${v.length}, the embeddings have ${dim}`);
  return v;
}

/** Row-wise L2 normalisation in place (rows of zero norm stay zero; torch's normalize uses max(norm, 1e-12)). */
export function normalizeRows(data: Float32Array, dim: number): Float32Array {
  return l2NormalizeRowsInPlace(data, checkMatrix(data, dim, 'normalizeRows'), dim);
}

function subtractRow(data: Float32Array, dim: number, v: Float32Array): void {
  for (let i = 0; i < data.length; i++) data[i] -= v[i % dim];
}

export interface TrainTreatmentOptions {
  /** Mean of L2-normalised training text embeddings [D]; required for plain and c3. */
  textMean?: Float32Array;
  /** Gaussian noise variance for capdec/c3 (default 0.016). */
  noiseVariance?: number;
}

/**
 * The deterministic part of a training treatment (normalise, remove the text mean), applied once.
 * Returns a new array.
 */
export function trainTreatmentBase(treatment: TrainTreatment, embeddings: Float32Array, dim: number, opts: TrainTreatmentOptions = {}): Float32Array {
  checkTrainTreatment(treatment);
  checkMatrix(embeddings, dim, 'training embeddings');
  const x = normalizeRows(Float32Array.from(embeddings), dim);
  if (treatment === 'plain' || treatment === 'c3') {
    subtractRow(x, dim, checkVector(opts.textMean, dim, `treatment ${treatment}: the text mean`));
    if (treatment === 'plain') normalizeRows(x, dim);
  }
  return x;
}

/**
 * The random part, applied to rows taken from trainTreatmentBase each time they are used:
 * capdec and c3 add N(0, variance) noise and renormalise; plain/augmented return the rows unchanged.
 */
export function trainTreatmentNoise(treatment: TrainTreatment, rows: Float32Array, dim: number, rng: Rng, opts: TrainTreatmentOptions = {}): Float32Array {
  if (treatment !== 'capdec' && treatment !== 'c3') return rows;
  const std = Math.sqrt(opts.noiseVariance ?? DEFAULT_NOISE_VARIANCE);
  const x = Float32Array.from(rows);
  if (std > 0) for (let i = 0; i < x.length; i++) x[i] += std * rng.normal();
  return normalizeRows(x, dim);
}

/** Full training treatment (base + one draw of noise): what the decoder sees for these rows. */
export function applyTrainTreatment(treatment: TrainTreatment, embeddings: Float32Array, dim: number, rng: Rng, opts: TrainTreatmentOptions = {}): Float32Array {
  return trainTreatmentNoise(treatment, trainTreatmentBase(treatment, embeddings, dim, opts), dim, rng, opts);
}

/**
 * What a val/test text embedding looks like to the decoder without noise (val loss): the base part,
 * renormalised (c3 renormalises after its noise). The augmented decoder reads the mean-removed text
 * space (diffusion-augmented text and bridged images live there), so its val text has the text
 * mean removed as Plain's does; it needs `textMean`.
 */
export function trainTreatmentEval(treatment: TrainTreatment, embeddings: Float32Array, dim: number, opts: TrainTreatmentOptions = {}): Float32Array {
  if (treatment === 'augmented') {
    if (!opts.textMean) throw new DbridgeError("treatment 'augmented' validates on mean-removed val text: the text mean is required");
    return trainTreatmentBase('plain', embeddings, dim, opts);
  }
  const x = trainTreatmentBase(treatment, embeddings, dim, opts);
  return treatment === 'c3' ? normalizeRows(x, dim) : x;
}

export interface TestTreatmentOptions {
  treatment: TestTreatment;
  /** Mean of L2-normalised training image embeddings [D] (treatment 'mean'). */
  imageMean?: Float32Array;
  /** DeCap memory: training text embeddings [M, D] (normalised here). */
  memory?: Float32Array;
  /** DeCap temperature (default 0.01). */
  temperature?: number;
  /**
   * The decoder's text space for 'decap': the text mean to remove (for decoders trained with
   * plain/c3/augmented; see decoderTextSpace in model.ts). Omit for capdec decoders.
   */
  textMean?: Float32Array;
  /** Rows per DeCap chunk (memory-bound; default 256). */
  chunk?: number;
}

/**
 * Applies a test-time treatment to embeddings [N, D]; returns a new array. Asynchronous because
 * DeCap's projection runs on the tensor backend and is read back with `await` (webgpu-safe).
 */
export async function applyTestTreatment(embeddings: Float32Array, dim: number, opts: TestTreatmentOptions): Promise<Float32Array> {
  const t = checkTestTreatment(opts.treatment);
  const n = checkMatrix(embeddings, dim, 'test embeddings');
  const x = normalizeRows(Float32Array.from(embeddings), dim);
  if (t === 'raw' || t === 'bridged') return x;
  if (t === 'mean') {
    subtractRow(x, dim, checkVector(opts.imageMean, dim, "test treatment 'mean': the image mean"));
    return normalizeRows(x, dim);
  }
  // decap
  if (!opts.memory || opts.memory.length === 0) throw new DbridgeError("test treatment 'decap' needs a memory of training text embeddings");
  checkMatrix(opts.memory, dim, 'DeCap memory');
  const tau = opts.temperature ?? DEFAULT_DECAP_TEMPERATURE;
  if (!(tau > 0)) throw new DbridgeError(`DeCap temperature must be > 0, got ${tau}`);
  const mem = normalizeRows(Float32Array.from(opts.memory), dim);
  const out = new Float32Array(n * dim);
  const chunk = opts.chunk ?? 256;
  const M = tf.tensor2d(mem, [mem.length / dim, dim]);
  const MT = tf.transpose(M);
  try {
    for (let s = 0; s < n; s += chunk) {
      const rows = Math.min(chunk, n - s);
      const proj = tf.tidy(() => {
        const v = tf.tensor2d(x.subarray(s * dim, (s + rows) * dim), [rows, dim]);
        const w = tf.softmax(tf.div(tf.matMul(v, MT), tau), -1);
        return tf.matMul(w, M);
      });
      out.set(await proj.data() as Float32Array, s * dim);
      proj.dispose();
    }
  } finally {
    tf.dispose([M, MT]);
  }
  normalizeRows(out, dim);
  if (opts.textMean) {
    subtractRow(out, dim, checkVector(opts.textMean, dim, 'the text mean'));
    normalizeRows(out, dim);
  }
  return out;
}
