// Data-parallel training over worker threads: k replicas of the trainer's model (one per core,
// each on its own single-threaded tensor backend), gradients reduced through shared memory, one
// optimiser step on the main thread. Per step the main thread hands each worker its parts of the
// batch; each worker writes the sum of its parts' gradients into its own float32 slot of a
// SharedArrayBuffer; the main thread sums the slots in worker order (float32 additions, the same
// arithmetic as the device's), applies the optimiser to its master weights and publishes them
// through another shared buffer that the workers copy before their next step.
// Deterministic: the cut of the batch (partition.ts), every worker's arithmetic and the order of
// the reduction depend only on (batch, workers, microBatch), not on timing.
import { Worker } from 'node:worker_threads';
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';
import type { ParamStore } from '../nn/params.ts';
import { headGrads, type Grads } from './grads.ts';
import type { CoupledHead, ReplicaSpec } from './types.ts';
import type { StepMessage, WorkerInit, WorkerReply } from './worker.ts';

const ENTRY = new URL('./worker.mjs', import.meta.url);

export interface WorkerPart<B> { index: number; data: B; weight: number }

export class WorkerPool {
  private readonly offsets: number[] = [];
  private readonly sizes: number[] = [];
  private readonly control: Int32Array;
  private readonly weights: Float32Array;
  private readonly slots: Float32Array[];
  private version = 0;
  private closed = false;

  private constructor(private readonly workers: Worker[], private readonly params: ParamStore, readonly names: string[],
    buffers: { weights: SharedArrayBuffer; slots: SharedArrayBuffer[]; control: SharedArrayBuffer }) {
    let o = 0;
    for (const n of names) { const s = params.vars.get(n)!.size; this.offsets.push(o); this.sizes.push(s); o += s; }
    this.weights = new Float32Array(buffers.weights);
    this.slots = buffers.slots.map((b) => new Float32Array(b));
    this.control = new Int32Array(buffers.control);
  }

  get size(): number { return this.workers.length; }

