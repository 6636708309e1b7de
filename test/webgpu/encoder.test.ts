// The built-in world's dual encoder on webgpu (over lavapipe in CI): encoder training (InfoNCE,
// AdamW with clipping, a checkpoint mid-run) and embedding a world with `dbridge embed` (images and
// captions through the trained encoder, per-split .npy files and means), against wasm. Both backends
// embed with the wasm run's checkpoint, so the embeddings compare the forward pass alone; the weights
// each backend trained are compared separately (their drift is training's, not the forward's).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { generateWorld } from '../../lib/world/index.ts';
import { trainWorldEncoder } from '../../lib/world/encoder.ts';
import { main } from '../../lib/cli/main.ts';
import { tmpDir } from '../helpers.ts';
import { webgpuSuite, maxAbs, relL2 } from './harness.ts';

/** Tolerances (webgpu vs wasm, float32). */
const TOL = {
  /** InfoNCE loss after 12 steps, relative */
  loss: 1e-4,
  /**
   * weights after 12 AdamW steps, ||Δ|| / ||w|| (see relL2). Attention key biases have a zero
   * gradient (softmax ignores a per-row shift), so their rounding noise steers Adam by ±lr per step
   * differently on each backend: measured 4.8e-5 relative on lavapipe (max |Δ| 4.9e-4 = ~lr);
   * a wrong update rule moves this to 1e-2 and more.
   */
  weights: 2e-4,
  /** unit-norm embeddings of one checkpoint, max |Δ| */
  embeddings: 1e-4,
};

const world = join(tmpDir('dbridge-webgpu-world-'), 'world');
generateWorld({ scale: 'smoke', seed: 1, outDir: world, sizes: { pretrain: 64, train: 6, val: 4, test: 4 }, quiet: true });
const arch = { dim: 16, width: 32, heads: 2, stemWidth: 16, imageLayers: 1, textLayers: 1 };

/** The checkpoint the wasm run trained (wasm runs first): both backends embed with it. */
let wasmEncoder: string | null = null;

const flat = (m: Map<string, { data: unknown }>) => Float32Array.from([...m.keys()].sort().flatMap((k) => [...(m.get(k)!.data as Float32Array)]));

webgpuSuite([
  {
    name: 'world encoder: 12 training steps (checkpoint at 10) and embedding the world',
    async run() {
      const enc = join(tmpDir('dbridge-webgpu-enc-'), 'enc');
      const r = await trainWorldEncoder({ worldDir: world, outDir: enc, steps: 12, batchSize: 16, arch, quiet: true, evalSplit: 'none', checkpointEvery: 10 });
      wasmEncoder ??= enc;
      const emb = join(tmpDir('dbridge-webgpu-emb-'), 'emb');
      await main(['embed', '--encoder', wasmEncoder, '--world', world, '--out', emb, '--quiet', '--batch-size', '4']);
      const read = (f: string) => readNpy(join(emb, f)).data as Float32Array;
      return {
        loss: r.loss, logitScale: r.logitScale, weights: flat(readSafetensors(join(enc, 'weights.safetensors')).tensors),
        trainText: read('train/text.npy'), trainImage: read('train/image.npy'), testImage: read('test/image.npy'),
      };
    },
    compare(gpu, wasm) {
      console.log(`# encoder: loss ${gpu.loss} (wasm ${wasm.loss})`);
      assert.ok(Math.abs((gpu.loss as number) - (wasm.loss as number)) <= TOL.loss * Math.abs(wasm.loss as number), `loss ${gpu.loss} vs ${wasm.loss}`);
      assert.equal(gpu.logitScale, wasm.logitScale);
      const dw = relL2(gpu.weights as Float32Array, wasm.weights as Float32Array);
      const de = Math.max(...(['trainText', 'trainImage', 'testImage'] as const).map((k) => maxAbs(gpu[k] as Float32Array, wasm[k] as Float32Array)));
      console.log(`# encoder: weights differ by ${dw.toExponential(2)} (relative L2; max |Δ| ${maxAbs(gpu.weights as Float32Array, wasm.weights as Float32Array).toExponential(2)}), embeddings by ${de.toExponential(2)}`);
      assert.ok(dw <= TOL.weights, `weights differ by ${dw}`);
      assert.ok(de <= TOL.embeddings, `embeddings differ by ${de}`);
    },
  },
]);
