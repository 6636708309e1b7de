// Schedules and the DDIM time grid against the official fixtures (float64 ᾱ and betas within
// 1e-7 — in fact ~1e-16 —, float32 buffers exactly, and every (M, S) of ddim_network_times.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../lib/io/npy.ts';
import { toFloat64 } from '../../lib/io/dtype.ts';
import { makeSchedule, lossWeights, cosineBetas, linearBetas, linspace64, snr } from '../../lib/diffusion/schedule.ts';
import { ddimTimes, ddimTimePairs, ddimNetworkTimes } from '../../lib/diffusion/timesteps.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { FIXTURES, maxAbsDiff } from '../helpers.ts';

const FX = join(FIXTURES, 'diffusion');
const fx = (name: string) => toFloat64(readNpy(join(FX, name)));

test('cosine schedule (T=1000, s=0.008) equals the official float64 values', () => {
  const s = makeSchedule({ timesteps: 1000, kind: 'cosine' });
  const dA = maxAbsDiff(s.alphasCumprod64, fx('schedule_cosine_T1000.npy'));
  const dB = maxAbsDiff(s.betas64, fx('schedule_cosine_T1000_betas.npy'));
  assert.ok(dA <= 1e-7 && dB <= 1e-7, `alphas_cumprod ${dA}, betas ${dB}`);
  assert.ok(dA < 1e-14 && dB < 1e-14, `float64 agreement should be to rounding: ${dA}, ${dB}`);
  assert.equal(s.betas64[999], 0.999);
  assert.ok(Math.abs(s.betas64[0] - 4.128e-5) < 1e-7);
});

test('float32 buffers equal the official ones bit for bit', () => {
  const s = makeSchedule({ timesteps: 1000, kind: 'cosine' });
  const pairs: [keyof typeof s.f32, string][] = [
    ['betas', 'betas'], ['alphasCumprod', 'alphas_cumprod'], ['sqrtAlphasCumprod', 'sqrt_alphas_cumprod'],
    ['sqrtOneMinusAlphasCumprod', 'sqrt_one_minus_alphas_cumprod'], ['sqrtRecipAlphasCumprod', 'sqrt_recip_alphas_cumprod'],
    ['sqrtRecipm1AlphasCumprod', 'sqrt_recipm1_alphas_cumprod'],
  ];
  for (const [mine, theirs] of pairs) {
    const want = readNpy(join(FX, `schedule_f32_${theirs}.npy`));
    assert.equal(want.dtype, 'float32');
    assert.equal(maxAbsDiff(s.f32[mine], want.data as Float32Array), 0, theirs);
  }
  const lw = lossWeights(s, 'pred_x0');
  assert.equal(maxAbsDiff(lw, readNpy(join(FX, 'schedule_f32_loss_weight.npy')).data as Float32Array), 0, 'loss_weight');
  assert.ok(Math.abs(lw[0] - 24221.33) < 0.01);
});

test('loss weights per objective and min-SNR', () => {
  const s = makeSchedule({ timesteps: 1000, kind: 'cosine' });
  const r = snr(s);
  assert.ok(lossWeights(s, 'pred_noise').every((v) => v === 1));
  const v = lossWeights(s, 'pred_v');
  assert.ok(Math.abs(v[500] - r[500] / (r[500] + 1)) < 1e-6);
  const m = lossWeights(s, 'pred_x0', { minSnrGamma: 5 });
  assert.equal(m[0], 5);
  assert.ok(Math.abs(m[900] - r[900]) < 1e-6);
  const mn = lossWeights(s, 'pred_noise', { minSnrGamma: 5 });
  assert.ok(Math.abs(mn[0] - 5 / r[0]) < 1e-9 && mn[900] === 1);
  assert.throws(() => lossWeights(s, 'pred_y' as never), DbridgeError);
});

test('linear schedule and torch.linspace', () => {
  const b = linearBetas(1000);
  assert.equal(b.length, 1000);
  assert.equal(b[0], 0.0001);
  assert.equal(b[999], 0.02);
  assert.ok(Math.abs(b[500] - (0.0001 + 500 * (0.02 - 0.0001) / 999)) < 1e-17);
  assert.deepEqual(Array.from(linspace64(0, 4, 5)), [0, 1, 2, 3, 4]);
  const s = makeSchedule({ timesteps: 200, kind: 'linear' });
  assert.ok(s.alphasCumprod64[199] > 0 && s.alphasCumprod64[199] < s.alphasCumprod64[0]);
  assert.equal(cosineBetas(50).length, 50);
  assert.throws(() => makeSchedule({ timesteps: 0, kind: 'cosine' }), DbridgeError);
  assert.throws(() => makeSchedule({ timesteps: 10, kind: 'sigmoid' as never }), /unknown beta schedule/);
});

test('DDIM time grid equals the official one for every (M, S) of the reference grid', () => {
  const ref = JSON.parse(readFileSync(join(FX, 'ddim_network_times.json'), 'utf8')) as { times: Record<string, number[]> };
  let n = 0;
  for (const [key, want] of Object.entries(ref.times)) {
    const [, M, S] = /^M(\d+)_S(\d+)$/.exec(key)!.map(Number);
    assert.deepEqual(ddimNetworkTimes(M, S), want, key);
    n++;
  }
  assert.ok(n > 100, `only ${n} grid entries`);
  assert.deepEqual(ddimTimePairs(600, 5), [[599, 479], [479, 359], [359, 239], [239, 119], [119, -1]]);
  assert.deepEqual(ddimTimes(400, 5), [399, 319, 239, 159, 79, -1]);
  assert.deepEqual(ddimNetworkTimes(600, 12), [599, 549, 499, 449, 399, 349, 299, 249, 199, 149, 99, 49]);
  assert.throws(() => ddimTimes(0, 5), DbridgeError);
  assert.throws(() => ddimTimes(600, 0), DbridgeError);
  assert.throws(() => ddimTimes(600, 2.5), DbridgeError);
});
