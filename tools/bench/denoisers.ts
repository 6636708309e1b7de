// Speed benchmark of the bare denoisers (no diffusion loop): one forward call (apply) and one
// forward + backward (gradients of a mean-square loss over every parameter) per configuration and
// batch size. Reports the median wall time, the process CPU time per call (steadier than wall time
// on a shared machine: tfjs-wasm runs on one thread), calls/s and the wasm heap high-water mark.
// Random weights: speed does not depend on them. The diffusion-level figures (training step with
// Adam, bridging embeddings/s, peer ratios) are in tools/bench/diffusion.ts.
import { cpus, loadavg } from 'node:os';
import { tf } from '../../lib/tf.ts';
import { backendName } from '../../lib/backend.ts';
import { lossAndGrads } from '../../lib/nn/optim.ts';
import { createDenoiser, denoiserPreset } from '../../lib/diffusion/denoisers/index.ts';
import { denoiserCost } from '../../lib/diffusion/flops.ts';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (v: number, d = 4) => Number(v.toPrecision(d));
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

function heapMiB(): number | null {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  const n = b.wasm?.HEAPU8?.buffer.byteLength;
  return n === undefined ? null : round(n / 2 ** 20);
}

function measure(fn: () => void, reps: number): { wallMs: number; cpuMs: number } {
  fn(); // warm-up (kernel set-up, XNNPACK operator creation)
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = cpuMs(), t0 = performance.now();
    fn();
    wall.push(performance.now() - t0); cpu.push(cpuMs() - c0);
  }
  return { wallMs: round(median(wall)), cpuMs: round(median(cpu)) };
}

export async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const cases: { config: string; batch: number; backward: boolean }[] = opts.quick
    ? [{ config: 'small', batch: 64, backward: true }, { config: 'paper', batch: 8, backward: true }]
    : [
      { config: 'small', batch: 64, backward: true },
      { config: 'paper', batch: 1, backward: false },
      { config: 'paper', batch: 64, backward: true },
      { config: 'resmlp', batch: 64, backward: true },
    ];
  const reps = opts.quick ? 1 : 3;
  const rows: Record<string, unknown>[] = [];
  for (const c of cases) {
    const cfg = denoiserPreset(c.config);
    const d = createDenoiser(cfg, 0);
    const x = tf.randomNormal([c.batch, cfg.length], 0, 1, 'float32', 1) as tf.Tensor2D;
    const t = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => (i * 37) % 1000), 'int32');
    const fwd = measure(() => { const y = d.apply(x, t); y.dataSync(); y.dispose(); }, reps);
    let bwd: { wallMs: number; cpuMs: number } | null = null;
    if (c.backward) {
      bwd = measure(() => {
        const { loss, grads } = lossAndGrads(d.params, () => tf.mean(tf.square(d.apply(x, t))) as tf.Scalar);
        tf.dispose([loss, ...Object.values(grads)]);
      }, reps);
    }
    const cost = denoiserCost(cfg);
    rows.push({
      config: c.config, batch: c.batch, params: cost.params,
      forward: { ...fwd, rowsPerSecond: round((1000 * c.batch) / fwd.wallMs), gflopsPerSecondCpu: round((cost.flopsTotal * c.batch) / (fwd.cpuMs * 1e6)) },
      forwardBackward: bwd,
      wasmHeapPeakMiB: heapMiB(),
    });
    if (process.env.DBRIDGE_QUIET !== '1') process.stderr.write(`bench denoisers: ${JSON.stringify(rows[rows.length - 1])}\n`);
    tf.dispose([x, t]);
    d.dispose();
  }
  return { backend: backendName(), cores: cpus().length, loadAverage1m: round(loadavg()[0], 3), reps, cases: rows };
}
