// Data-parallel training over worker threads: k replicas of the trainer's model (one per core,
// each on its own single-threaded tensor backend), gradients reduced through shared memory, one
// optimiser step on the main thread. Per step the main thread hands each worker its parts of the
// batch; a worker writes each part's gradient into that part's float32 slot of a
// SharedArrayBuffer; the main thread sums the slots in part order (float32 additions, the
// arithmetic the device does when one thread accumulates the same parts), applies the optimiser to
// its master weights and publishes them through another shared buffer that the workers copy
// before their next step. Deterministic, and independent of the worker count: the cut of the batch
// (partition.ts), each part's arithmetic and the order of the sum do not depend on timing or on k.
import { Worker } from 'node:worker_threads';
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';
import type { ParamStore } from '../nn/params.ts';
import { headGrads, type Grads } from './grads.ts';
import type { CoupledHead, ReplicaSpec } from './types.ts';
import type { StepMessage, WorkerInit, WorkerReply } from './worker.ts';

const ENTRY = new URL('./worker.mjs', import.meta.url);

export interface WorkerPart<B> { index: number; data: B; weight: number }

/** The reply of a worker: per part, its weighted loss and which parameters got a gradient. */
type PartDone = { index: number; loss: number; present: number[] };

export class WorkerPool {
  private readonly offsets: number[] = [];
  private readonly sizes: number[] = [];
  private readonly control: Int32Array;
  private readonly weights: Float32Array;
  /** One gradient slot per part index (allocated as parts appear). */
  private readonly slots: SharedArrayBuffer[] = [];
  private readonly total: number;
  private version = 0;
  private closed = false;

  private constructor(private readonly workers: Worker[], private readonly params: ParamStore, readonly names: string[],
    buffers: { weights: SharedArrayBuffer; control: SharedArrayBuffer }) {
    let o = 0;
    for (const n of names) { const s = params.vars.get(n)!.size; this.offsets.push(o); this.sizes.push(s); o += s; }
    this.total = o;
    this.weights = new Float32Array(buffers.weights);
    this.control = new Int32Array(buffers.control);
  }

  get size(): number { return this.workers.length; }

  /** Starts k workers building `spec` on `backend` and gives them the current weights of `params`. */
  static async start(spec: ReplicaSpec, params: ParamStore, k: number, backend: string): Promise<WorkerPool> {
    if (!Number.isInteger(k) || k < 2) throw new DbridgeError(`a worker pool needs at least 2 workers, got ${k}`);
    if (backend === 'webgpu') throw new DbridgeError('data-parallel workers run CPU backends (wasm, tensorflow, cpu); on webgpu train with workers = 1');
    const names = params.names();
    const total = names.reduce((s, n) => s + params.vars.get(n)!.size, 0);
    const buffers = { weights: new SharedArrayBuffer(total * 4), control: new SharedArrayBuffer(4 * (k + 1)) };
    const workers: Worker[] = [];
    const pool = new WorkerPool(workers, params, names, buffers);
    await pool.publishWeights();
    try {
      await Promise.all(Array.from({ length: k }, (_, index) => new Promise<void>((resolve, reject) => {
        const init: WorkerInit = {
          index, backend, spec, names,
          shapes: names.map((n) => params.vars.get(n)!.shape.slice()),
          trainable: names.map((n) => params.vars.get(n)!.trainable),
          weights: buffers.weights, control: buffers.control, versionSlot: k,
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

  /** The gradient slot of part `index` (allocated the first time a step has that many parts). */
  private slot(index: number): SharedArrayBuffer {
    while (this.slots.length <= index) this.slots.push(new SharedArrayBuffer(this.total * 4));
    return this.slots[index];
  }

  /**
   * The summed gradients of one step's parts (byWorker[w] are worker w's parts, in order) and the
   * batch loss. With `head`, the loss is coupled: the workers' features come back (rows in part
   * order), the head runs here, and dL/dF goes back through shared memory.
   */
  async grads<B>(step: number, byWorker: WorkerPart<B>[][], W: number, head?: { head: CoupledHead<B>; batch: B }): Promise<{ grads: Grads; loss: tf.Scalar }> {
    if (this.closed) throw new Error('the worker pool is closed');
    const active = byWorker.map((parts, w) => ({ parts, w })).filter((x) => x.parts.length > 0);
    const done = new Map<number, PartDone[]>();
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
          if (m.cmd === 'done') { done.set(w, m.parts); if (done.size === active.length) finish(); }
        };
        const onExit = (code: number) => finish(new Error(`training worker ${w} exited with code ${code}`));
        worker.on('message', onMessage);
        worker.on('error', finish);
        worker.on('exit', onExit);
        listeners.push(() => { worker.off('message', onMessage); worker.off('error', finish); worker.off('exit', onExit); });
        const msg: StepMessage<B> = { cmd: 'step', step, parts: parts.map((p) => ({ ...p, slot: this.slot(p.index) })), W, coupled: head !== undefined };
        worker.postMessage(msg);
      }
    });
    // reduce in part order: float32 sums, the first contribution copied (not added to zero)
    for (const { w } of active) Atomics.load(this.control, w); // orders the workers' slot writes before these reads
    const parts = [...done.values()].flat().sort((a, b) => a.index - b.index);
    const grads: Grads = {};
    let lossSum = 0;
    const first = new Array<boolean>(this.names.length).fill(true);
    const sum = new Float32Array(this.total);
    for (const r of parts) {
      lossSum = r === parts[0] ? r.loss : Math.fround(lossSum + r.loss);
      const slot = new Float32Array(this.slots[r.index]);
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
