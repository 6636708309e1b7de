// Trained or computed results are checked: weights holding NaN or Inf are refused on load (a
// diffusion checkpoint, a decoder, an imported state dict), computed outputs are checked before
// they are written, and zero-step training is an error, never a saved random initialisation.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../lib/io/safetensors.ts';
import { writeNpy } from '../../lib/io/npy.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DiffusionModel, diffusionConfig, trainDiffusion, denoiserPreset, bridgeEmbeddings } from '../../lib/diffusion/index.ts';
import { checkFiniteOutput } from '../../lib/cli/outputs.ts';
import { setupBackend, tmpDir } from '../helpers.ts';
import { captionFolder, cli, oneLine, smallBridgeSetup, tinyDecoderArgs, SMALL_UNET } from './fixtures.ts';

before(async () => { await setupBackend(); });

/** Puts `value` into the first float tensor of `file` (a checkpoint whose training diverged). */
function poison(file: string, value: number): string {
  const st = readSafetensors(file).tensors;
  const [name, a] = [...st].find(([, t]) => t.dtype === 'float32')!;
  (a.data as Float32Array)[3] = value;
  writeSafetensors(file, st, { format: 'dbridge' });
  return name;
}

test('bridge refuses a checkpoint whose weights hold NaN, naming the file and tensor; nothing is written', async () => {
  const { dir, ck, input, mean } = await smallBridgeSetup();
  const name = poison(join(ck, 'weights.safetensors'), NaN);
  const out = join(dir, 'y.npy');
  await assert.rejects(cli(['bridge', '--checkpoint', ck, '--input', input, '--mean', mean, '--M', '400', '--output', out]),
    oneLine(new RegExp(`weights\\.safetensors: tensor '${name.replace(/[.]/g, '\\.')}' holds NaN at index 3; the weights are not usable`)));
  assert.ok(!existsSync(out));
  assert.throws(() => DiffusionModel.load(ck), oneLine(/holds NaN/));
});

test('import-official refuses a state dict holding Inf; caption refuses a decoder holding NaN', async () => {
  const { dir } = await smallBridgeSetup();
  const { SMALL_STATE_DICT } = await import('./fixtures.ts');
  const bad = join(dir, 'bad.safetensors');
  writeSafetensors(bad, readSafetensors(SMALL_STATE_DICT).tensors);
  poison(bad, Infinity);
  await assert.rejects(cli(['import-official', '--state-dict', bad, ...SMALL_UNET, '--out', join(dir, 'ck2')]), oneLine(/bad\.safetensors: tensor .* holds Infinity/));
  assert.ok(!existsSync(join(dir, 'ck2', 'weights.safetensors')));
  const root = captionFolder();
  const dec = join(root, 'dec');
  await cli(tinyDecoderArgs(root, dec));
  poison(join(dec, 'weights.safetensors'), NaN);
  const out = join(root, 'caps.json');
  await assert.rejects(cli(['caption', '--decoder', dec, '--embeddings', join(root, 'train', 'image.npy'), '--output', out]), oneLine(/holds NaN/));
  assert.ok(!existsSync(out));
});

test('zero-step training is refused by the CLI and by the library; nothing is saved', async () => {
  const dir = tmpDir();
  const emb = join(dir, 'text.npy');
  writeNpy(emb, { dtype: 'float32', shape: [8, 16], data: new Rng(2).normals(128) });
  await assert.rejects(cli(['train-diffusion', '--embeddings', emb, '--config', 'smoke', '--out', join(dir, 'ck'), '--steps', '0']), oneLine(/--steps must be a positive integer, got 0/));
  await assert.rejects(cli(['train-diffusion', '--embeddings', emb, '--config', 'smoke', '--out', join(dir, 'ck'), '--steps=']), oneLine(/--steps: expected an integer/));
  const root = captionFolder();
  await assert.rejects(cli(tinyDecoderArgs(root, join(root, 'd'), [], '0')), oneLine(/--epochs must be a positive integer, got 0/));
  assert.ok(!existsSync(join(root, 'd')));
  await assert.rejects(cli(['train-encoder', '--world', root, '--out', join(dir, 'enc'), '--steps', '0']), oneLine(/--steps must be a positive integer/));
  const model = DiffusionModel.create(diffusionConfig({ ...denoiserPreset('resmlp-small'), length: 16 }), 0);
  try {
    await assert.rejects(trainDiffusion(model, new Rng(1).normals(8 * 16), 8, { steps: 0, outDir: join(dir, 'lib') }), oneLine(/steps must be a positive integer, got 0/));
  } finally { model.dispose(); }
  assert.ok(!existsSync(join(dir, 'ck')) && !existsSync(join(dir, 'lib', 'weights.safetensors')));
  assert.deepEqual(readdirSync(dir).sort(), ['text.npy']);
});

test('computed outputs are checked before writing; bridging takes at most one DDIM step per timestep', async () => {
  assert.throws(() => checkFiniteOutput(Float32Array.of(1, NaN), 'the bridged embeddings', 'check X'),
    oneLine(/the bridged embeddings contains NaN at flat index 1; nothing was written \(check X\)/));
  checkFiniteOutput(Float32Array.of(1, 2), 'x', 'y');
  const { ck, input, mean, dir } = await smallBridgeSetup();
  await assert.rejects(cli(['bridge', '--checkpoint', ck, '--input', input, '--mean', mean, '--M', '600', '--steps', '700', '--output', join(dir, 'y.npy')]),
    oneLine(/--steps 700 must be at most --M 600: DDIM takes at most one step per timestep/));
  const m = DiffusionModel.load(ck);
  try {
    await assert.rejects(bridgeEmbeddings(m, new Float32Array(64), 1, 64, null, { M: 3, steps: 5 }), oneLine(/the number of DDIM steps \(5\) must be at most M \(3\)/));
  } finally { m.dispose(); }
});
