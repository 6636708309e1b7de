// Body of a data-parallel training worker (pool.ts starts it through worker.mjs): builds the
// trainer's model from its ReplicaSpec on the parent's backend with one wasm thread, then per step
// copies the current weights from shared memory, computes the gradient of each of its parts
// (grads.ts) and writes it into that part's slot of shared memory (the main thread sums the parts
// in order). For coupled losses it first hands its features to the main thread and blocks
// (Atomics.wait) until dL/dF is back: with one part, inside the gradient tape, so no forward pass
// is recomputed; with several, between a forward pass of each part and their recomputed backward.
import { parentPort, workerData } from 'node:worker_threads';
import { tf } from '../tf.ts';
import { initBackend } from '../backend.ts';
import { lossAndGrads } from '../nn/optim.ts';
import { featuresOf, partGrads, surrogateGrads, type Grads } from './grads.ts';
import type { PartContext, ReplicaSpec, TrainModel } from './types.ts';

export interface WorkerInit {
  index: number;
  backend: string;
  spec: ReplicaSpec;
  names: string[];
  shapes: number[][];
  /** Which parameters are trained (as on the main model; e.g. a fixed temperature is not). */
  trainable: boolean[];
  /** Float32 weights of all parameters, in `names` order (written by the main thread). */
  weights: SharedArrayBuffer;
  /** Int32 control words: [k] = weights version, [index] = dF-ready flag of this worker. */
  control: SharedArrayBuffer;
  /** Slot of the weights version in `control`. */
  versionSlot: number;
}

export interface StepMessage<B> {
  cmd: 'step';
  step: number;
  /** This worker's parts, in order, each with the float32 slot (weights' layout) its gradient goes to. */
  parts: { index: number; data: B; weight: number; slot: SharedArrayBuffer }[];
  /** Sum of the weights of all parts of the step (every worker's). */
  W: number;
  coupled: boolean;
}

export type WorkerReply =
  | { cmd: 'ready' }
  | { cmd: 'features'; rows: number; width: number; data: Float32Array; exchange: SharedArrayBuffer }
  | { cmd: 'done'; parts: { index: number; loss: number; present: number[] }[] }
  | { cmd: 'error'; name: string; message: string };

const init = workerData as WorkerInit;
const port = parentPort!;
const control = new Int32Array(init.control);
const offsets: number[] = [];
{
  let o = 0;
  for (const s of init.shapes) { offsets.push(o); o += s.reduce((a, b) => a * b, 1); }
}
let model: TrainModel<unknown>;
let loadedVersion = -1;

function loadWeights(): void {
  const version = Atomics.load(control, init.versionSlot); // orders the main thread's writes before our reads
  if (version === loadedVersion) return;
  const w = new Float32Array(init.weights);
  tf.tidy(() => init.names.forEach((name, i) => {
    const v = model.params.vars.get(name)!;
    v.assign(tf.tensor(w.subarray(offsets[i], offsets[i] + v.size), v.shape));
  }));
  loadedVersion = version;
}

/** Writes a part's gradients into its slot; returns the indices of the parameters that have one. */
async function writeGrads(grads: Grads, buffer: SharedArrayBuffer): Promise<number[]> {
  const slot = new Float32Array(buffer);
  const present: number[] = [];
  for (let i = 0; i < init.names.length; i++) {
    const g = grads[init.names[i]];
    if (!g) continue;
    slot.set(await g.data() as Float32Array, offsets[i]);
    present.push(i);
  }
  Atomics.store(control, init.index, 0); // publish the slot before the reply
  return present;
}

/** Features of this worker's parts out to the main thread (one message, rows in order); blocks until dL/dF is back. */
function exchange(F: Float32Array, rows: number, width: number): tf.Tensor2D {
  const buffer = new SharedArrayBuffer(rows * width * 4);
  Atomics.store(control, init.index, 0);
  port.postMessage({ cmd: 'features', rows, width, data: F.slice(), exchange: buffer } satisfies WorkerReply);
  Atomics.wait(control, init.index, 0);
  return tf.tensor2d(new Float32Array(buffer), [rows, width]);
}

