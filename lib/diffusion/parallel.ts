// Data-parallel bridging/augmentation over worker threads: tfjs-wasm is single-threaded in Node,
// so a machine with k cores can run k model copies. The rows are split into contiguous chunks, one
// per worker (workers/bridge-worker.ts, loaded through tsx); each worker rebuilds the model from
// its config and weights on the parent's backend. Per-row results do not depend on the split
// (augmentation noise is keyed by the global row index).
import { Worker } from 'node:worker_threads';
import { tf } from '../tf.ts';
import { backendName } from '../backend.ts';
import { DbridgeError } from '../util/errors.ts';
import type { DiffusionCore } from './core.ts';
import type { DiffusionConfig } from './model.ts';
import type { AugmentEmbeddingsOptions, BridgeEmbeddingsOptions } from './host.ts';
import type { WorkerTask } from './workers/bridge-worker.ts';

const ENTRY = new URL('./workers/bridge-worker.mjs', import.meta.url);

export async function runInWorkers(core: DiffusionCore, kind: 'bridge' | 'augment', x: Float32Array, n: number, d: number,
  opts: BridgeEmbeddingsOptions | AugmentEmbeddingsOptions): Promise<Float32Array> {
  const k = Math.min(opts.workers ?? 1, n);
  if (!Number.isInteger(k) || k < 1) throw new DbridgeError(`workers must be a positive integer, got ${opts.workers}`);
  const config = (core as unknown as { config?: DiffusionConfig }).config;
  if (!config?.denoiser) throw new DbridgeError('parallel bridging needs a DiffusionModel (config + weights)');
  const weights = [...(await core.denoiser.params.toHost())].map(([name, a]) => [name, { ...a, data: (a.data as Float32Array).slice() }] as const);
  const backend = backendName();
  if (backend === 'webgpu') throw new DbridgeError('workers > 1 splits rows over CPU threads, each with its own model copy; on webgpu use one worker (the GPU runs the whole batch: raise the batch size instead)');
  void tf;
  const out = new Float32Array(n * d);
  const jobs: Promise<void>[] = [];
  for (let w = 0; w < k; w++) {
    const start = Math.floor((w * n) / k), end = Math.floor(((w + 1) * n) / k);
    if (end <= start) continue;
    const rows = end - start;
    const task: WorkerTask = {
      backend, config, weights: weights as WorkerTask['weights'], kind, n: rows, d,
      x: x.slice(start * d, end * d),
      opts: kind === 'augment' ? { ...opts, rowOffset: ((opts as AugmentEmbeddingsOptions).rowOffset ?? 0) + start } : { ...opts },
    };
    jobs.push(new Promise<void>((resolve, reject) => {
      const worker = new Worker(ENTRY, { workerData: task, env: { ...process.env, DBRIDGE_QUIET: '1' } });
      let settled = false;
      worker.on('message', (m: { ok: boolean; y?: Float32Array; message?: string; name?: string }) => {
        settled = true;
        if (m.ok) { out.set(m.y!, start * d); resolve(); }
        else reject(m.name === 'DbridgeError' ? new DbridgeError(`worker ${w}: ${m.message}`) : new Error(`bridging worker ${w} failed: ${m.message}`));
        void worker.terminate();
      });
      worker.on('error', (e) => { if (!settled) { settled = true; reject(e); } });
      worker.on('exit', (code) => { if (!settled) { settled = true; reject(new Error(`bridging worker ${w} exited with code ${code}`)); } });
    }));
  }
  await Promise.all(jobs);
  return out;
}
