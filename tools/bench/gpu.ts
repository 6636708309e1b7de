// GPU benchmark (issue 13), meant for `dbridge bench --only gpu --backend webgpu` and the one-command
// GPU check (tools/gpu/): on the active backend, the paper Unet1D training step at batch 64,
// bridging throughput at requests of 1 / 64 / 1024 embeddings (M = 600, 5 DDIM steps), diffusion
// augmentation of 100k captions (A = 400, 5 steps), and the GPT-2-small-shape caption decoder's
// training tokens/s (full 50257 vocabulary, ClipCap mapper, AdamW). With `--quick` (or on a
// software adapter such as lavapipe) every size is reduced: a check of the harness, not a speed
// figure. The official PyTorch code runs as the peer on the same machine (its GPU when torch sees
// one) when a Python with torch and the official code are found (tools/gpu/peer.py); otherwise the
// peer is reported unavailable. Every step is timed up to an awaited read of its result, so queued
// GPU work is inside the measurement. Random weights and inputs: speed does not depend on them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../../lib/tf.ts';
import { backendName, backendDevice } from '../../lib/backend.ts';
import { Adam, lossAndGrads } from '../../lib/nn/index.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DENOISER_PRESETS } from '../../lib/diffusion/denoisers/index.ts';
import { DiffusionModel, diffusionConfig, bridgeEmbeddings, augmentEmbeddings, optimizerStep, PAPER_TRAIN } from '../../lib/diffusion/index.ts';
import { preprocessRows } from '../../lib/embeddings/preprocess.ts';
import { createDecoder, captionLoss, normalizeRows, gpt2Encode } from '../../lib/decoder/index.ts';
import { worldCaptions } from './decoder.ts';

/** The sizes of one run: `full` is what the issue asks for; `reduced` checks the harness on a software adapter. */
export interface GpuBenchSizes {
  label: 'full' | 'reduced';
  trainBatch: number;
  trainReps: number;
  bridgeRequests: number[];
  bridgeReps: number;
  augmentRows: number;
  augmentBatch: number;
  /** GPT-2 layers (12 = GPT-2 small) and captions per training step. */
  decoderLayers: number;
  decoderBatch: number;
  decoderReps: number;
}

export const FULL: GpuBenchSizes = {
  label: 'full', trainBatch: 64, trainReps: 10, bridgeRequests: [1, 64, 1024], bridgeReps: 3,
  augmentRows: 100_000, augmentBatch: 4096, decoderLayers: 12, decoderBatch: 40, decoderReps: 5,
};

export const REDUCED: GpuBenchSizes = {
  label: 'reduced', trainBatch: 4, trainReps: 2, bridgeRequests: [1, 4, 16], bridgeReps: 1,
  augmentRows: 64, augmentBatch: 32, decoderLayers: 1, decoderBatch: 4, decoderReps: 2,
};

const M = 600, STEPS = 5, A = 400;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (v: number, d = 4) => Number(v.toPrecision(d));
const log = (msg: string) => { if (process.env.DBRIDGE_QUIET !== '1') process.stderr.write(`bench gpu: ${msg}\n`); };

function sphere(rng: Rng, n: number, L: number): Float32Array {
  return preprocessRows(rng.normals(n * L), n, L, new Float32Array(L));
}

const paperModel = () => DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS.paper), 'official'), 0);

