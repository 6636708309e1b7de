// The caption decoder on webgpu (over lavapipe in CI): GPT-2 logits and greedy decoding with the
// KV cache against the Hugging Face reference (test/fixtures/gpt2_tiny), and text-only decoder
// training (trainDecoder: AdamW, warm-up, val loss, checkpoint) plus greedy and beam captioning
// against wasm.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { Rng } from '../../lib/util/rng.ts';
import { loadHfGpt2, greedyFromEmbeds, trainDecoder, loadDecoder, generate, applyTestTreatment } from '../../lib/decoder/index.ts';
import { tmpDir } from '../helpers.ts';
import { GPT2_FIX, V, ref, cols, checkRows } from '../decoder/gpt2-reference.ts';
import { webgpuSuite, maxAbs, relL2, take } from './harness.ts';

/** Tolerances (webgpu vs the HF reference / wasm, float32). */
const TOL = {
  /** logits against transformers: the wasm suite's bound */
  reference: 1e-4,
  /** decoder training: per-epoch mean train loss and val loss, relative */
  trainLoss: 1e-4,
  /** weights after 6 AdamW steps at lr 3e-3, ||Δ|| / ||w|| (relL2: GPT-2's attention key bias has a zero gradient; see encoder.test.ts) */
  weights: 1e-4,
};

const CAPS = [
  'A red circle on a white background.',
  'Two blue squares next to each other.',
  'a green triangle above a yellow star .',
  'There is a small pink diamond.',
];
const D = 16;
const EMB = new Rng(5).normals(CAPS.length * D);
const TEXT_MEAN = new Rng(6).normals(D).map((v) => 0.1 * v);

webgpuSuite([
  {
    name: 'GPT-2 logits (valid positions) vs transformers',
    async run() {
      const m = loadHfGpt2(GPT2_FIX);
      const ids = ref('input_ids');
      const logits = await take(tf.tidy(() => m.logits(m.forwardEmbeds(m.embedTokens(tf.tensor(ids.data as Int32Array, ids.shape, 'int32'))))));
      m.params.dispose();
      const valid = new Float32Array(cols.valid_flat_rows.length * V);
      cols.valid_flat_rows.forEach((r, i) => valid.set(logits.subarray(r * V, (r + 1) * V), i * V));
      return { valid };
    },
    compare(gpu) {
      const d = checkRows('logits_valid', gpu.valid as Float32Array, TOL.reference);
      console.log(`# GPT-2 logits vs transformers: ${d.toExponential(2)}`);
    },
  },
  {
    name: 'GPT-2 greedy decoding with the KV cache vs transformers',
    async run() {
      const m = loadHfGpt2(GPT2_FIX);
      const prefix = tf.tensor(ref('prefix_embeds').data as Float32Array, [1, 10, 64]);
      const g = await greedyFromEmbeds(m, prefix, 10, { keepLogits: true });
      prefix.dispose(); m.params.dispose();
      const steps = new Float32Array(10 * V);
      g.stepLogits.forEach((s, i) => steps.set(s, i * V));
      return { ids: g.ids[0], steps };
    },
    compare(gpu) {
      assert.deepEqual(gpu.ids, [...(ref('greedy_ids').data as Int32Array)]);
      const d = checkRows('greedy_step_logits', gpu.steps as Float32Array, TOL.reference);
      console.log(`# greedy step logits vs transformers: ${d.toExponential(2)}`);
    },
  },
  {
    name: 'trainDecoder (augmented, AdamW, warm-up, val loss) then greedy and beam captions',
    async run() {
      const out = tmpDir('dbridge-webgpu-dec-');
      const res = await trainDecoder({
        embeddings: EMB, dim: D, captions: CAPS, treatment: 'augmented', out, lmOverrides: { nLayer: 1, nEmbd: 32, nHead: 2 }, prefixLength: 4,
        epochs: 3, batchSize: 2, lr: 3e-3, warmup: 1, keepEpochs: false, quiet: true, val: { embeddings: EMB, captions: CAPS }, textMean: TEXT_MEAN,
      });
      const dec = loadDecoder(out);
      const x = await applyTestTreatment(EMB, D, { treatment: 'raw' });
      const greedy = await generate(dec, x, { maxTokens: 8, stopAtPeriod: false });
      const beam = await generate(dec, x, { method: 'beam', beamSize: 3, maxTokens: 8, stopAtPeriod: false });
      const weights = Float32Array.from([...(await dec.params.toHost()).values()].flatMap((a) => [...(a.data as Float32Array)]));
      dec.dispose();
      return {
        train: res.history.map((h) => h.trainLoss), val: res.history.map((h) => h.valLoss ?? NaN),
        greedy: greedy.ids, beam: beam.ids, weights,
      };
    },
    compare(gpu, wasm) {
      console.log(`# decoder: train loss ${(gpu.train as number[]).map((v) => v.toFixed(5))} (wasm ${(wasm.train as number[]).map((v) => v.toFixed(5))})`);
      for (const k of ['train', 'val'] as const) {
        (gpu[k] as number[]).forEach((v, i) => assert.ok(Math.abs(v - (wasm[k] as number[])[i]) <= TOL.trainLoss * Math.abs((wasm[k] as number[])[i]), `${k} loss, epoch ${i + 1}: ${v} vs ${(wasm[k] as number[])[i]}`));
      }
      const dw = relL2(gpu.weights as Float32Array, wasm.weights as Float32Array);
      console.log(`# decoder: weights differ by ${dw.toExponential(2)} (relative L2; max |Δ| ${maxAbs(gpu.weights as Float32Array, wasm.weights as Float32Array).toExponential(2)})`);
      assert.ok(dw <= TOL.weights, `weights differ by ${dw}`);
      assert.deepEqual(gpu.greedy, wasm.greedy, 'greedy ids');
      assert.deepEqual(gpu.beam, wasm.beam, 'beam ids');
    },
  },
]);
