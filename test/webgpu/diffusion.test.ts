// Diffusion on webgpu (over lavapipe in CI) against wasm and the official code: Unet1D and ResMLP
// forward and gradients, a few training steps with EMA and a checkpoint (loss curve, EMA weights),
// DDIM bridging against the official fixtures, and the host-array bridging and augmentation paths.
// Small shapes: lavapipe compiles every shader on 2 CPU cores.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { toIntArray } from '../../lib/io/dtype.ts';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import { lossAndGrads } from '../../lib/nn/optim.ts';
import { Rng } from '../../lib/util/rng.ts';
import { loadCheckpoint } from '../../lib/nn/checkpoint.ts';
import { preprocessRows } from '../../lib/embeddings/preprocess.ts';
import { DiffusionModel, diffusionConfig, bridge, trainDiffusion, bridgeEmbeddings, augmentEmbeddings } from '../../lib/diffusion/index.ts';
import { createDenoiser, loadDenoiserWeights, unet1dFromTorchStateDict, denoiserPreset, type Denoiser, type Unet1DConfig } from '../../lib/diffusion/denoisers/index.ts';
import { FIXTURES, tmpDir } from '../helpers.ts';
import { webgpuSuite, relMaxDiff, maxAbs, take, type Host } from './harness.ts';

const FX = join(FIXTURES, 'diffusion');
const f32 = (name: string) => readNpy(join(FX, name)).data as Float32Array;

/** Tolerances (webgpu vs wasm, both float32; summation orders differ). */
const TOL = {
  /** forward outputs and DDIM results against the official float32 fixtures: the wasm suite's bound */
  official: 1e-4,
  /** gradients: max |Δ| over max |g| of the parameter */
  grad: 1e-4,
  /** mean loss of each logged window after 8 Adam steps, relative */
  trainLoss: 1e-4,
  /** weights and EMA weights after 8 Adam steps, max |Δ| */
  trainWeights: 1e-5,
  /** unit-norm bridged / augmented embeddings, max |Δ| */
  embeddings: 1e-5,
};

function officialSmall(): DiffusionModel {
  const cfg = denoiserPreset('small') as Unet1DConfig;
  const net = createDenoiser(cfg, 0);
  loadDenoiserWeights(net, unet1dFromTorchStateDict(readSafetensors(join(FX, 'unet1d_small.safetensors')).tensors, cfg), 'fixture');
  return new DiffusionModel(net, diffusionConfig(cfg, 'official'));
}

/** Gradients of mean(apply(x, t)^2) for every parameter, read to the host. */
async function grads(d: Denoiser, x: Float32Array, t: Int32Array): Promise<Host> {
  const L = d.config.length, B = t.length;
  const xs = tf.tensor2d(x, [B, L]);
  const { loss, grads: g } = lossAndGrads(d.params, () => tf.mean(tf.square(d.apply(xs, t))) as tf.Scalar);
  const out: Host = { loss: (await take(loss))[0] };
  for (const [k, v] of Object.entries(g)) out[k] = await take(v);
  xs.dispose();
  return out;
}

function compareGrads(gpu: Host, wasm: Host): void {
  assert.ok(Math.abs((gpu.loss as number) - (wasm.loss as number)) <= 1e-5 * Math.abs(wasm.loss as number), `loss ${gpu.loss} vs ${wasm.loss}`);
  let worst = 0, at = '';
  for (const k of Object.keys(wasm)) {
    if (k === 'loss') continue;
    const e = relMaxDiff(gpu[k] as Float32Array, wasm[k] as Float32Array);
    if (e > worst) { worst = e; at = k; }
  }
  console.log(`# gradients: worst relative difference ${worst.toExponential(2)} (${at}) over ${Object.keys(wasm).length - 1} parameters`);
  assert.ok(worst <= TOL.grad, `gradient ${at} differs by ${worst} of its scale`);
}

const rng = new Rng(5);
const L = 64;
const sphere = (n: number) => preprocessRows(rng.normals(n * L), n, L, new Float32Array(L));
const xGrad = sphere(4), tGrad = Int32Array.from([3, 250, 600, 999]);
const z0 = sphere(48);
const raw = rng.normals(20 * L), mean = rng.normals(L);

