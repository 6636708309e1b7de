// The training harness's data parallelism (lib/train): the numbers depend on how a batch is cut
// into micro-batches, never on how many worker threads compute them (bit for bit), for all three
// trainers (the diffusion model, the decoder, the world encoder's coupled contrastive loss, with
// one or several parts per worker); with microBatch 0, k workers equal one thread whose
// micro-batches are the k shards; and a parallel run killed with SIGKILL resumes to the bytes of
// one that never stopped.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainDecoder } from '../../lib/decoder/index.ts';
import { generateWorld } from '../../lib/world/index.ts';
import { trainWorldEncoder } from '../../lib/world/encoder.ts';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import { Rng } from '../../lib/util/rng.ts';
import { setupBackend, tmpDir, maxAbsDiff } from '../helpers.ts';
import { trainSmall } from './fixtures.ts';

before(async () => { await setupBackend(); });

const bytes = (dir: string, f: string) => readFileSync(join(dir, f));
function sameFiles(a: string, b: string, files: string[]): void {
  for (const f of files) assert.ok(bytes(a, f).equals(bytes(b, f)), `${f} differs between ${a} and ${b}`);
}
function maxWeightDiff(a: string, b: string, f = 'weights.safetensors'): number {
  const A = readSafetensors(join(a, f)).tensors, B = readSafetensors(join(b, f)).tensors;
  let d = 0;
  for (const [k, v] of A) d = Math.max(d, maxAbsDiff(v.data as Float32Array, B.get(k)!.data as Float32Array));
  return d;
}

test('diffusion: 1, 2 and 3 workers give the same bits for the same micro-batches; close to one pass', async () => {
  const [one, two, three, shards, whole] = [tmpDir(), tmpDir(), tmpDir(), tmpDir(), tmpDir()];
  (await trainSmall({ outDir: one, steps: 3, microBatch: 2 })).dispose();
  (await trainSmall({ outDir: two, steps: 3, microBatch: 2, workers: 2 })).dispose();
  (await trainSmall({ outDir: three, steps: 3, microBatch: 2, workers: 3 })).dispose();
  (await trainSmall({ outDir: shards, steps: 3, microBatch: 0, workers: 2 })).dispose(); // microBatch 0: one shard of 4 rows per worker
  (await trainSmall({ outDir: whole, steps: 3 })).dispose();
  const files = ['weights.safetensors', 'optimizer.safetensors', 'ema.safetensors'];
  sameFiles(one, two, files);
  sameFiles(one, three, files);
  const four = tmpDir();
  (await trainSmall({ outDir: four, steps: 3, microBatch: 4 })).dispose();
  sameFiles(four, shards, files);
  const d = maxWeightDiff(one, whole);
  assert.ok(d < 1e-5, `micro-batched vs one pass: weights differ by ${d}`);
});

test('decoder: 2 workers == 1 thread with the same micro-batches, bit for bit (token-weighted loss)', async () => {
  const caps = ['A red circle on a white background.', 'Two blue squares next to each other.', 'a green triangle above a yellow star .',
    'There is a small pink diamond.', 'A big black cross on the left.', 'Three white stars on a dark background.'];
  const D = 16, emb = new Rng(5).normals(caps.length * D);
  const common = { embeddings: emb, dim: D, captions: caps, treatment: 'capdec' as const, epochs: 2, batchSize: 6, lr: 3e-3, warmup: 1,
    keepEpochs: false, quiet: true, lmOverrides: { nLayer: 1, nEmbd: 32, nHead: 2 }, prefixLength: 4 };
  const [one, two] = [tmpDir(), tmpDir()];
  await trainDecoder({ ...common, out: one, microBatch: 3 });
  await trainDecoder({ ...common, out: two, microBatch: 3, workers: 2 });
  sameFiles(join(one, 'resume'), join(two, 'resume'), ['weights.safetensors', 'optimizer.safetensors']);
});

test('world encoder (coupled contrastive loss): 2 workers == 1 thread in two phases, bit for bit, with one or two parts per worker; close to one pass', async () => {
  const world = join(tmpDir(), 'world');
  generateWorld({ scale: 'smoke', seed: 1, outDir: world, sizes: { pretrain: 48, train: 4, val: 4, test: 4 }, quiet: true });
  const arch = { dim: 16, width: 32, heads: 2, stemWidth: 16, imageLayers: 1, textLayers: 1 };
  const common = { worldDir: world, steps: 3, batchSize: 16, lr: 3e-3, arch, quiet: true, evalSplit: 'none', fixedTemperature: null };
  const [one, two, quarters, quartersTwo, whole] = [tmpDir(), tmpDir(), tmpDir(), tmpDir(), tmpDir()];
  await trainWorldEncoder({ ...common, outDir: one, microBatch: 8 });
  await trainWorldEncoder({ ...common, outDir: two, microBatch: 8, workers: 2 });
  await trainWorldEncoder({ ...common, outDir: quarters, microBatch: 4 });
  await trainWorldEncoder({ ...common, outDir: quartersTwo, microBatch: 4, workers: 2 });
  await trainWorldEncoder({ ...common, outDir: whole });
  sameFiles(one, two, ['weights.safetensors', 'optimizer.safetensors']);
  sameFiles(quarters, quartersTwo, ['weights.safetensors', 'optimizer.safetensors']);
  // Adam turns a rounding-level gradient difference in a near-zero component into up to ~lr of
  // weight: the bound is a tenth of one step (lr 3e-3), far below what a wrong gradient would give
  const d = maxWeightDiff(one, whole);
  assert.ok(d < 3e-4, `two phases vs one pass: weights differ by ${d}`);
});

/** Runs test/train/child-train.ts; resolves with its exit code and signal. */
function child(args: string[], onStart?: (kill: () => void) => void): Promise<{ code: number | null; signal: string | null }> {
  const script = fileURLToPath(new URL('./child-train.ts', import.meta.url));
  const p = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DBRIDGE_QUIET: '1' } });
  onStart?.(() => p.kill('SIGKILL'));
  return new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
}

test('a parallel run killed with SIGKILL resumes to the bytes of an uninterrupted one', async () => {
  const [straight, killed] = [tmpDir(), tmpDir()];
  const full = await child([straight, '8', '2']);
  assert.equal(full.code, 0);
  // kill the second run once its first checkpoint (step 2) is on disk, while it trains on
  const r = await child([killed, '8', '2'], (kill) => {
    const poll = setInterval(() => {
      if (!existsSync(join(killed, 'state.json'))) return;
      clearInterval(poll);
      kill();
    }, 20);
  });
  assert.equal(r.signal, 'SIGKILL', 'the run finished before it could be killed');
  const step = JSON.parse(readFileSync(join(killed, 'state.json'), 'utf8')).step;
  assert.ok(step >= 2 && step < 8, `killed at checkpoint step ${step}`);
  const resumed = await child([killed, '8', '2', 'resume']);
  assert.equal(resumed.code, 0);
  sameFiles(straight, killed, ['weights.safetensors', 'optimizer.safetensors', 'ema.safetensors', 'config.json']);
  const curve = (d: string) => JSON.parse(readFileSync(join(d, 'state.json'), 'utf8')).curve.map((p: { step: number; loss: number; gradNorm: number }) => [p.step, p.loss, p.gradNorm]);
  assert.deepEqual(curve(killed), curve(straight), 'the loss curve continues as if never interrupted');
});
