// Speed benchmark of the diffusion model (issue 2): training step time (paper config batch 64 and
// the small config), bridging throughput in embeddings/s (paper config, M = 600, 5 DDIM steps,
// requests of 1, 64 and 1024 embeddings; also the small config), peak tensor memory, and the
// same figures of the peer (the official PyTorch code on the project's 2-core machine kind,
// test/fixtures/diffusion/PEER.md) with our/peer ratios. Random weights: speed does not depend on them.
// Requests larger than `subBatch` rows are bridged in sub-batches (bridgeEmbeddings), because
// the wasm heap cannot hold the paper network's activations for 1024 rows at once; long runs are
// time-capped and say how many rows they measured.
import { loadavg, cpus } from 'node:os';

const cores = () => cpus().length;
import { tf } from '../../lib/tf.ts';
import { backendName } from '../../lib/backend.ts';
import { Adam } from '../../lib/nn/optim.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DENOISER_PRESETS } from '../../lib/diffusion/denoisers/index.ts';
import { DiffusionModel, diffusionConfig, bridgeEmbeddings, optimizerStep, PAPER_TRAIN } from '../../lib/diffusion/index.ts';
import { preprocessRows } from '../../lib/embeddings/preprocess.ts';

/** The peer's figures (PEER.md, 2 torch threads, the project's 2-vCPU machine kind). */
export const PEER = {
  source: 'test/fixtures/diffusion/PEER.md (official code, PyTorch 2.13 CPU, 2 threads)',
  paper: { trainStepBatch64Seconds: 1.91, bridgeEmbPerSecond: { 1: 7.6, 64: 19.7, 1024: 6.9 } },
  small: { trainStepBatch64Seconds: 0.097, bridgeEmbPerSecond: { 1: 29.6, 64: 338.1, 1024: 457.7 } },
} as const;

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round = (v: number, d = 4) => Number(v.toPrecision(d));

function sphere(rng: Rng, n: number, L: number): Float32Array {
  return preprocessRows(rng.normals(n * L), n, L, new Float32Array(L));
}

/**
 * Memory high-water marks: the wasm heap only grows, so its size is the peak of tensor memory so
 * far in this process (null on other backends); RSS is the process's resident size now.
 */
function memoryNow(): { wasmHeapPeakMiB: number | null; rssMiB: number } {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  const heap = b.wasm?.HEAPU8?.buffer.byteLength;
  return { wasmHeapPeakMiB: heap === undefined ? null : round(heap / 2 ** 20), rssMiB: round(process.memoryUsage().rss / 2 ** 20) };
}

function log(msg: string): void {
  if (process.env.DBRIDGE_QUIET !== '1') process.stderr.write(`bench diffusion: ${msg}\n`);
}

async function trainStep(cfg: 'paper' | 'small', batch: number, microBatch: number, reps: number) {
  const model = DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS[cfg]), 'official'), 0);
  const L = model.length, T = model.schedule.T;
  const opt = new Adam(model.denoiser.params, { lr: PAPER_TRAIN.lr, beta1: 0.9, beta2: 0.99, clipGradNorm: 1 });
  const rng = new Rng(1);
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const x0 = sphere(rng, batch, L), noise = rng.normals(batch * L);
    const t = Array.from({ length: batch }, () => rng.int(T));
    const t0 = performance.now();
    optimizerStep(model, opt, x0, noise, t, PAPER_TRAIN.lr, microBatch);
    const s = (performance.now() - t0) / 1000;
    if (i > 0) times.push(s); // step 0 is the warm-up
    log(`train ${cfg} batch ${batch} (micro-batch ${microBatch || batch}) step ${i}: ${s.toFixed(3)} s${i === 0 ? ' (warm-up)' : ''}`);
  }
  opt.dispose();
  model.dispose();
  return { seconds: round(median(times)), reps: times.length, microBatch: microBatch || batch, ...memoryNow() };
}

async function bridgeThroughput(model: DiffusionModel, rows: number, subBatch: number, maxSeconds: number, reps: number, workers = 1) {
  const rng = new Rng(2);
  const L = model.length;
  const x = sphere(rng, rows, L);
  // warm-up on one sub-batch
  await bridgeEmbeddings(model, x.subarray(0, Math.min(rows, subBatch) * L), Math.min(rows, subBatch), L, null, { M: 600, steps: 5, batchSize: subBatch });
  const rates: number[] = [];
  let measured = rows;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    let done = 0;
    while (done < rows) {
      const n = Math.min(subBatch, rows - done);
      await bridgeEmbeddings(model, x.subarray(done * L, (done + n) * L), n, L, null, { M: 600, steps: 5, batchSize: subBatch, workers });
      done += n;
      if ((performance.now() - t0) / 1000 > maxSeconds) break;
    }
    measured = done;
    rates.push(done / ((performance.now() - t0) / 1000));
    if ((performance.now() - t0) / 1000 > maxSeconds) break;
  }
  const mem = memoryNow();
  return { embPerSecond: round(median(rates)), rowsMeasured: measured, subBatch: Math.min(rows, subBatch), reps: rates.length, ...mem };
}

