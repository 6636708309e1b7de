// Data-parallel bridging/augmentation over worker threads: one model copy per core, each on its
// own single-threaded backend. The workers persist across calls (a pool per process, started on
// first use): a model is sent to them once and kept until another model, or the same model with
// changed weights, is asked for. The rows are split into contiguous chunks, one per worker; per-row
// results do not depend on the split (augmentation noise is keyed by the global row index; every
// kernel computes a row the same way whatever rows share its batch), so the output is bit for bit
// that of one thread. Idle workers do not keep the process alive.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { backendName } from '../backend.ts';
import { DbridgeError } from '../util/errors.ts';
import type { DiffusionCore } from './core.ts';
import type { DiffusionConfig } from './model.ts';
import { denoiserCost } from './flops.ts';
import type { AugmentEmbeddingsOptions, BridgeEmbeddingsOptions } from './host.ts';
import type { WorkerReply, WorkerRequest } from './workers/bridge-worker.ts';

const ENTRY = new URL('./workers/bridge-worker.mjs', import.meta.url);

/** Single-thread throughput assumed when estimating a request's cost (GFLOP/s; wasm measures ~15-20). */
const ASSUMED_GFLOPS = 15;
/** Requests estimated below this many seconds of one thread stay on this thread (a worker's start-up costs ~1-3 s). */
const MIN_PARALLEL_SECONDS = 2;

/**
 * Workers for a request of `rows` rows through `calls` denoiser calls each: `requested` when a
 * number; for 'auto', the machine's cores (at most 8) when the work is worth it on a CPU backend and the
 * core can be sent to workers (a DiffusionModel), else 1.
 */
export function chooseWorkers(core: DiffusionCore, rows: number, calls: number, requested: number | 'auto' | undefined): number {
  if (requested !== undefined && requested !== 'auto') {
    if (!Number.isInteger(requested) || requested < 1) throw new DbridgeError(`workers must be a positive integer or 'auto', got ${requested}`);
    return Math.min(requested, rows);
  }
  const cores = Math.min(availableParallelism(), 8);
  if (cores < 2 || rows < 2 || backendName() === 'webgpu' || !sendable(core)) return 1;
  const gflop = (denoiserCost(core.denoiser.config).flopsTotal * rows * calls) / 1e9;
  return gflop / ASSUMED_GFLOPS >= MIN_PARALLEL_SECONDS ? Math.min(cores, rows) : 1;
}

/** Whether workers can rebuild `core`: a DiffusionModel (config + weights), not e.g. the posterior-mean oracle. */
function sendable(core: DiffusionCore): boolean {
  return Boolean((core as unknown as { config?: DiffusionConfig }).config?.denoiser);
}

class InferencePool {
  private readonly workers: Worker[] = [];
  private loaded: { core: DiffusionCore; dataIds: unknown[] } | null = null;

  constructor(readonly size: number, private readonly backend: string) {}

  private async start(): Promise<void> {
    while (this.workers.length < this.size) {
      const w = new Worker(ENTRY, { workerData: { backend: this.backend }, env: { ...process.env, DBRIDGE_QUIET: '1' } });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Sends `core` to every worker unless they hold it already with the same weights. */
  private async load(core: DiffusionCore): Promise<void> {
    const params = core.denoiser.params;
    const dataIds = params.names().map((k) => params.vars.get(k)!.dataId);
    if (this.loaded?.core === core && this.loaded.dataIds.every((d, i) => d === dataIds[i])) return;
    if (!sendable(core)) throw new DbridgeError('parallel bridging needs a DiffusionModel (config + weights); use workers = 1 for other denoisers');
    const config = (core as unknown as { config: DiffusionConfig }).config;
    const weights = [...await params.toHost()];
    this.loaded = null;
    await Promise.all(this.workers.map((w) => this.request(w, { cmd: 'load', config, weights })));
    this.loaded = { core, dataIds };
  }

  private request(w: Worker, msg: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<Float32Array | null> {
    return new Promise((resolve, reject) => {
      const done = () => { w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit); w.unref(); };
      const onMessage = (m: WorkerReply) => {
        done();
        if (m.ok) resolve(m.y ?? null);
        else reject(m.name === 'DbridgeError' ? new DbridgeError(`bridging worker: ${m.message}`) : new Error(`bridging worker failed: ${m.message}`));
      };
      const onError = (e: Error) => { done(); pool = null; reject(e); };
      const onExit = (code: number) => { done(); pool = null; reject(new Error(`bridging worker exited with code ${code}`)); };
      w.on('message', onMessage); w.on('error', onError); w.on('exit', onExit);
      w.ref(); // a pending request keeps the process alive
      w.postMessage(msg, transfer);
    });
  }

  async run(core: DiffusionCore, kind: 'bridge' | 'augment', x: Float32Array, n: number, d: number, k: number,
    opts: BridgeEmbeddingsOptions | AugmentEmbeddingsOptions): Promise<Float32Array> {
    await this.start();
    await this.load(core);
    const out = new Float32Array(n * d);
    await Promise.all(Array.from({ length: k }, async (_, w) => {
      const start = Math.floor((w * n) / k), end = Math.floor(((w + 1) * n) / k);
      if (end <= start) return;
      const chunk = x.slice(start * d, end * d);
      const chunkOpts = kind === 'augment'
        ? { ...opts, workers: 1, progress: false, rowOffset: ((opts as AugmentEmbeddingsOptions).rowOffset ?? 0) + start }
        : { ...opts, workers: 1, progress: false };
      const y = await this.request(this.workers[w], { cmd: 'run', kind, x: chunk, n: end - start, d, opts: chunkOpts }, [chunk.buffer]);
      out.set(y!, start * d);
    }));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    this.loaded = null;
  }
}

let pool: InferencePool | null = null;
/**
 * Requests to the pool run one after another: each worker answers one message at a time, and
 * concurrent callers (the pipeline bridges several M at once with Promise.all) would otherwise take
 * each other's replies and race on loading models. The workers are busy either way.
 */
let queue: Promise<unknown> = Promise.resolve();

/** Bridges or augments preprocessed rows on `k` >= 2 worker threads of the process's pool. */
export function runInWorkers(core: DiffusionCore, kind: 'bridge' | 'augment', x: Float32Array, n: number, d: number, k: number,
  opts: BridgeEmbeddingsOptions | AugmentEmbeddingsOptions): Promise<Float32Array> {
  const backend = backendName();
  if (backend === 'webgpu') return Promise.reject(new DbridgeError('parallel bridging runs CPU backends (wasm, tensorflow, cpu); on webgpu use workers = 1'));
  const result = queue.then(async () => {
    if (!pool || pool.size !== k) {
      await pool?.close();
      pool = new InferencePool(k, backend);
    }
    return pool.run(core, kind, x, n, d, k, opts);
  });
  queue = result.catch(() => {});
  return result;
}

/** Stops the bridging workers once the requests already queued are done (they are restarted on the next parallel call). */
export async function closeBridgingWorkers(): Promise<void> {
  const closed = queue.then(async () => {
    await pool?.close();
    pool = null;
  });
  queue = closed.catch(() => {});
  await closed;
}