/** Paper Unet1D: one optimiser step (loss, backward, Adam with clipping) on a whole batch; median after a warm-up step. */
async function trainStep(s: GpuBenchSizes) {
  const model = paperModel();
  const L = model.length, T = model.schedule.T, B = s.trainBatch;
  const opt = new Adam(model.denoiser.params, { lr: PAPER_TRAIN.lr, beta1: PAPER_TRAIN.beta1, beta2: PAPER_TRAIN.beta2, clipGradNorm: PAPER_TRAIN.clipGradNorm });
  const rng = new Rng(1);
  const times: number[] = [];
  try {
    for (let i = 0; i <= s.trainReps; i++) {
      const x0 = sphere(rng, B, L), noise = rng.normals(B * L), t = Array.from({ length: B }, () => rng.int(T));
      const t0 = performance.now();
      const { loss, gradNorm } = optimizerStep(model, opt, x0, noise, t, PAPER_TRAIN.lr);
      await loss.data();
      tf.dispose([loss, gradNorm]);
      const sec = (performance.now() - t0) / 1000;
      if (i > 0) times.push(sec);
      log(`train paper batch ${B} step ${i}: ${sec.toFixed(3)} s${i === 0 ? ' (warm-up, shader compiles)' : ''}`);
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  const sec = median(times);
  return { batch: B, secondsPerStep: round(sec), stepsPerSecond: round(1 / sec), reps: times.length };
}

/** Bridging a request of `rows` preprocessed embeddings in one batch; median embeddings/s after a warm-up call. */
async function bridging(model: DiffusionModel, rows: number, reps: number) {
  const L = model.length;
  const x = sphere(new Rng(2), rows, L);
  await bridgeEmbeddings(model, x, rows, L, null, { M, steps: STEPS, batchSize: rows });
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await bridgeEmbeddings(model, x, rows, L, null, { M, steps: STEPS, batchSize: rows });
    rates.push(rows / ((performance.now() - t0) / 1000));
  }
  return { request: rows, embPerSecond: round(median(rates)), reps: rates.length };
}

/** Diffusion augmentation of `augmentRows` text embeddings (raw, preprocessed with a text mean), in batches. */
async function augmentation(model: DiffusionModel, s: GpuBenchSizes) {
  const L = model.length, n = s.augmentRows;
  const rng = new Rng(3);
  const raw = rng.normals(n * L), mean = rng.normals(L);
  await augmentEmbeddings(model, raw.subarray(0, Math.min(n, s.augmentBatch) * L), Math.min(n, s.augmentBatch), L, mean, { A, steps: STEPS, seed: 0, batchSize: s.augmentBatch });
  const t0 = performance.now();
  await augmentEmbeddings(model, raw, n, L, mean, { A, steps: STEPS, seed: 0, batchSize: s.augmentBatch });
  const sec = (performance.now() - t0) / 1000;
  return { captions: n, batchSize: s.augmentBatch, seconds: round(sec), captionsPerSecond: round(n / sec) };
}

/** GPT-2-small-shape decoder (ClipCap MLP mapper from 512-d, full vocabulary): one AdamW step per batch of captions. */
async function decoderTraining(s: GpuBenchSizes) {
  const decoder = createDecoder({ inputDim: 512, lm: 'small', lmOverrides: { nLayer: s.decoderLayers }, vocab: null, treatment: 'augmented', seed: 0 });
  const optim = new Adam(decoder.params, { lr: 1e-4, weightDecay: 0.01 });
  const ids = worldCaptions(s.decoderBatch * (s.decoderReps + 1)).map((c) => gpt2Encode(c));
  const rng = new Rng(4);
  let tokens = 0, wall = 0;
  try {
    for (let i = 0; i <= s.decoderReps; i++) {
      const ex = ids.slice(i * s.decoderBatch, (i + 1) * s.decoderBatch);
      const x = tf.tensor2d(normalizeRows(rng.normals(ex.length * 512), 512), [ex.length, 512]);
      const t0 = performance.now();
      const { loss, grads } = lossAndGrads(decoder.params, () => captionLoss(decoder, x, ex));
      const norm = optim.apply(grads);
      await loss.data();
      tf.dispose([loss, norm, x, ...Object.values(grads)]);
      const sec = (performance.now() - t0) / 1000;
      log(`decoder step ${i}: ${sec.toFixed(3)} s${i === 0 ? ' (warm-up)' : ''}`);
      if (i > 0) { wall += sec; tokens += ex.reduce((a, e) => a + e.length, 0); }
    }
  } finally {
    optim.dispose();
    decoder.dispose();
  }
  return {
    shape: s.decoderLayers === 12 ? 'GPT-2 small (12 x 768, 12 heads), vocabulary 50257, ClipCap MLP 512 -> 3840 -> 7680 (prefix 10)' : `GPT-2 small widths, ${s.decoderLayers} layer(s)`,
    batch: s.decoderBatch, tokensPerSecond: round(tokens / wall), secondsPerStep: round(wall / s.decoderReps), reps: s.decoderReps,
  };
}

const here = dirname(fileURLToPath(import.meta.url));

/** A Python with torch, and the official code's root: env DBRIDGE_PEER_PYTHON / DBRIDGE_OFFICIAL, else the project machine's defaults. */
function peerSetup(): { python: string; official: string; script: string } | { unavailable: string } {
  const script = [join(here, '..', 'gpu', 'peer.py'), join(process.cwd(), 'tools', 'gpu', 'peer.py')].find(existsSync);
  if (!script) return { unavailable: 'tools/gpu/peer.py not found' };
  const official = [process.env.DBRIDGE_OFFICIAL, '/work/official'].find((p): p is string => !!p && existsSync(p));
  if (!official) return { unavailable: 'the official code was not found (set DBRIDGE_OFFICIAL to a work tree of the official repository)' };
  for (const python of [process.env.DBRIDGE_PEER_PYTHON, '/work/venv/bin/python', 'python3'].filter((p): p is string => !!p)) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
      return { python, official, script };
    } catch { /* next */ }
  }
  return { unavailable: 'no Python with torch (set DBRIDGE_PEER_PYTHON)' };
}

