// The teaching walk-through of notebooks/10-ddpm-on-embeddings: the noise schedule, forward
// noising of one caption embedding, a tiny denoiser trained live on text embeddings, ancestral
// sampling from noise (read back through the nearest training caption), and the trajectory of a
// bridged image embedding toward the text region, step by step. Each returns plain data plus a
// Vega-Lite spec; nothing here is used by the tables.
import { tf } from '../tf.ts';
import type { NoiseSchedule } from '../diffusion/schedule.ts';
import { qSample, ddimSample, ddpmSample, gaussianRows, type DdimTrace } from '../diffusion/sampling.ts';
import { DiffusionModel } from '../diffusion/model.ts';
import { namedConfig } from '../diffusion/configs.ts';
import { trainDiffusion, type LossPoint } from '../diffusion/train.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
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

/** Trains the `smoke` denoiser live on preprocessed text embeddings (n x d); returns the model and its loss curve. */
export async function trainTinyDenoiser(z0: Float32Array, n: number, d: number, opts: { steps: number; seed?: number; variant?: 'official' | 'paper' }): Promise<{ model: DiffusionModel; curve: LossPoint[]; spec: VegaLiteSpec }> {
  const nc = namedConfig('smoke', { length: d, variant: opts.variant ?? 'official' });
  const model = DiffusionModel.create(nc.model, opts.seed ?? 0);
  const r = await trainDiffusion(model, z0, n, { ...nc.train, steps: opts.steps, seed: opts.seed ?? 0, logEvery: Math.max(1, Math.floor(opts.steps / 40)) });
  const values = r.curve.map((p) => ({ step: p.step, loss: Math.log10(p.loss) }));
  return { model, curve: r.curve, spec: line('Training loss (log10) of the tiny denoiser', values, 'step', 'loss') };
}

/** Ancestral DDPM samples from pure noise, each read through its nearest training caption (cosine). */
export function sampleAndRead(model: DiffusionModel, k: number, text: Float32Array, captions: string[], d: number, seed = 0): { caption: string; cosine: number }[] {
  const x = ddpmSample(model, k, { seed });
  const xs = l2NormalizeRows(x.dataSync() as Float32Array, k, d);
  x.dispose();
  const tn = l2NormalizeRows(text, captions.length, d);
  const out: { caption: string; cosine: number }[] = [];
  for (let i = 0; i < k; i++) {
    let best = -2, bi = 0;
    for (let j = 0; j < captions.length; j++) {
      let c = 0;
      for (let q = 0; q < d; q++) c += xs[i * d + q] * tn[j * d + q];
      if (c > best) { best = c; bi = j; }
    }
    out.push({ caption: captions[bi], cosine: best });
  }
  return out;
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
