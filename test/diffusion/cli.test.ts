// The diffusion commands end to end, in process: import-official on the small fixture, then
// `bridge` reproduces the official bridged file; `train-diffusion` with resume; clear errors for
// bad inputs (missing checkpoint, wrong dimension, NaN, truncated .npy, unknown option, mean flags).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.ts';
import { readNpy, writeNpy, encodeNpy } from '../../lib/io/npy.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DiffusionModel, bridgeEmbeddings } from '../../lib/diffusion/index.ts';
import { modalityMean } from '../../lib/embeddings/index.ts';
import { FIXTURES, setupBackend, maxAbsDiff, tmpDir } from '../helpers.ts';

before(async () => { await setupBackend(); });

const FX = join(FIXTURES, 'diffusion');
const dir = tmpDir();
const ck = join(dir, 'ck');
const SMALL = ['--dim', '64', '--init-dim', '8', '--dim-mults', '1,2', '--length', '64'];
const quietLog = async (argv: string[]) => {
  const log = console.log; const out: string[] = [];
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  try { await main(argv); } finally { console.log = log; }
  return out.join('\n');
};

test('import-official + bridge --preprocessed reproduce the official bridged embeddings (small)', async () => {
  const msg = await quietLog(['import-official', '--state-dict', join(FX, 'unet1d_small.safetensors'), ...SMALL, '--out', ck, '--quiet']);
  assert.match(msg, /53,073 parameters/);
  const cfg = JSON.parse(readFileSync(join(ck, 'config.json'), 'utf8'));
  assert.equal(cfg.denoiser.kind, 'unet1d'); assert.deepEqual(cfg.denoiser.dimMults, [1, 2]); assert.equal(cfg.source.kind, 'official-state-dict');
  const y = join(dir, 'y.npy');
  await quietLog(['bridge', '--checkpoint', ck, '--input', join(FX, 'small_bridge_in.npy'), '--preprocessed', '--M', '600', '--steps', '5', '--output', y, '--quiet']);
  const got = readNpy(y);
  assert.deepEqual(got.shape, [16, 64]); assert.equal(got.dtype, 'float32');
  const d = maxAbsDiff(got.data as Float32Array, readNpy(join(FX, 'small_bridge_M600_S5.npy')).data as Float32Array);
  console.log(`# CLI bridge small M600 S5 vs official: ${d.toExponential(2)}`);
  assert.ok(d <= 1e-4);
});

test('bridge --mean preprocesses raw embeddings (official [N,1,D] layout accepted)', async () => {
  const rng = new Rng(3);
  const raw = rng.normals(5 * 64), mean = modalityMean(rng.normals(40 * 64), 40, 64);
  writeNpy(join(dir, 'raw.npy'), { dtype: 'float32', shape: [5, 1, 64], data: raw });
  writeNpy(join(dir, 'mean.npy'), { dtype: 'float32', shape: [1, 64], data: mean });
  await quietLog(['bridge', '--checkpoint', ck, '--input', join(dir, 'raw.npy'), '--mean', join(dir, 'mean.npy'), '--M', '400', '--output', join(dir, 'y2.npy'), '--quiet']);
  const m = DiffusionModel.load(ck);
  const want = await bridgeEmbeddings(m, raw, 5, 64, mean, { M: 400, steps: 5 });
  m.dispose();
  assert.ok(maxAbsDiff(readNpy(join(dir, 'y2.npy')).data as Float32Array, want) < 1e-6);
});

