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
  denoiserParamsPerModule, unet1dParamSpecs, type Denoiser, type Unet1DConfig, type ResMLPConfig,
} from '../../lib/diffusion/denoisers/index.ts';
import { sinusoidalEmbedding, conv1dK, downsampleConv4, upsampleConv3, dense, normAffine, linearAttentionCore, groupedMatMul } from '../../lib/diffusion/denoisers/ops.ts';
import { conv1d } from '../../lib/nn/layers.ts';
import { registerFastWasmKernels } from '../../lib/nn/wasm-fast.ts';
import { denoiserCost } from '../../lib/diffusion/flops.ts';
import { Rng } from '../../lib/util/rng.ts';
import { setupBackend, assertNoLeak, maxAbsDiff, FIXTURES, tmpDir } from '../helpers.ts';
import { officialState, weightsEntry } from './official-weights.ts';
import { writeFileSync } from 'node:fs';

const DIR = join(FIXTURES, 'diffusion');
const manifest = JSON.parse((await import('node:fs')).readFileSync(join(DIR, 'manifest.json'), 'utf8'));

before(async () => { await setupBackend(); });


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
    const keys = manifest.files[weightsEntry(name)].state_dict_keys_in_order as [string, number[]][];
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

test('Unet1D: bad state dicts give clear DbridgeErrors', async () => {
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
  const w = await d.params.toHost(); w.delete('init_conv.bias');
  assert.throws(() => loadDenoiserWeights(d, w), (e: Error) => e instanceof DbridgeError && /lacks 1 parameter/.test(e.message));
  const x = tf.zeros([2, 32]) as tf.Tensor2D;
  assert.throws(() => d.apply(x, 3), (e: Error) => e instanceof DbridgeError && /expected \[B, 64\]/.test(e.message));
  assert.throws(() => createDenoiser({ ...cfg, length: 63 }, 0), (e: Error) => e instanceof DbridgeError && /divisible/.test(e.message));
  x.dispose(); d.dispose();
});

/** Central finite differences of loss(params) for a few elements of named parameters vs the analytic gradient. */
function fdCheck(d: Denoiser, names: string[], loss: () => tf.Scalar, perParam = 2, eps = 1e-2): void {
  const { loss: value, grads } = lossAndGrads(d.params, loss);
  value.dispose();
  const rng = new Rng(11);
  for (const name of names) {
    const v = d.params.get(name);
    const g = grads[name].dataSync();
    const base = v.dataSync().slice() as Float32Array;
    // the element with the largest gradient plus random ones, so that a wrong gradient cannot hide in a zero
    let imax = 0; for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[imax])) imax = i;
    const idx = [imax, ...Array.from({ length: perParam - 1 }, () => rng.int(base.length))];
    for (const i of idx) {
      const at = (delta: number) => {
        const p = base.slice(); p[i] += delta;
        tf.tidy(() => v.assign(tf.tensor(p, v.shape)));
        return tf.tidy(() => loss().dataSync()[0]);
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      assert.ok(Math.abs(fd - g[i]) <= 3e-2 * Math.max(1e-2, Math.abs(fd), Math.abs(g[i])), `${name}[${i}]: analytic ${g[i]} vs finite difference ${fd}`);
    }
  }
  tf.dispose(Object.values(grads));
}

function probeLoss(d: Denoiser, B: number, seed: number): { loss: () => tf.Scalar; dispose: () => void } {
  const L = d.config.length;
  const r = new Rng(seed);
  const x = tf.tensor2d(r.normals(B * L), [B, L]);
  const w = tf.tensor2d(r.normals(B * L), [B, L]);
  const t = tf.tensor1d(Array.from({ length: B }, (_, i) => [3, 400, 999, 120][i % 4]), 'int32');
  return { loss: () => tf.tidy(() => tf.sum(tf.mul(d.apply(x, t), w)) as tf.Scalar), dispose: () => tf.dispose([x, w, t]) };
}

test('Unet1D small: gradients match finite differences (conv, norm, FiLM, linear and full attention, up/down sampling)', () => {
  const d = loadOfficial('small');
  const probe = probeLoss(d, 2, 5);
  fdCheck(d, [
    'init_conv.weight', 'time_mlp.1.weight', 'downs.0.0.mlp.1.weight', 'downs.0.0.block1.proj.weight', 'downs.0.0.block1.norm.g',
    'downs.0.2.fn.fn.to_qkv.weight', 'downs.0.2.fn.norm.g', 'downs.0.3.weight', 'mid_attn.fn.fn.to_qkv.weight', 'mid_attn.fn.fn.to_out.bias',
    'ups.0.0.block1.proj.weight', 'ups.0.0.res_conv.weight', 'ups.0.2.fn.fn.to_out.1.g', 'ups.0.3.1.weight', 'ups.1.3.bias',
    'final_res_block.block2.proj.bias', 'final_conv.weight',
  ], probe.loss);
  probe.dispose();
  d.dispose();
});

