// Denoisers: Unet1D forward parity with the official PyTorch network (fixtures in
// test/fixtures/diffusion, see its README), parameter counts, state-dict import errors, gradient
// check against finite differences, ResMLP, and leak checks.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import { readNpy } from '../../lib/io/npy.ts';
import type { HostArray } from '../../lib/io/dtype.ts';
import { toFloat32, toIntArray } from '../../lib/io/dtype.ts';
import { lossAndGrads } from '../../lib/nn/optim.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import {
  createDenoiser, denoiserPreset, loadDenoiserWeights, unet1dFromTorchStateDict, denoiserParamCount,
  denoiserParamsPerModule, unet1dParamSpecs, type Denoiser, type Unet1DConfig,
} from '../../lib/diffusion/denoisers/index.ts';
import { setupBackend, assertNoLeak, maxAbsDiff, FIXTURES } from '../helpers.ts';

const DIR = join(FIXTURES, 'diffusion');
const manifest = JSON.parse((await import('node:fs')).readFileSync(join(DIR, 'manifest.json'), 'utf8'));

before(async () => { await setupBackend(); });

function officialState(name: string): Map<string, HostArray> {
  return readSafetensors(join(DIR, `unet1d_${name}.safetensors`)).tensors;
}

function loadOfficial(name: string): Denoiser {
  const cfg = denoiserPreset(name) as Unet1DConfig;
  const d = createDenoiser(cfg, 0);
  loadDenoiserWeights(d, unet1dFromTorchStateDict(officialState(name), cfg));
  return d;
}

function forwardError(d: Denoiser, name: string): number {
  const xin = readNpy(join(DIR, `${name}_forward_in.npy`));
  const t = toIntArray(readNpy(join(DIR, `${name}_forward_t.npy`)));
  const ref = toFloat32(readNpy(join(DIR, `${name}_forward_out.npy`)));
  const L = d.config.length;
  const x = tf.tensor2d(toFloat32(xin), [xin.shape[0], L]);
  const tt = tf.tensor1d(t, 'int32');
  const y = d.apply(x, tt);
  assert.deepEqual(y.shape, [xin.shape[0], L]);
  const err = maxAbsDiff(y.dataSync(), ref);
  tf.dispose([x, tt, y]);
  return err;
}

for (const name of ['small', 'paper']) {
  test(`Unet1D ${name}: forward matches the official network (<= 1e-4)`, () => {
    const d = loadOfficial(name);
    const err = forwardError(d, name);
    console.log(`# Unet1D ${name} forward max abs diff vs official float32: ${err.toExponential(2)}`);
    assert.ok(err <= 1e-4, `max abs diff ${err}`);
    d.dispose();
  });
}

test('Unet1D parameter counts, per-module counts and state-dict order match the official class', () => {
  for (const name of ['paper', 'small']) {
    const cfg = denoiserPreset(name);
    const meta = manifest.configs[name];
    assert.equal(denoiserParamCount(cfg), meta.num_parameters);
    assert.deepEqual(Object.fromEntries(denoiserParamsPerModule(cfg)), meta.parameters_per_top_module);
    const keys = manifest.files[`unet1d_${name}.safetensors`].state_dict_keys_in_order as [string, number[]][];
    assert.deepEqual(unet1dParamSpecs(cfg as Unet1DConfig).map((s) => [s.name, s.torchShape]), keys);
  }
  const d = createDenoiser(denoiserPreset('small'), 1);
  assert.equal(d.params.count(), 53073);
  d.dispose();
});

test('Unet1D: a Trainer1D state dict (model. prefix + schedule buffers) imports to the same weights', () => {
  const cfg = denoiserPreset('small') as Unet1DConfig;
  const plain = officialState('small');
  const trainer = new Map<string, HostArray>();
  for (const [k, v] of plain) trainer.set(`model.${k}`, v);
  for (const b of ['betas', 'alphas_cumprod', 'alphas_cumprod_prev', 'sqrt_alphas_cumprod', 'sqrt_one_minus_alphas_cumprod',
    'log_one_minus_alphas_cumprod', 'sqrt_recip_alphas_cumprod', 'sqrt_recipm1_alphas_cumprod', 'posterior_variance',
    'posterior_log_variance_clipped', 'posterior_mean_coef1', 'posterior_mean_coef2', 'loss_weight']) {
    trainer.set(b, { dtype: 'float32', shape: [1000], data: new Float32Array(1000) });
  }
  const a = unet1dFromTorchStateDict(plain, cfg), b = unet1dFromTorchStateDict(trainer, cfg);
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.deepEqual(b.get(k)!.data, v.data);
});

test('Unet1D: bad state dicts give clear DbridgeErrors', () => {
  const cfg = denoiserPreset('small') as Unet1DConfig;
  const base = officialState('small');
  const missing = new Map(base); missing.delete('mid_attn.fn.fn.to_out.bias');
  assert.throws(() => unet1dFromTorchStateDict(missing, cfg), (e: Error) => e instanceof DbridgeError && /1 key\(s\) missing, e.g. mid_attn.fn.fn.to_out.bias/.test(e.message));
  const extra = new Map(base); extra.set('foo.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
  assert.throws(() => unet1dFromTorchStateDict(extra, cfg), (e: Error) => e instanceof DbridgeError && /unexpected key\(s\), e.g. foo.weight/.test(e.message));
  const shaped = new Map(base); shaped.set('final_conv.weight', { dtype: 'float32', shape: [1, 4, 1], data: new Float32Array(4) });
  assert.throws(() => unet1dFromTorchStateDict(shaped, cfg), (e: Error) => e instanceof DbridgeError && /final_conv.weight has shape \[1,4,1\].*expects \[1,8,1\]/.test(e.message));
  const nan = new Map(base); nan.set('final_conv.bias', { dtype: 'float32', shape: [1], data: Float32Array.of(NaN) });
  assert.throws(() => unet1dFromTorchStateDict(nan, cfg), (e: Error) => e instanceof DbridgeError && /final_conv.bias contains NaN/.test(e.message));
  // the paper weights against the small config: every key is there but shapes differ or are unexpected
  assert.throws(() => unet1dFromTorchStateDict(officialState('small'), denoiserPreset('paper') as Unet1DConfig), DbridgeError);
  const d = createDenoiser(cfg, 0);
  const w = d.params.toHost(); w.delete('init_conv.bias');
  assert.throws(() => loadDenoiserWeights(d, w), (e: Error) => e instanceof DbridgeError && /lacks 1 parameter/.test(e.message));
  const x = tf.zeros([2, 32]) as tf.Tensor2D;
  assert.throws(() => d.apply(x, 3), (e: Error) => e instanceof DbridgeError && /expected \[B, 64\]/.test(e.message));
  assert.throws(() => createDenoiser({ ...cfg, length: 63 }, 0), (e: Error) => e instanceof DbridgeError && /divisible/.test(e.message));
  x.dispose(); d.dispose();
});
