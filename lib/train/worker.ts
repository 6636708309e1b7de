// Body of a data-parallel training worker (pool.ts starts it through worker.mjs): builds the
// trainer's model from its ReplicaSpec on the parent's backend with one wasm thread, then per step
// copies the current weights from shared memory, computes the gradients of its parts (grads.ts)
// and writes their sum into its own slot of shared memory. For coupled losses it first hands its
// features to the main thread and blocks (Atomics.wait, inside the gradient tape) until the main
// thread has written dL/dF back, so no forward pass is recomputed.
import { parentPort, workerData } from 'node:worker_threads';
import { tf } from '../tf.ts';
import { initBackend } from '../backend.ts';
import { lossAndGrads } from '../nn/optim.ts';
import { partGrads, type Grads } from './grads.ts';
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
  /** This worker's float32 gradient slot, same layout. */
  grads: SharedArrayBuffer;
  /** Int32 control words: [k] = weights version, [index] = dF-ready flag of this worker. */
  control: SharedArrayBuffer;
  /** Slot of the weights version in `control`. */
  versionSlot: number;
}

export interface StepMessage<B> {
  cmd: 'step';
  step: number;
  parts: { index: number; data: B; weight: number }[];
  /** Sum of the weights of all parts of the step (every worker's). */
  W: number;
  coupled: boolean;
}

export type WorkerReply =
  | { cmd: 'ready' }
  | { cmd: 'features'; rows: number; width: number; data: Float32Array; exchange: SharedArrayBuffer }
  | { cmd: 'done'; loss: number; present: number[] }
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

async function writeGrads(grads: Grads): Promise<number[]> {
  const slot = new Float32Array(init.grads);
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

/** Coupled step (one part): features out, wait for dF, gradient of sum(F * dF) inside one tape. */
function coupledStep(part: unknown, ctx: PartContext): Grads {
  const r = lossAndGrads(model.params, () => {
    const F = model.features!(part, ctx);
    const [rows, width] = F.shape;
    const data = F.dataSync() as Float32Array; // workers run CPU backends: a plain memory read
    const exchange = new SharedArrayBuffer(rows * width * 4);
    Atomics.store(control, init.index, 0);
    port.postMessage({ cmd: 'features', rows, width, data: data.slice(), exchange } satisfies WorkerReply);
    Atomics.wait(control, init.index, 0);
    const dF = tf.tensor2d(new Float32Array(exchange), [rows, width]);
    return tf.sum(tf.mul(F, dF)) as tf.Scalar;
  });
  r.loss.dispose();
  return r.grads;
}

async function onStep(msg: StepMessage<unknown>): Promise<WorkerReply> {
  loadWeights();
  const ctxs = msg.parts.map((p) => ({ step: msg.step, part: p.index }));
  if (msg.coupled) {
    if (msg.parts.length !== 1) throw new Error('a coupled loss takes exactly one part per worker');
    const grads = coupledStep(msg.parts[0].data, ctxs[0]);
    try { return { cmd: 'done', loss: 0, present: await writeGrads(grads) }; } finally { tf.dispose(Object.values(grads)); }
  }
  const { grads, loss } = partGrads(model, msg.parts.map((p) => p.data), ctxs, msg.parts.map((p) => p.weight), msg.W);
  try {
    const l = (await loss.data())[0];
    return { cmd: 'done', loss: l, present: await writeGrads(grads) };
  } finally {
    tf.dispose([...Object.values(grads), loss]);
  }
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