test('Unet1D: a number timestep equals the same timestep as a tensor; apply and a gradient step leak no tensors', async () => {
  const d = createDenoiser(denoiserPreset('small'), 4);
  const x = tf.randomNormal([3, 64], 0, 1, 'float32', 2) as tf.Tensor2D;
  const tt = tf.tensor1d([250, 250, 250], 'int32');
  const a = await assertNoLeak(() => d.apply(x, 250), 'Unet1D.apply');
  const b = d.apply(x, tt);
  assert.equal(maxAbsDiff(a.dataSync(), b.dataSync()), 0);
  await assertNoLeak(() => {
    const { loss, grads } = lossAndGrads(d.params, () => tf.mean(tf.square(d.apply(x, tt))) as tf.Scalar);
    tf.dispose([loss, ...Object.values(grads)]);
  }, 'Unet1D gradient step');
  tf.dispose([x, tt, a, b]);
  d.dispose();
});

test('ResMLP: shapes, parameter count, gradients (finite differences), no leaks', async () => {
  const cfg = denoiserPreset('resmlp-small') as ResMLPConfig;
  const W = cfg.width, L = cfg.length;
  const expected = (cfg.timeDim * W + W) + (W * W + W) + (L * W + W) + cfg.blocks * ((W * 2 * W + 2 * W) + 2 * W + 2 * (W * W + W)) + 2 * W + (W * L + L);
  assert.equal(denoiserParamCount(cfg), expected);
  assert.equal(denoiserCost(denoiserPreset('resmlp')).params, 14_966_272);
  const d = createDenoiser(cfg, 0);
  assert.equal(d.params.count(), expected);
  const x = tf.randomNormal([5, L], 0, 1, 'float32', 3) as tf.Tensor2D;
  const y = await assertNoLeak(() => d.apply(x, 17), 'ResMLP.apply');
  assert.deepEqual(y.shape, [5, L]);
  // the time embedding matters
  const y2 = d.apply(x, 900);
  assert.ok(maxAbsDiff(y.dataSync(), y2.dataSync()) > 1e-3);
  await assertNoLeak(() => {
    const { loss, grads } = lossAndGrads(d.params, () => tf.mean(tf.square(d.apply(x, 3))) as tf.Scalar);
    for (const [k, g] of Object.entries(grads)) assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0, `zero gradient for ${k}`);
    tf.dispose([loss, ...Object.values(grads)]);
  }, 'ResMLP gradient step');
  const probe = probeLoss(d, 3, 9);
  fdCheck(d, ['time_mlp.0.weight', 'in_proj.weight', 'blocks.1.film.weight', 'blocks.1.norm.weight', 'blocks.2.fc2.bias', 'out_proj.weight'], probe.loss);
  probe.dispose();
  assert.throws(() => createDenoiser({ ...cfg, width: 0 }, 0), (e: Error) => e instanceof DbridgeError && /width must be a positive integer/.test(e.message));
  tf.dispose([x, y, y2]);
  d.dispose();
});

test('denoiserCost: paper config 0.3258 GMACs conv+linear and 0.685 GFLOPs per call (docs/spec.md §1.2)', () => {
  const c = denoiserCost(denoiserPreset('paper'));
  assert.equal(c.params, 4_037_313);
  assert.equal(c.macsConvLinear, 325_787_648);
  assert.ok(Math.abs(c.flopsTotal / 1e9 - 0.685) < 5e-4, `flopsTotal ${c.flopsTotal}`);
  assert.equal(c.macsPerModule.reduce((s, [, v]) => s + v, 0), c.macsConvLinear);
  const s = denoiserCost(denoiserPreset('small'));
  assert.equal(s.params, 53_073);
  assert.ok(s.macsConvLinear > 0 && s.macsAttention > 0);
});

test('sinusoidal time embedding follows the official float32 recipe', () => {
  const e = sinusoidalEmbedding([0, 999], 8);
  assert.deepEqual(Array.from(e.slice(0, 8)), [0, 0, 0, 0, 1, 1, 1, 1]);
  // k = 1 of dim 8: freq = exp(-ln(1e4)/3) in float32, angle = float32(999 * freq)
  const f = Math.fround(Math.exp(Math.fround(-Math.log(10000) / 3)));
  assert.equal(e[8 + 1], Math.fround(Math.sin(Math.fround(999 * f))));
});

