// The teaching walk-through of notebooks/10-ddpm-on-embeddings: the noise schedule, forward
// noising of one caption embedding, a tiny denoiser trained live on text embeddings (a small ResMLP,
// so it trains in seconds at any scale), ancestral sampling from noise (read back through the
// nearest training caption), the trajectory of a bridged image embedding toward the text region,
// and where to start it (a sweep of M). Each returns plain data (shown as a small table) plus a
// Vega-Lite spec; nothing here is used by the tables.
import { tf } from '../tf.ts';
import type { NoiseSchedule } from '../diffusion/schedule.ts';
import { qSample, ddimSample, ddpmSample, gaussianRows, type DdimTrace } from '../diffusion/sampling.ts';
import { DiffusionModel } from '../diffusion/model.ts';
import { SCALES } from '../diffusion/configs.ts';
import { trainDiffusion, type LossPoint } from '../diffusion/train.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import { diffusionConfig, type Variant } from '../diffusion/model.ts';
import { withProgressLabel } from '../util/progress.ts';
import type { SplitEmbeddings } from './data.ts';
import { DbridgeError } from '../util/errors.ts';
import type { VegaLiteSpec } from '../plots/vega.ts';

function cos(a: Float32Array, b: Float32Array): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(Math.max(na * nb, 1e-30));
}

const line = (title: string, values: Record<string, number | string>[], x: string, y: string, color?: string): VegaLiteSpec => ({
  title, data: { values }, width: 420, height: 220, mark: { type: 'line', point: values.length <= 40 },
  encoding: {
    x: { field: x, type: 'quantitative' }, y: { field: y, type: 'quantitative' },
    ...(color ? { color: { field: color, type: 'nominal', title: null } } : {}),
  },
});