/**
 * Coupled parts: one part keeps its forward pass in the tape while the worker waits for dL/dF;
 * several are run forward first, then each part's gradient of sum(F_p * dF_p) is recomputed.
 */
function coupledGrads(parts: unknown[], ctxs: PartContext[]): Grads[] {
  if (parts.length === 1) {
    const r = lossAndGrads(model.params, () => {
      const F = model.features!(parts[0], ctxs[0]);
      const dF = exchange(F.dataSync() as Float32Array, F.shape[0], F.shape[1]); // workers run CPU backends: a plain memory read
      return tf.sum(tf.mul(F, dF)) as tf.Scalar;
    });
    r.loss.dispose();
    return [r.grads];
  }
  const feats = parts.map((p, i) => featuresOf(model, p, ctxs[i]));
  const sizes = feats.map((f) => f.shape[0]), width = feats[0].shape[1];
  const all = tf.concat(feats, 0) as tf.Tensor2D;
  tf.dispose(feats);
  const dF = exchange(all.dataSync() as Float32Array, all.shape[0], width);
  all.dispose();
  let row = 0;
  try {
    return parts.map((p, i) => {
      const dFp = tf.slice(dF, [row, 0], [sizes[i], -1]) as tf.Tensor2D;
      row += sizes[i];
      try { return surrogateGrads(model, p, ctxs[i], dFp); } finally { dFp.dispose(); }
    });
  } finally {
    dF.dispose();
  }
}

async function onStep(msg: StepMessage<unknown>): Promise<WorkerReply> {
  loadWeights();
  const ctxs = msg.parts.map((p) => ({ step: msg.step, part: p.index }));
  const out: { index: number; loss: number; present: number[] }[] = [];
  if (msg.coupled) {
    const all = coupledGrads(msg.parts.map((p) => p.data), ctxs);
    try {
      for (let i = 0; i < all.length; i++) out.push({ index: msg.parts[i].index, loss: 0, present: await writeGrads(all[i], msg.parts[i].slot) });
    } finally {
      for (const g of all) tf.dispose(Object.values(g));
    }
    return { cmd: 'done', parts: out };
  }
  for (let i = 0; i < msg.parts.length; i++) {
    const p = msg.parts[i];
    const { grads, loss } = partGrads(model, [p.data], [ctxs[i]], [p.weight], msg.W);
    try {
      out.push({ index: p.index, loss: (await loss.data())[0], present: await writeGrads(grads, p.slot) });
    } finally {
      tf.dispose([...Object.values(grads), loss]);
    }
  }
  return { cmd: 'done', parts: out };
}

function fail(e: unknown): void {
  const err = e as Error;
  port.postMessage({ cmd: 'error', name: err?.name ?? 'Error', message: err?.message ?? String(e) } satisfies WorkerReply);
}

try {
  await initBackend(init.backend, { quiet: true, threads: 1 });
  const mod = await import(init.spec.module) as Record<string, (args: unknown) => TrainModel<unknown> | Promise<TrainModel<unknown>>>;
  const factory = mod[init.spec.factory];
  if (typeof factory !== 'function') throw new Error(`${init.spec.module} has no export ${init.spec.factory}`);
  model = await factory(init.spec.args);
  const names = model.params.names();
  if (names.length !== init.names.length || names.some((n, i) => n !== init.names[i] || model.params.vars.get(n)!.shape.join(',') !== init.shapes[i].join(','))) {
    throw new Error('the replica built in the worker has other parameters than the main model');
  }
  init.trainable.forEach((f, i) => { model.params.vars.get(init.names[i])!.trainable = f; });
  port.on('message', (msg: StepMessage<unknown> | { cmd: 'close' }) => {
    if (msg.cmd === 'close') { model.dispose(); port.close(); return; }
    onStep(msg).then((r) => port.postMessage(r), fail);
  });
  port.postMessage({ cmd: 'ready' } satisfies WorkerReply);
} catch (e) {
  fail(e);
}
