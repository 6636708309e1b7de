// The one-command GPU check (bundled by tools/gpu/build-carry.sh, run by tools/gpu/device-run.sh on
// a lent GPU machine, or rehearsed on lavapipe): prints the WebGPU adapter, a checksum of a fixed
// workload (small Unet1D forward, two Adam steps with clipping, DDIM bridging) computed on the
// `cpu` backend and on `webgpu` with their largest differences, then the GPU benchmark
// (tools/bench/gpu.ts) with the official PyTorch code as the peer, as one JSON object on stdout
// and in --out. Exits 1 when there is no adapter or the checksums disagree.
//   node check.mjs [--reduced] [--no-peer] [--no-bench] [--out FILE]
// --no-bench stops after the checksum (a first try of a machine: seconds on a GPU, ~3 min on lavapipe).
import { writeFileSync } from 'node:fs';
import { tf } from '../../lib/tf.ts';
import { initBackend, backendDevice } from '../../lib/backend.ts';
import { Adam } from '../../lib/nn/optim.ts';
import { Rng } from '../../lib/util/rng.ts';
import { provenance } from '../../lib/util/provenance.ts';
import { preprocessRows } from '../../lib/embeddings/preprocess.ts';
import { DENOISER_PRESETS } from '../../lib/diffusion/denoisers/index.ts';
import { DiffusionModel, diffusionConfig, optimizerStep, bridgeEmbeddings } from '../../lib/diffusion/index.ts';
import { runGpuBench, FULL, REDUCED } from '../bench/gpu.ts';

/** Largest tolerated |webgpu - cpu| per part (float32, different summation orders); the loss relative (SNR weights make it ~1e3). */
const TOL = { forward: 1e-4, lossRelative: 1e-5, weights: 1e-5, bridged: 1e-4 };

interface Workload { forward: Float32Array; loss: number[]; weights: Float32Array; bridged: Float32Array }

/** The fixed workload on the active backend (seeded weights and inputs, host-side draws). */
async function workload(): Promise<Workload> {
  const model = DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS.small), 'official'), 7);
  const L = model.length, B = 8;
  const rng = new Rng(11);
  const x = preprocessRows(rng.normals(B * L), B, L, new Float32Array(L));
  const t = Int32Array.from({ length: B }, (_, i) => (i * 131) % 1000);
  const xt = tf.tensor2d(x, [B, L]);
  const y = model.denoiser.apply(xt, t);
  const forward = (await y.data()) as Float32Array;
  tf.dispose([xt, y]);
  const opt = new Adam(model.denoiser.params, { lr: 1e-3, beta1: 0.9, beta2: 0.99, clipGradNorm: 1 });
  const loss: number[] = [];
  for (let s = 0; s < 2; s++) {
    const r = optimizerStep(model, opt, x, rng.normals(B * L), [...t], 1e-3);
    loss.push((await r.loss.data())[0]);
    tf.dispose([r.loss, r.gradNorm]);
  }
  opt.dispose();
  const weights = Float32Array.from([...(await model.denoiser.params.toHost()).values()].flatMap((a) => [...(a.data as Float32Array)]));
  const bridged = await bridgeEmbeddings(model, x, B, L, null, { M: 600, steps: 5, batchSize: B });
  model.dispose();
  return { forward, loss, weights, bridged };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => { let d = 0; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i])); return d; };
const checksum = (w: Workload) => [w.forward, w.loss, w.weights, w.bridged].reduce((s, a) => s + Array.from(a).reduce((u, v) => u + Math.abs(v), 0), 0);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const reduced = argv.includes('--reduced'), peer = !argv.includes('--no-peer'), bench = !argv.includes('--no-bench');
  const outIdx = argv.indexOf('--out');
  const outFile = outIdx >= 0 ? argv[outIdx + 1] : null;
  const result: Record<string, unknown> = { check: 'dbridge GPU check (issue 13)' };
  const emit = (code: number) => {
    const text = JSON.stringify(result, null, 1);
    if (outFile) writeFileSync(outFile, text + '\n');
    process.stdout.write(text + '\n');
    return code;
  };

  await initBackend('cpu', { quiet: true });
  const cpu = await workload();
  try {
    await initBackend('webgpu', { quiet: true, switch: true });
  } catch (e) {
    result.adapter = null;
    result.error = (e as Error).message;
    result.hint = 'no WebGPU adapter: check VK_DRIVER_FILES (NVIDIA: /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json) and that libvulkan.so.1 is found';
    return emit(1);
  }
  result.adapter = backendDevice();
  process.stderr.write(`gpu check: adapter ${result.adapter}\n`);
  const gpu = await workload();
  const diff = {
    forward: maxAbs(gpu.forward, cpu.forward), lossRelative: Math.max(...gpu.loss.map((v, i) => Math.abs(v - cpu.loss[i]) / Math.abs(cpu.loss[i]))),
    weights: maxAbs(gpu.weights, cpu.weights), bridged: maxAbs(gpu.bridged, cpu.bridged),
  };
  const ok = (Object.keys(TOL) as (keyof typeof TOL)[]).every((k) => diff[k] <= TOL[k]);
  result.checksum = { workload: 'small Unet1D (seed 7): forward of 8 rows, 2 Adam steps with clipping, DDIM bridging M=600 S=5', cpu: checksum(cpu), webgpu: checksum(gpu), maxAbsDiff: diff, tolerance: TOL, ok };
  process.stderr.write(`gpu check: checksum cpu ${checksum(cpu)} webgpu ${checksum(gpu)} ${ok ? 'agree' : 'DISAGREE'}\n`);
  result.provenance = provenance('webgpu');
  result.bench = bench ? await runGpuBench(reduced ? REDUCED : FULL, { peer }) : 'not run (--no-bench)';
  return emit(ok ? 0 : 1);
}

main().then((code) => process.exit(code), (e) => { process.stderr.write(`gpu check failed: ${(e as Error).stack}\n`); process.exit(1); });