/** Runs the official PyTorch code on the same sizes (tools/gpu/peer.py); its JSON, or why not. */
export function runPeer(s: GpuBenchSizes): Record<string, unknown> {
  const p = peerSetup();
  if ('unavailable' in p) return { unavailable: p.unavailable };
  const out = join(mkdtempSync(join(tmpdir(), 'dbridge-peer-')), 'peer.json');
  const args = [p.script, '--official', p.official, '--out', out, '--train-batch', String(s.trainBatch), '--train-reps', String(s.trainReps),
    '--bridge', s.bridgeRequests.join(','), '--bridge-reps', String(s.bridgeReps), '--augment-rows', String(s.augmentRows),
    '--augment-batch', String(s.augmentBatch), '--decoder-layers', String(s.decoderLayers), '--decoder-batch', String(s.decoderBatch), '--decoder-reps', String(s.decoderReps)];
  try {
    execFileSync(p.python, args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 20 * 60 * 1000 });
    return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    return { unavailable: `the peer failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** The benchmark at the given sizes; `peer` false skips the official code. */
export async function runGpuBench(s: GpuBenchSizes, opts: { peer?: boolean } = {}): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { backend: backendName(), adapter: backendDevice(), sizes: s };
  const t0 = performance.now();
  out.train = await trainStep(s);
  const model = paperModel();
  try {
    const bridge: Record<string, unknown> = {};
    for (const rows of s.bridgeRequests) {
      const r = await bridging(model, rows, s.bridgeReps);
      bridge[`batch${rows}`] = r;
      log(`bridge paper batch ${rows}: ${r.embPerSecond} emb/s`);
    }
    out.bridging = { M, steps: STEPS, ...bridge };
    out.augmentation = { A, steps: STEPS, ...(await augmentation(model, s)) };
    log(`augmentation: ${JSON.stringify(out.augmentation)}`);
  } finally {
    model.dispose();
  }
  out.decoder = await decoderTraining(s);
  out.seconds = round((performance.now() - t0) / 1000);
  out.peer = opts.peer === false ? { unavailable: 'not asked for' } : runPeer(s);
  return out;
}

/** `dbridge bench --only gpu`: full sizes, or reduced with --quick; the full sizes only on a GPU backend. */
export async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  if (!opts.quick && ['wasm', 'cpu'].includes(backendName())) {
    return { unavailable: `the gpu area measures a GPU backend at the issue's sizes (hours on ${backendName()}, and GPT-2 small with its full vocabulary does not fit the wasm heap): run it with --backend webgpu, or --quick for reduced sizes` };
  }
  const sizes = opts.quick ? REDUCED : FULL;
  const r = await runGpuBench(sizes);
  const software = /llvmpipe|lavapipe|swiftshader/i.test(String(backendDevice() ?? ''));
  return {
    ...r,
    note: software ? 'software adapter (lavapipe): a check of the harness, not GPU speed' : sizes.label === 'reduced' ? 'reduced sizes (--quick): a check of the harness' : 'the sizes of issue 13',
  };
}