/** A small markdown table of rows (numbers to `digits` decimals), for the notebook to show. */
export function markdownTable(rows: Record<string, number | string>[], digits = 3): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]);
  const cell = (v: number | string | undefined) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : v ?? '');
  return [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(' | ')} |`)].join('\n');
}

/** What the diffusion model is trained on: count, dimension and the norms of the preprocessed rows (all C). */
export function embeddingSummary(z0: Float32Array, n: number, d: number): Record<string, number | string>[] {
  let lo = Infinity, hi = 0, sum = 0;
  for (let i = 0; i < n; i++) {
    let s2 = 0;
    for (let q = 0; q < d; q++) s2 += z0[i * d + q] ** 2;
    const norm = Math.sqrt(s2);
    lo = Math.min(lo, norm); hi = Math.max(hi, norm); sum += norm;
  }
  return [{ quantity: 'caption embeddings (train split)', value: n }, { quantity: 'dimension d', value: d },
    { quantity: '‖z0‖ min / mean / max', value: `${lo.toFixed(4)} / ${(sum / n).toFixed(4)} / ${hi.toFixed(4)}` }];
}

/** The schedule's quantities at a few timesteps (the ones bridging and augmentation use). */
export function scheduleTable(s: NoiseSchedule, ts = [0, 119, 399, 599, 799, 999]): Record<string, number>[] {
  return ts.map((t) => {
    const a = s.alphasCumprod64[t];
    return { t, 'ᾱ_t': a, '√ᾱ_t (signal)': Math.sqrt(a), '√(1-ᾱ_t) (noise)': Math.sqrt(1 - a), 'SNR ᾱ/(1-ᾱ)': a / (1 - a) };
  });
}

/** ᾱ_t, √ᾱ_t and √(1-ᾱ_t) of a schedule, every `every` steps. */
export function scheduleCurves(s: NoiseSchedule, every = 10): { data: { t: number; quantity: string; value: number }[]; spec: VegaLiteSpec } {
  const data: { t: number; quantity: string; value: number }[] = [];
  for (let t = 0; t < s.T; t += every) {
    const a = s.alphasCumprod64[t];
    data.push({ t, quantity: 'ᾱ_t', value: a }, { t, quantity: '√ᾱ_t (signal)', value: Math.sqrt(a) }, { t, quantity: '√(1-ᾱ_t) (noise)', value: Math.sqrt(1 - a) });
  }
  return { data, spec: line(`${s.config.kind} schedule, T = ${s.T}`, data, 't', 'value', 'quantity') };
}

/** Forward noising of one preprocessed embedding z0 [d]: cosine of x_t with z0 and ‖x_t‖ over t. */
export function forwardNoising(s: NoiseSchedule, z0: Float32Array, ts: number[], seed = 0): { data: { t: number; cosine: number; norm: number }[]; spec: VegaLiteSpec } {
  const d = z0.length;
  const noise = gaussianRows(seed, 1, d);
  const data = ts.map((t) => {
    const xt = tf.tidy(() => qSample({ schedule: s }, tf.tensor2d(z0, [1, d]), t, tf.tensor2d(noise, [1, d])).dataSync() as Float32Array);
    let n2 = 0;
    for (const v of xt) n2 += v * v;
    return { t, cosine: cos(xt, z0), norm: Math.sqrt(n2) };
  });
  return { data, spec: line('Forward noising q(x_t | x_0): cosine with the clean caption embedding', data, 't', 'cosine') };
}

/**
 * Trains a tiny denoiser live on preprocessed text embeddings (n x d): a ResMLP of `width` (two
 * residual blocks), the smoke scale's training settings, `steps` steps; seconds at any d. Its
 * progress bar is labelled "teaching: tiny denoiser". Returns the model and its loss curve.
 */
export async function trainTinyDenoiser(z0: Float32Array, n: number, d: number, opts: { steps: number; seed?: number; variant?: Variant; width?: number }): Promise<{ model: DiffusionModel; curve: LossPoint[]; spec: VegaLiteSpec }> {
  const cfg = diffusionConfig({ kind: 'resmlp', length: d, width: opts.width ?? 128, blocks: 2, timeDim: 64 }, opts.variant ?? 'official');
  const model = DiffusionModel.create(cfg, opts.seed ?? 0);
  const r = await withProgressLabel('teaching: tiny denoiser', () =>
    trainDiffusion(model, z0, n, { ...SCALES.smoke.train, steps: opts.steps, seed: opts.seed ?? 0, logEvery: Math.max(1, Math.floor(opts.steps / 40)) }));
  const values = r.curve.map((p) => ({ step: p.step, loss: Math.log10(p.loss) }));
  return { model, curve: r.curve, spec: line('Training loss (log10) of the tiny denoiser', values, 'step', 'loss') };
}

/**
 * Ancestral DDPM samples from pure noise, each read through its nearest training caption (cosine),
 * beside the same reading of a plain Gaussian vector (what "no model" gives).
 */
export function sampleAndRead(model: DiffusionModel, k: number, text: Float32Array, captions: string[], d: number, seed = 0): { caption: string; cosine: number; noiseCosine: number }[] {
  const x = ddpmSample(model, k, { seed });
  const xs = l2NormalizeRows(x.dataSync() as Float32Array, k, d);
  x.dispose();
  const noise = l2NormalizeRows(gaussianRows(seed + 1, k, d), k, d);
  const tn = l2NormalizeRows(text, captions.length, d);
  const nearest = (v: Float32Array, i: number) => {
    let best = -2, bi = 0;
    for (let j = 0; j < captions.length; j++) {
      let c = 0;
      for (let q = 0; q < d; q++) c += v[i * d + q] * tn[j * d + q];
      if (c > best) { best = c; bi = j; }
    }
    return { bi, best };
  };
  return Array.from({ length: k }, (_, i) => {
    const s = nearest(xs, i);
    return { caption: captions[s.bi], cosine: s.best, noiseCosine: nearest(noise, i).best };
  });
}

/** Val image `i` preprocessed with the image mean, and its captions preprocessed with the text mean. */
export function imageWithCaptions(val: SplitEmbeddings, means: { text: Float32Array; image: Float32Array }, i: number): { image: Float32Array; captions: Float32Array[]; texts: string[] } {
  const d = val.d;
  const entry = val.index.images[i];
  if (!entry) throw new DbridgeError(`no val image ${i} (the split has ${val.nImage})`);
  return {
    image: preprocessRows(val.image.subarray(i * d, (i + 1) * d), 1, d, means.image),
    captions: entry.text_rows.map((r) => preprocessRows(val.text.subarray(r * d, (r + 1) * d), 1, d, means.text)),
    texts: entry.text_rows.map((r) => val.index.texts[r].caption),
  };
}

/**
 * The DDIM bridge of one preprocessed image embedding from M, recording at every network call the
 * cosine of the current x (and of the predicted x̂0) with the image's own captions (mean) and with
 * the starting image embedding.
 */
export function bridgeTrajectory(model: DiffusionModel, image: Float32Array, captionsOfImage: Float32Array[], opts: { M: number; steps: number }): { data: Record<string, number | string>[]; spec: VegaLiteSpec } {
  const d = image.length;
  const trace: DdimTrace = { t: [], xIn: [], predX0: [] };
  const out = tf.tidy(() => ddimSample(model, tf.tensor2d(image, [1, d]), { M: opts.M, steps: opts.steps, trace }).dataSync() as Float32Array);
  const textMean = new Float32Array(d);
  for (const c of captionsOfImage) for (let q = 0; q < d; q++) textMean[q] += c[q] / captionsOfImage.length;
  const data: Record<string, number | string>[] = [{ step: 0, t: opts.M, what: 'x (current)', 'cos with its captions': cos(image, textMean), 'cos with the image': 1 }];
  trace.t.forEach((t, k) => {
    data.push({ step: k + 1, t, what: 'x̂0 (predicted)', 'cos with its captions': cos(trace.predX0[k], textMean), 'cos with the image': cos(trace.predX0[k], image) });
  });
  data.push({ step: trace.t.length + 1, t: -1, what: 'x (current)', 'cos with its captions': cos(out, textMean), 'cos with the image': cos(out, image) });
  return { data, spec: line(`A bridged image embedding, M = ${opts.M}, ${opts.steps} DDIM steps`, data, 'step', 'cos with its captions', 'what') };
}

/**
 * Where to drop the image in: the bridged result's cosine with the image's own captions (mean of
 * their embeddings) and with the image itself, for each start step M (Table 5 asks this of captions).
 */
export function bridgeSweep(model: DiffusionModel, image: Float32Array, captionsOfImage: Float32Array[], opts: { Ms: number[]; steps: number }): { data: Record<string, number | string>[]; spec: VegaLiteSpec } {
  const d = image.length;
  const textMean = new Float32Array(d);
  for (const c of captionsOfImage) for (let q = 0; q < d; q++) textMean[q] += c[q] / captionsOfImage.length;
  const data: Record<string, number | string>[] = [];
  for (const M of opts.Ms) {
    const out = M === 0 ? image : tf.tidy(() => ddimSample(model, tf.tensor2d(image, [1, d]), { M, steps: opts.steps }).dataSync() as Float32Array);
    data.push({ M, cosine: cos(out, textMean), of: 'with its captions' }, { M, cosine: cos(out, image), of: 'with the image' });
  }
  return { data, spec: line(`Bridged from M, ${opts.steps} DDIM steps: cosine of the result`, data, 'M', 'cosine', 'of') };
}