  /** Starts k workers building `spec` on `backend` and gives them the current weights of `params`. */
  static async start(spec: ReplicaSpec, params: ParamStore, k: number, backend: string): Promise<WorkerPool> {
    if (!Number.isInteger(k) || k < 2) throw new DbridgeError(`a worker pool needs at least 2 workers, got ${k}`);
    if (backend === 'webgpu') throw new DbridgeError('data-parallel workers run CPU backends (wasm, tensorflow, cpu); on webgpu train with workers = 1');
    const names = params.names();
    const total = names.reduce((s, n) => s + params.vars.get(n)!.size, 0);
    const buffers = {
      weights: new SharedArrayBuffer(total * 4),
      slots: Array.from({ length: k }, () => new SharedArrayBuffer(total * 4)),
      control: new SharedArrayBuffer(4 * (k + 1)),
    };
    const workers: Worker[] = [];
    const pool = new WorkerPool(workers, params, names, buffers);
    await pool.publishWeights();
    try {
      await Promise.all(Array.from({ length: k }, (_, index) => new Promise<void>((resolve, reject) => {
        const init: WorkerInit = {
          index, backend, spec, names,
          shapes: names.map((n) => params.vars.get(n)!.shape.slice()),
          trainable: names.map((n) => params.vars.get(n)!.trainable),
          weights: buffers.weights, grads: buffers.slots[index], control: buffers.control, versionSlot: k,
        };
        const w = new Worker(ENTRY, { workerData: init, env: { ...process.env, DBRIDGE_QUIET: '1' } });
        workers.push(w);
        w.once('message', (m: WorkerReply) => m.cmd === 'ready' ? resolve() : reject(workerError(index, m)));
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`training worker ${index} exited with code ${code} while starting`)));
      })));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Copies the main thread's weights into shared memory for the workers' next step. */
  async publishWeights(): Promise<void> {
    for (let i = 0; i < this.names.length; i++) {
      this.weights.set(await this.params.vars.get(this.names[i])!.data() as Float32Array, this.offsets[i]);
    }
    Atomics.store(this.control, this.control.length - 1, ++this.version);
  }

  /**
   * The summed gradients of one step's parts (byWorker[w] are worker w's parts, in order) and the
   * batch loss. With `head`, the loss is coupled: each worker has one part, whose features come
   * back, the head runs here, and dL/dF goes back through shared memory.
   */
  async grads<B>(step: number, byWorker: WorkerPart<B>[][], W: number, head?: { head: CoupledHead<B>; batch: B }): Promise<{ grads: Grads; loss: tf.Scalar }> {
    if (this.closed) throw new Error('the worker pool is closed');
    const active = byWorker.map((parts, w) => ({ parts, w })).filter((x) => x.parts.length > 0);
    const done = new Map<number, { loss: number; present: number[] }>();
    const features = new Map<number, Extract<WorkerReply, { cmd: 'features' }>>();
    let headOut: { loss: tf.Scalar; grads: Grads } | null = null;
    await new Promise<void>((resolve, reject) => {
      const listeners: (() => void)[] = [];
      const finish = (e?: unknown) => { listeners.forEach((off) => off()); if (e) reject(e); else resolve(); };
      const runHead = () => {
        try {
          const rows = active.map(({ w }) => features.get(w)!);
          const width = rows[0].width;
          const all = new Float32Array(rows.reduce((s, r) => s + r.rows, 0) * width);
          let o = 0;
          for (const r of rows) { all.set(r.data, o); o += r.data.length; }
          const F = tf.tensor2d(all, [all.length / width, width]);
          const h = headGrads(this.params, head!.head, F, head!.batch);
          F.dispose();
          const dF = h.dF.dataSync() as Float32Array; // a CPU backend (workers are refused on webgpu)
          h.dF.dispose();
          headOut = { loss: h.loss, grads: h.grads };
          o = 0;
          for (const { w } of active) {
            const r = features.get(w)!;
            new Float32Array(r.exchange).set(dF.subarray(o, o + r.data.length));
            o += r.data.length;
            Atomics.store(this.control, w, 1);
            Atomics.notify(this.control, w);
          }
        } catch (e) {
          finish(e);
        }
      };
      for (const { parts, w } of active) {
        const worker = this.workers[w];
        const onMessage = (m: WorkerReply) => {
          if (m.cmd === 'error') { finish(workerError(w, m)); return; }
          if (m.cmd === 'features') { features.set(w, m); if (features.size === active.length) runHead(); return; }
          if (m.cmd === 'done') { done.set(w, m); if (done.size === active.length) finish(); }
        };
        const onExit = (code: number) => finish(new Error(`training worker ${w} exited with code ${code}`));
        worker.on('message', onMessage);
        worker.on('error', finish);
        worker.on('exit', onExit);
        listeners.push(() => { worker.off('message', onMessage); worker.off('error', finish); worker.off('exit', onExit); });
        worker.postMessage({ cmd: 'step', step, parts, W, coupled: head !== undefined } satisfies StepMessage<B>);
      }
    });
    // reduce in worker order: float32 sums, the first contribution copied (not added to zero)
    const grads: Grads = {};
    let lossSum = 0;
    const first = new Array<boolean>(this.names.length).fill(true);
    const sum = new Float32Array(this.offsets.length ? this.offsets[this.offsets.length - 1] + this.sizes[this.sizes.length - 1] : 0);
    for (const { w } of active) {
      Atomics.load(this.control, w); // orders the worker's slot writes before these reads
      const r = done.get(w)!;
      lossSum = Math.fround(lossSum + r.loss);
      const slot = this.slots[w];
      for (const i of r.present) {
        const o = this.offsets[i], n = this.sizes[i];
        if (first[i]) { sum.set(slot.subarray(o, o + n), o); first[i] = false; continue; }
        for (let j = o; j < o + n; j++) sum[j] += slot[j];
      }
    }
    this.names.forEach((name, i) => {
      if (!first[i]) grads[name] = tf.tensor(sum.subarray(this.offsets[i], this.offsets[i] + this.sizes[i]), this.params.vars.get(name)!.shape);
    });
    if (headOut) {
      const h = headOut as { loss: tf.Scalar; grads: Grads };
      for (const [k, g] of Object.entries(h.grads)) {
        const prev = grads[k];
        if (prev) { grads[k] = tf.add(prev, g); prev.dispose(); g.dispose(); } else grads[k] = g;
      }
      return { grads, loss: h.loss };
    }
    return { grads, loss: tf.scalar(lossSum) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function workerError(w: number, m: WorkerReply): Error {
  if (m.cmd !== 'error') return new Error(`training worker ${w}: unexpected reply ${m.cmd}`);
  return m.name === 'DbridgeError' ? new DbridgeError(`worker ${w}: ${m.message}`) : new Error(`training worker ${w} failed: ${m.message}`);
}