export async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const q = opts.quick;
  const out: Record<string, unknown> = { backend: backendName(), peer: PEER, loadAverageAtStart: loadavg().map((v) => round(v, 3)), cores: cpus().length };
  const ratio = (ours: number, peer: number) => round(ours / peer, 3);

  // Order: small before paper (the wasm heap high-water mark then tells each config's peak).
  const bridging: Record<string, unknown> = { note: 'bridgeEmbeddings on preprocessed inputs, M = 600, 5 DDIM steps, unit-norm output; requests above subBatch rows run in sub-batches; median over reps after a warm-up sub-batch' };
  const train: Record<string, unknown> = {
    note: 'one optimiser step: loss (x0 objective, radius re-normalisation, SNR weights) + backward + Adam(0.9, 0.99) with clipping 1.0; median after one warm-up step; the paper config in micro-batches of 16 (gradients summed) because 64 rows of its activations do not fit the wasm heap',
  };
  for (const cfg of ['small', 'paper'] as const) {
    const model = DiffusionModel.create(diffusionConfig(structuredClone(DENOISER_PRESETS[cfg]), 'official'), 0);
    const res: Record<string, unknown> = {};
    for (const rows of [1, 64, 1024] as const) {
      const sub = cfg === 'paper' ? 64 : 1024;
      const cap = cfg === 'paper' ? (q ? 20 : rows === 1024 ? 240 : 150) : (q ? 10 : 60);
      const reps = rows === 1 ? (q ? 2 : 5) : q ? 1 : 2;
      const r = await bridgeThroughput(model, rows, sub, cap, reps);
      const peer = PEER[cfg].bridgeEmbPerSecond[rows];
      res[`batch${rows}`] = { ...r, peerEmbPerSecond: peer, oursOverPeer: ratio(r.embPerSecond, peer), target: cfg === 'paper' ? 'at least the peer' : undefined };
      log(`bridge ${cfg} batch ${rows}: ${r.embPerSecond} emb/s over ${r.rowsMeasured} rows (peer ${peer})`);
    }
    // data-parallel over worker threads (one model copy per core): requests of 1024 rows, processed
    // in chunks of workers x subBatch rows so the time cap can stop it
    const k = cores();
    if (k > 1) {
      const sub = cfg === 'paper' ? 64 : 1024;
      const r = await bridgeThroughput(model, 1024, sub * k, cfg === 'paper' ? (q ? 30 : 300) : q ? 20 : 60, 1, k);
      const peer = PEER[cfg].bridgeEmbPerSecond[1024];
      res[`batch1024Workers${k}`] = { ...r, workers: k, peerEmbPerSecond: peer, oursOverPeer: ratio(r.embPerSecond, peer), note: 'includes worker start-up (model copy per worker)' };
      log(`bridge ${cfg} batch 1024 with ${k} workers: ${r.embPerSecond} emb/s over ${r.rowsMeasured} rows (peer ${peer})`);
    }
    bridging[cfg] = res;
    model.dispose();
    const tr = await trainStep(cfg, 64, cfg === 'paper' ? PAPER_TRAIN.microBatch : 0, cfg === 'paper' ? (q ? 1 : 3) : q ? 2 : 10);
    const peerT = PEER[cfg].trainStepBatch64Seconds;
    train[`${cfg}Batch64`] = { ...tr, peerSeconds: peerT, oursOverPeer: ratio(tr.seconds, peerT), target: cfg === 'paper' ? 'within 2x of the peer' : undefined };
    log(`train ${cfg} batch 64: ${tr.seconds} s/step (peer ${peerT})`);
  }
  out.train = train;
  out.bridging = bridging;
  out.loadAverageAtEnd = loadavg().map((v) => round(v, 3));
  out.caveat = 'figures from a shared machine move with its load (see loadAverage*); compare ratios measured in one run';
  const mem = process.memoryUsage();
  out.process = { rssMiB: round(mem.rss / 2 ** 20), arrayBuffersMiB: round(mem.arrayBuffers / 2 ** 20), tfTensorMiB: round(tf.memory().numBytes / 2 ** 20) };
  return out;
}
