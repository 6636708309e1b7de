// The DDIM bridging loop and the training loss against the official code, independently of the
// network: a replay denoiser returns the official network outputs call by call (fixture traces),
// and the inputs our loop gives it are compared with the inputs the official loop gave its
// network — this checks the time grid, the radius re-normalisation, ε from x̂0 and the DDIM update.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { toIntArray } from '../../lib/io/dtype.ts';
import { DiffusionModel, diffusionConfig, bridge, diffusionLossParts, type DdimTrace } from '../../lib/diffusion/index.ts';
import { FIXTURES, setupBackend, maxAbsDiff, assertNoLeak } from '../helpers.ts';
import { ReplayDenoiser } from './replay.ts';

before(async () => { await setupBackend(); });

const FX = join(FIXTURES, 'diffusion');
const f32 = (name: string) => readNpy(join(FX, name)).data as Float32Array;
const LEN = { paper: 512, small: 64 } as const;

function replayModel(cfg: 'paper' | 'small', outputs: Float32Array[]): { model: DiffusionModel; net: ReplayDenoiser } {
  const net = new ReplayDenoiser(LEN[cfg], outputs);
  return { model: new DiffusionModel(net, diffusionConfig(net.config, 'official')), net };
}

const runs: [number, number][] = [[600, 5], [400, 5], [600, 12]];
for (const cfg of ['small', 'paper'] as const) {
  for (const [M, S] of runs) {
    test(`DDIM bridging loop = official (replayed network), ${cfg} M=${M} S=${S}`, async () => {
      const L = LEN[cfg], B = 16;
      const base = `${cfg}_bridge_M${M}_S${S}`;
      const xin = f32(`${base}_trace_xin.npy`), x0 = f32(`${base}_trace_x0.npy`);
      const tRef = toIntArray(readNpy(join(FX, `${base}_trace_t.npy`)));
      const outputs = Array.from({ length: S }, (_, k) => x0.subarray(k * B * L, (k + 1) * B * L));
      const { model, net } = replayModel(cfg, outputs);
      const x = tf.tensor2d(f32(`${cfg}_bridge_in.npy`), [B, L]);
      const trace: DdimTrace = { t: [], xIn: [], predX0: [] };
      const y = await assertNoLeak(() => bridge(model, x, { M, steps: S, trace }), 'bridge');
      assert.deepEqual(trace.t, tRef);
      let worst = 0;
      for (let k = 0; k < S; k++) {
        assert.deepEqual(net.calls[k].t, new Array(B).fill(tRef[k]));
        worst = Math.max(worst, maxAbsDiff(net.calls[k].x, xin.subarray(k * B * L, (k + 1) * B * L)));
      }
      const dOut = maxAbsDiff(y.dataSync(), f32(`${base}.npy`));
      console.log(`# replay ${base}: max |x_in - official| over ${S} calls = ${worst.toExponential(2)}, final ${dOut.toExponential(2)}`);
      assert.ok(worst <= 1e-5, `network inputs differ by ${worst}`);
      assert.ok(dOut <= 1e-6, `final output differs by ${dOut}`);
      tf.dispose([x, y]);
    });
  }
}

for (const cfg of ['small', 'paper'] as const) {
  test(`training loss = official p_losses (replayed network), ${cfg}`, async () => {
    const L = LEN[cfg], B = 8;
    const ref = JSON.parse(readFileSync(join(FX, `${cfg}_loss.json`), 'utf8')) as { loss: number; loss_f64: number; t: number[] };
    const t = toIntArray(readNpy(join(FX, `${cfg}_loss_t.npy`)));
    assert.deepEqual(t, ref.t);
    const { model } = replayModel(cfg, [f32(`${cfg}_loss_model_out.npy`)]);
    const z0 = tf.tensor2d(f32(`${cfg}_loss_z0.npy`), [B, L]);
    const noise = tf.tensor2d(f32(`${cfg}_loss_noise.npy`), [B, L]);
    const parts = await assertNoLeak(() => diffusionLossParts(model, z0, t, noise, model.lossWeights), 'diffusionLossParts');
    const dIn = maxAbsDiff(parts.xIn.dataSync(), f32(`${cfg}_loss_model_in.npy`));
    const loss = parts.loss.dataSync()[0];
    console.log(`# replay loss ${cfg}: x_in diff ${dIn.toExponential(2)}, loss ${loss} vs ${ref.loss} (diff ${Math.abs(loss - ref.loss).toExponential(2)})`);
    assert.ok(dIn <= 1e-5, `network input differs by ${dIn}`);
    // two float32 ulps of the reference (the weighted mean sums in another order; 1.6 ulps at the old 870 with 1e-4)
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(ref.loss))) - 23);
    assert.ok(Math.abs(loss - ref.loss) <= 2 * ulp, `loss ${loss} vs ${ref.loss} (${Math.abs(loss - ref.loss) / ulp} ulps)`);
    tf.dispose([z0, noise, parts.loss, parts.xIn, parts.out]);
  });
}
