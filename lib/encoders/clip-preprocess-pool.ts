// A pool of worker threads for CLIP image preprocessing (Pillow-exact resize + crop + normalise,
// clip-preprocess.ts): ~20-30 ms per MSCOCO image in one thread would otherwise limit embedding to ~40
// images/s whatever device runs the model. Each batch is cut into one chunk per worker; the result is
// identical to clipPixelValues on the main thread (same code, same order). Idle workers are unref'd, so
// an open pool never keeps the process alive; close() ends them.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { DbridgeError } from '../util/errors.ts';
import { clipPixelValues, type ClipImageConfig } from './clip-preprocess.ts';
import type { RGBImage } from './types.ts';

type Reply = { id: number; data?: Float32Array; dims?: number[]; error?: string; user?: boolean };

/** Default thread count: env DBRIDGE_PREPROCESS_THREADS, else all cores but one, at most 8. */
export function defaultPreprocessThreads(): number {
  const env = process.env.DBRIDGE_PREPROCESS_THREADS;
  if (env !== undefined) {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0) throw new DbridgeError(`DBRIDGE_PREPROCESS_THREADS must be a non-negative integer, got '${env}'`);
    return n;
  }
  return Math.max(0, Math.min(8, availableParallelism() - 1));
}

export class PreprocessPool {
  private workers: Worker[] = [];
  private pending = new Map<number, { resolve(r: Reply): void; reject(e: Error): void; w: Worker }>();
  private busy = new Map<Worker, number>();
  private nextId = 0;

  /** threads <= 1: everything runs on the calling thread. */
  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 0) throw new DbridgeError(`preprocess threads must be a non-negative integer, got ${threads}`);
  }

  private start(): void {
    if (this.workers.length || this.threads <= 1) return;
    const boot = new URL('./worker-boot.mjs', import.meta.url);
    const entry = new URL('./clip-preprocess-worker.ts', import.meta.url).href;
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(boot, { workerData: { entry } });
      w.unref();
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        this.release(p.w);
        if (r.error !== undefined) p.reject(r.user ? new DbridgeError(r.error) : new Error(r.error));
        else p.resolve(r);
      });
      const fail = (e: Error) => {
        for (const p of this.pending.values()) { p.reject(e); p.w.unref(); }
        this.pending.clear();
        this.busy.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        this.workers = this.workers.filter((x) => x !== w);
        if (this.pending.size) fail(new Error(`a CLIP preprocessing worker exited (code ${code}) with work in flight`));
      });
      this.workers.push(w);
    }
  }

  // A worker with work in flight is ref'd (so the process waits for its reply); an idle one is unref'd.
  private release(w: Worker): void {
    const n = (this.busy.get(w) ?? 1) - 1;
    this.busy.set(w, n);
    if (n === 0) w.unref();
  }

  private run(w: Worker, images: RGBImage[], cfg: ClipImageConfig): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, w });
      this.busy.set(w, (this.busy.get(w) ?? 0) + 1);
      w.ref();
      w.postMessage({ id, images, cfg });
    });
  }

  /** pixel_values [n, 3, H, W] for the batch, as clipPixelValues computes them. */
  async pixelValues(images: RGBImage[], cfg: ClipImageConfig): Promise<{ data: Float32Array; dims: [number, number, number, number] }> {
    const chunks = Math.min(this.threads, images.length);
    if (chunks <= 1) return clipPixelValues(images, cfg);
    this.start();
    const per = Math.ceil(images.length / chunks);
    const parts = await Promise.all(
      Array.from({ length: chunks }, (_, k) => images.slice(k * per, (k + 1) * per))
        .filter((c) => c.length > 0)
        .map((c, k) => this.run(this.workers[k], c, cfg)),
    );
    const dims = parts[0].dims!;
    const size = dims[1] * dims[2] * dims[3];
    if (parts.some((p) => p.dims![1] * p.dims![2] * p.dims![3] !== size)) throw new DbridgeError('CLIP preprocessing gave images of different sizes');
    const data = new Float32Array(images.length * size);
    let at = 0;
    for (const p of parts) { data.set(p.data!, at); at += p.data!.length; }
    return { data, dims: [images.length, dims[1], dims[2], dims[3]] };
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    for (const p of this.pending.values()) p.reject(new Error('CLIP preprocessing pool closed with work in flight'));
    this.pending.clear();
    this.busy.clear();
    // ref'd while terminating: an unref'd worker's exit does not keep the event loop alive, so awaiting
    // terminate() on it could leave this promise pending while the process winds down.
    await Promise.all(ws.map((w) => { w.ref(); return w.terminate(); }));
  }
}
