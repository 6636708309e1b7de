// Body of a bridging worker thread (parallel.ts keeps a pool of them): initialises the parent's
// tensor backend on one thread, then serves requests until terminated: `load` rebuilds the
// DiffusionModel from a config and host weights (replacing the previous one), `run` bridges or
// augments a chunk of preprocessed rows and posts the unit-norm result back.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../backend.ts';
import type { HostArray } from '../../io/dtype.ts';
import { createDenoiser, loadDenoiserWeights } from '../denoisers/index.ts';
import { DiffusionModel, type DiffusionConfig } from '../model.ts';
import { augmentEmbeddings, bridgeEmbeddings, type AugmentEmbeddingsOptions, type BridgeEmbeddingsOptions } from '../host.ts';

export type WorkerRequest =
  | { cmd: 'load'; config: DiffusionConfig; weights: [string, HostArray][] }
  | { cmd: 'run'; kind: 'bridge' | 'augment'; x: Float32Array; n: number; d: number; opts: BridgeEmbeddingsOptions | AugmentEmbeddingsOptions };

export type WorkerReply = { ok: true; y?: Float32Array } | { ok: false; message: string; name: string };

const port = parentPort!;
const ready = initBackend((workerData as { backend: string }).backend, { quiet: true, threads: 1 });
let model: DiffusionModel | null = null;

async function serve(msg: WorkerRequest): Promise<void> {
  await ready;
  if (msg.cmd === 'load') {
    model?.dispose();
    model = null;
    const net = createDenoiser(msg.config.denoiser, 0);
    loadDenoiserWeights(net, new Map(msg.weights), 'parent model');
    model = new DiffusionModel(net, msg.config);
    port.postMessage({ ok: true } satisfies WorkerReply);
    return;
  }
  if (!model) throw new Error('no model loaded');
  const y = msg.kind === 'bridge'
    ? await bridgeEmbeddings(model, msg.x, msg.n, msg.d, null, msg.opts as BridgeEmbeddingsOptions)
    : await augmentEmbeddings(model, msg.x, msg.n, msg.d, null, msg.opts as AugmentEmbeddingsOptions);
  port.postMessage({ ok: true, y } satisfies WorkerReply, [y.buffer]);
}

port.on('message', (msg: WorkerRequest) => {
  serve(msg).catch((e: Error) => port.postMessage({ ok: false, message: e?.message ?? String(e), name: e?.name ?? 'Error' } satisfies WorkerReply));
});
