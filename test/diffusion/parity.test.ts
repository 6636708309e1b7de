// End-to-end parity with the official code: the project's Unet1D with the fixture weights inside
// the DiffusionModel (official variant): DDIM bridging outputs (unit-norm and pre-norm) and the
// training loss vs the official float32 files, for the small config (torch-initialised weights
// from a safetensors file) and the paper config (synthetic weights rebuilt from their spec).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { toIntArray } from '../../lib/io/dtype.ts';
import { DiffusionModel, diffusionConfig, bridge } from '../../lib/diffusion/index.ts';
import { createDenoiser, loadDenoiserWeights, unet1dFromTorchStateDict, DENOISER_PRESETS, type Unet1DConfig } from '../../lib/diffusion/denoisers/index.ts';
import { FIXTURES, setupBackend, maxAbsDiff, assertNoLeak } from '../helpers.ts';
import { officialState } from './official-weights.ts';

before(async () => { await setupBackend(); });

const FX = join(FIXTURES, 'diffusion');
const f32 = (name: string) => readNpy(join(FX, name)).data as Float32Array;

function officialModel(cfg: 'small' | 'paper'): DiffusionModel {
  const config = structuredClone(DENOISER_PRESETS[cfg]) as Unet1DConfig;
  const weights = unet1dFromTorchStateDict(officialState(cfg), config);
  const net = createDenoiser(config, 0);
  loadDenoiserWeights(net, weights, 'fixture');
  return new DiffusionModel(net, diffusionConfig(config, 'official'));
}

const cases: ['small' | 'paper', number, number][] = [
  ['small', 600, 5], ['small', 400, 5], ['small', 600, 12], ['paper', 600, 5],
];
const models = new Map<string, DiffusionModel>();
const get = (c: 'small' | 'paper') => { if (!models.has(c)) models.set(c, officialModel(c)); return models.get(c)!; };

for (const [cfg, M, S] of cases) {
  test(`bridging with Unet1D = official, ${cfg} M=${M} S=${S} (batch 16)`, async () => {
    const model = get(cfg);
    const L = model.length;
    const x = tf.tensor2d(f32(`${cfg}_bridge_in.npy`), [16, L]);
    const base = `${cfg}_bridge_M${M}_S${S}`;
    const pre = await assertNoLeak(() => bridge(model, x, { M, steps: S, normalizeOutput: false }), 'bridge prenorm');
    const fin = await assertNoLeak(() => model.bridge(x, { M, steps: S }), 'DiffusionModel.bridge');
    const dPre = maxAbsDiff(pre.dataSync(), f32(`${base}_prenorm.npy`));
    const dFin = maxAbsDiff(fin.dataSync(), f32(`${base}.npy`));
    console.log(`# parity ${base}: prenorm ${dPre.toExponential(2)}, unit-norm output ${dFin.toExponential(2)}`);
    assert.ok(dPre <= 1e-4, `prenorm differs by ${dPre}`);
    assert.ok(dFin <= 1e-4, `output differs by ${dFin}`);
    tf.dispose([x, pre, fin]);
  });
}

for (const cfg of ['small', 'paper'] as const) {
  test(`training loss with Unet1D = official p_losses, ${cfg}`, async () => {
    const model = get(cfg);
    const L = model.length;
    const ref = JSON.parse(readFileSync(join(FX, `${cfg}_loss.json`), 'utf8')) as { loss: number };
    const t = toIntArray(readNpy(join(FX, `${cfg}_loss_t.npy`)));
    const z0 = tf.tensor2d(f32(`${cfg}_loss_z0.npy`), [8, L]);
    const noise = tf.tensor2d(f32(`${cfg}_loss_noise.npy`), [8, L]);
    const loss = await assertNoLeak(() => model.loss(z0, t, noise), 'DiffusionModel.loss');
    const v = loss.dataSync()[0];
    const d = Math.abs(v - ref.loss);
    console.log(`# parity loss ${cfg}: ${v} vs official ${ref.loss}: abs ${d.toExponential(2)}, rel ${(d / ref.loss).toExponential(2)}`);
    assert.ok(d / ref.loss <= 1e-6, `loss ${v} vs ${ref.loss}`);
    tf.dispose([z0, noise, loss]);
  });
}

test('dispose models', () => { for (const m of models.values()) m.dispose(); assert.ok(true); });