webgpuSuite([
  {
    name: 'Unet1D forward (official small weights) vs the official output',
    async run() {
      const m = officialSmall();
      const xin = readNpy(join(FX, 'small_forward_in.npy'));
      const t = Int32Array.from(toIntArray(readNpy(join(FX, 'small_forward_t.npy'))));
      const x = tf.tensor2d(xin.data as Float32Array, [xin.shape[0], L]);
      const y = await take(m.denoiser.apply(x, t));
      x.dispose(); m.dispose();
      return { y };
    },
    compare(gpu, wasm) {
      const ref = f32('small_forward_out.npy');
      const e = maxAbs(gpu.y as Float32Array, ref);
      console.log(`# Unet1D forward: webgpu vs official ${e.toExponential(2)}, wasm vs official ${maxAbs(wasm.y as Float32Array, ref).toExponential(2)}`);
      assert.ok(e <= TOL.official, `forward differs from the official output by ${e}`);
    },
  },
  {
    name: 'ResMLP forward',
    async run() {
      const d = createDenoiser(denoiserPreset('resmlp-small'), 3);
      const x = tf.tensor2d(xGrad, [4, L]);
      const y = await take(d.apply(x, tGrad));
      x.dispose(); d.dispose();
      return { y };
    },
    compare(gpu, wasm) {
      const e = relMaxDiff(gpu.y as Float32Array, wasm.y as Float32Array);
      assert.ok(e <= TOL.grad, `ResMLP forward differs by ${e} of its scale`);
    },
  },
  {
    name: 'Unet1D gradients',
    async run() { const d = createDenoiser(denoiserPreset('small'), 4); const g = await grads(d, xGrad, tGrad); d.dispose(); return g; },
    compare: compareGrads,
  },
  {
    name: 'ResMLP gradients',
    async run() { const d = createDenoiser(denoiserPreset('resmlp-small'), 3); const g = await grads(d, xGrad, tGrad); d.dispose(); return g; },
    compare: compareGrads,
  },
  {
    name: 'trainDiffusion: 8 Adam steps with clipping, EMA and a checkpoint',
    async run() {
      const m = DiffusionModel.create(diffusionConfig(denoiserPreset('small'), 'official'), 1);
      const out = tmpDir('dbridge-webgpu-train-');
      const r = await trainDiffusion(m, z0, 48, { steps: 8, batchSize: 8, lr: 1e-3, clipGradNorm: 1, emaEvery: 1, emaAfterStep: 2, emaDecay: 0.9, logEvery: 4, checkpointEvery: 4, progress: false, outDir: out });
      m.dispose();
      const ck = loadCheckpoint(out);
      const cat = (w: Map<string, { data: unknown }>) => Float32Array.from([...w.values()].flatMap((a) => [...(a.data as Float32Array)]));
      return { loss: r.curve.map((p) => p.loss), gradNorm: r.curve.map((p) => p.gradNorm), weights: cat(ck.weights), ema: cat(ck.ema!) };
    },
    compare(gpu, wasm) {
      const lg = gpu.loss as number[], lw = wasm.loss as number[];
      console.log(`# train: loss ${lg.map((v) => v.toFixed(6))} (wasm ${lw.map((v) => v.toFixed(6))})`);
      assert.equal(lg.length, 2);
      lg.forEach((v, i) => assert.ok(Math.abs(v - lw[i]) <= TOL.trainLoss * lw[i], `window ${i}: loss ${v} vs ${lw[i]}`));
      (gpu.gradNorm as number[]).forEach((v, i) => assert.ok(Math.abs(v - (wasm.gradNorm as number[])[i]) <= TOL.trainLoss * v, `grad norm ${v}`));
      const dw = maxAbs(gpu.weights as Float32Array, wasm.weights as Float32Array), de = maxAbs(gpu.ema as Float32Array, wasm.ema as Float32Array);
      console.log(`# train: weights differ by ${dw.toExponential(2)}, EMA by ${de.toExponential(2)}`);
      assert.ok(dw <= TOL.trainWeights && de <= TOL.trainWeights, `weights ${dw}, ema ${de}`);
    },
  },
  ...([[600, 5], [400, 5]] as const).map(([M, S]) => ({
    name: `DDIM bridging M=${M} S=${S} vs the official fixture`,
    async run(): Promise<Host> {
      const m = officialSmall();
      const x = tf.tensor2d(f32('small_bridge_in.npy'), [16, L]);
      const pre = await take(bridge(m, x, { M, steps: S, normalizeOutput: false }));
      const fin = await take(m.bridge(x, { M, steps: S }));
      x.dispose(); m.dispose();
      return { pre, fin };
    },
    compare(gpu: Host) {
      const base = `small_bridge_M${M}_S${S}`;
      const dPre = maxAbs(gpu.pre as Float32Array, f32(`${base}_prenorm.npy`)), dFin = maxAbs(gpu.fin as Float32Array, f32(`${base}.npy`));
      console.log(`# bridge ${base}: prenorm ${dPre.toExponential(2)}, unit-norm ${dFin.toExponential(2)}`);
      assert.ok(dPre <= TOL.official && dFin <= TOL.official, `prenorm ${dPre}, output ${dFin}`);
    },
  })),
  {
    name: 'bridgeEmbeddings and augmentEmbeddings (host arrays, batches of 8)',
    async run() {
      const m = officialSmall();
      const bridged = await bridgeEmbeddings(m, raw, 20, L, mean, { M: 600, steps: 5, batchSize: 8 });
      const augmented = await augmentEmbeddings(m, raw, 20, L, mean, { A: 400, steps: 5, seed: 3, batchSize: 8 });
      m.dispose();
      return { bridged, augmented };
    },
    compare(gpu, wasm) {
      const b = maxAbs(gpu.bridged as Float32Array, wasm.bridged as Float32Array), a = maxAbs(gpu.augmented as Float32Array, wasm.augmented as Float32Array);
      console.log(`# bridgeEmbeddings ${b.toExponential(2)}, augmentEmbeddings ${a.toExponential(2)}`);
      assert.ok(b <= TOL.embeddings && a <= TOL.embeddings, `bridged ${b}, augmented ${a}`);
    },
  },
]);