test('lib/nn/wasm-fast: the replacement Slice and Identity kernels give the stock results', () => {
  registerFastWasmKernels();
  const r = new Rng(21);
  const x = tf.tensor(r.normals(3 * 5 * 7 * 4), [3, 5, 7, 4]);
  const xa = x.arraySync() as number[][][][];
  for (const [b, s] of [[[1, 2, 3, 1], [2, 2, 3, 2]], [[0, 0, 0, 0], [3, 5, 7, 4]], [[2, 0, 0, 0], [1, 5, 7, 4]], [[0, 1, 0, 2], [3, 3, 7, 2]], [[0, 1, 0, 0], [3, 3, 7, 4]], [[1, 0, 2, 0], [2, 5, 4, 4]], [[0, 4, 6, 3], [3, 1, 1, 1]]] as [number[], number[]][]) {
    const y = tf.slice(x, b, s);
    const ya = y.arraySync() as number[][][][];
    for (let i = 0; i < s[0]; i++) for (let j = 0; j < s[1]; j++) for (let k = 0; k < s[2]; k++) for (let l = 0; l < s[3]; l++) {
      assert.equal(ya[i][j][k][l], xa[b[0] + i][b[1] + j][b[2] + k][b[3] + l]);
    }
    y.dispose();
  }
  const c = tf.clone(x);
  x.dispose();
  assert.deepEqual(c.arraySync(), xa);
  c.dispose();
});

test('dbridge info: per-submodule table and JSON for a preset, an explicit shape and a checkpoint; clear errors', async () => {
  const { default: info } = await import('../../lib/cli/commands/info.ts');
  const { parseArgs } = await import('../../lib/cli/args.ts');
  const run = async (argv: string[]) => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
    try { await info.run(parseArgs(info, argv)); } finally { console.log = orig; }
    return lines.join('\n');
  };
  const table = await run(['--config', 'paper']);
  assert.match(table, /total\s+4,037,313\s+325,787,648/);
  assert.match(table, /total 0\.6851 GFLOPs/);
  const j = JSON.parse(await run(['--dim', '64', '--init-dim', '8', '--dim-mults', '1,2', '--length', '64', '--json']));
  assert.equal(j.params, 53073);
  const dir = tmpDir();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ denoiser: denoiserPreset('small') }));
  assert.equal(JSON.parse(await run(['--checkpoint', dir, '--json'])).params, 53073);
  await assert.rejects(run(['--config', 'nope']), (e: Error) => e instanceof DbridgeError && /unknown config 'nope'/.test(e.message));
  await assert.rejects(run(['--checkpoint', join(dir, 'missing')]), (e: Error) => e instanceof DbridgeError && /has no config.json/.test(e.message));
  await assert.rejects(run([]), (e: Error) => e instanceof DbridgeError && /exactly one of/.test(e.message));
});

test('denoiser ops: forward and gradients leak no tensors; conv1dK/downsample/upsample match lib/nn conv1d', async () => {
  const r = new Rng(31);
  const t = (shape: number[]) => tf.tensor(r.normals(shape.reduce((a, b) => a * b, 1)), shape);
  const x = t([2, 8, 3]), w3 = t([9, 5]), w4 = t([12, 5]), w1 = t([3, 5]), b = t([5]), f = t([2, 1, 3]), s = t([2, 1, 3]);
  const q = t([2, 8, 8]), k = t([2, 8, 8]), v = t([2, 8, 8]), ga = t([4, 3, 5]), gb = t([4, 5, 2]);
  const cases: [string, (...a: tf.Tensor[]) => tf.Tensor, tf.Tensor[]][] = [
    ['conv1dK', (a, ww, bb) => conv1dK(a, ww, bb, 3, 1), [x, w3, b]],
    ['downsampleConv4', (a, ww, bb) => downsampleConv4(a, ww, bb), [x, w4, b]],
    ['upsampleConv3', (a, ww, bb) => upsampleConv3(a, ww, bb), [x, w3, b]],
    ['dense', (a, ww, bb) => dense(a, ww, bb), [x, w1, b]],
    ['normAffine', (a, ff, ss) => normAffine(a, ff, ss, true), [x, f, s]],
    ['linearAttentionCore', (a, bb, c) => linearAttentionCore(a, bb, c, 2, 4), [q, k, v]],
    ['groupedMatMul', (a, bb) => groupedMatMul(a as tf.Tensor3D, bb as tf.Tensor3D), [ga, gb]],
  ];
  for (const [name, fn, inputs] of cases) {
    const y = await assertNoLeak(() => fn(...inputs), name);
    y.dispose();
    await assertNoLeak(() => tf.dispose(tf.grads((...a: tf.Tensor[]) => tf.sum(tf.sin(fn(...a))))(inputs)), `${name} gradient`);
  }
  const ref = (ww: tf.Tensor, kk: number, stride: 1 | 2) => conv1d(x, ww, b, kk, { pad: 1, stride });
  assert.ok(maxAbsDiff(conv1dK(x, w3, b, 3, 1).dataSync(), ref(w3, 3, 1).dataSync()) < 1e-5);
  assert.ok(maxAbsDiff(downsampleConv4(x, w4, b).dataSync(), ref(w4, 4, 2).dataSync()) < 1e-5);
  const up = tf.concat([x, x], 2).reshape([2, 16, 3]); // nearest x2
  assert.ok(maxAbsDiff(upsampleConv3(x, w3, b).dataSync(), conv1d(up, w3, b, 3, { pad: 1 }).dataSync()) < 1e-5);
  tf.dispose([x, w3, w4, w1, b, f, s, q, k, v, ga, gb, up]);
});