test('bad inputs give one-line DbridgeErrors', async () => {
  const y = join(dir, 'bad-out.npy');
  const expect = async (argv: string[], re: RegExp) => {
    await assert.rejects(main([...argv, '--quiet']), (e: Error) => e instanceof DbridgeError && re.test(e.message) && !e.message.includes('\n'), argv.join(' '));
  };
  const inp = join(FX, 'small_bridge_in.npy');
  await expect(['bridge', '--checkpoint', join(dir, 'missing'), '--input', inp, '--preprocessed', '--output', y], /checkpoint folder not found/);
  await expect(['bridge', '--checkpoint', ck, '--input', inp, '--output', y], /give --mean/);
  await expect(['bridge', '--checkpoint', ck, '--input', inp, '--preprocessed', '--mean', 'x.npy', '--output', y], /--mean and --preprocessed exclude each other/);
  await expect(['bridge', '--checkpoint', ck, '--input', join(FX, 'paper_bridge_in.npy'), '--preprocessed', '--output', y], /dimension is 512, expected 64/);
  const nan = new Float32Array(2 * 64); nan[70] = NaN;
  writeNpy(join(dir, 'nan.npy'), { dtype: 'float32', shape: [2, 64], data: nan });
  await expect(['bridge', '--checkpoint', ck, '--input', join(dir, 'nan.npy'), '--preprocessed', '--output', y], /row 1, column 6 is NaN/);
  const bytes = encodeNpy({ dtype: 'float32', shape: [4, 64], data: new Float32Array(256) });
  writeFileSync(join(dir, 'trunc.npy'), bytes.subarray(0, bytes.length - 10));
  await expect(['bridge', '--checkpoint', ck, '--input', join(dir, 'trunc.npy'), '--preprocessed', '--output', y], /truncated/);
  await expect(['bridge', '--checkpoint', ck, '--input', inp, '--preprocessed', '--output', y, '--stepz', '3'], /unknown option --stepz/);
  await expect(['bridge', '--checkpoint', ck, '--input', inp, '--mean', join(FX, 'paper_bridge_in.npy'), '--output', y], /mean must have 64 values/);
  await expect(['bridge', '--checkpoint', ck, '--input', inp, '--preprocessed', '--M', '1200', '--output', y], /M must be an integer in \[1, 1000\]/);
  await expect(['import-official', '--state-dict', join(FX, 'unet1d_small.safetensors'), '--out', join(dir, 'ck2')], /does not fit Unet1D/);
  await expect(['import-official', '--state-dict', join(dir, 'model.pt'), '--out', join(dir, 'ck2')], /expected a .safetensors file/);
  await expect(['train-diffusion', '--embeddings', inp, '--config', 'giant', '--out', join(dir, 't0')], /unknown diffusion config 'giant'/);
  assert.ok(!existsSync(y));
});

test('train-diffusion: smoke config, text mean saved, checkpoint, resume', async () => {
  const rng = new Rng(8);
  const text = rng.normals(24 * 64).map((v, i) => v + (i % 64 === 0 ? 3 : 0));
  writeNpy(join(dir, 'text.npy'), { dtype: 'float32', shape: [24, 64], data: text });
  const out = join(dir, 'trained');
  const args = ['train-diffusion', '--embeddings', join(dir, 'text.npy'), '--config', 'smoke', '--out', out, '--batch-size', '4', '--quiet'];
  const msg = await quietLog([...args, '--steps', '3']);
  assert.match(msg, /trained steps 0 -> 3/);
  const mean = readNpy(join(out, 'text_mean.npy')).data as Float32Array;
  assert.ok(maxAbsDiff(mean, modalityMean(text, 24, 64)) < 1e-7);
  await assert.rejects(main([...args, '--steps', '5']), /pass --resume/);
  const msg2 = await quietLog([...args, '--steps', '5', '--resume']);
  assert.match(msg2, /trained steps 3 -> 5/);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(cfg.textMean, 'text_mean.npy'); assert.equal(cfg.variant, 'official'); assert.equal(cfg.train.batchSize, 4);
  assert.equal(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).step, 5);
  assert.equal(JSON.parse(readFileSync(join(out, 'loss_curve.json'), 'utf8')).points.at(-1).step, 5);
  assert.ok(maxAbsDiff(DiffusionModel.textMeanOf(out)!, mean) === 0);
  // the trained folder bridges
  copyFileSync(join(out, 'text_mean.npy'), join(dir, 'tm.npy'));
  await quietLog(['bridge', '--checkpoint', out, '--input', join(dir, 'text.npy'), '--mean', join(dir, 'tm.npy'), '--M', '100', '--steps', '2', '--output', join(dir, 'tb.npy'), '--quiet']);
  assert.deepEqual(readNpy(join(dir, 'tb.npy')).shape, [24, 64]);
});

test('--help for the three commands', async () => {
  for (const c of ['import-official', 'bridge', 'train-diffusion']) {
    const h = await quietLog([c, '--help']);
    assert.match(h, new RegExp(`dbridge ${c}`));
  }
});
