// Body of a bridging worker thread: initialises the same tensor backend as the parent, rebuilds
// the DiffusionModel from its config and host weights, bridges (or augments) its share of the
// rows, posts the unit-norm result back and exits.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../backend.ts';
import type { HostArray } from '../../io/dtype.ts';
import { createDenoiser, loadDenoiserWeights } from '../denoisers/index.ts';
import { DiffusionModel, type DiffusionConfig } from '../model.ts';
import { augmentEmbeddings, bridgeEmbeddings, type AugmentEmbeddingsOptions, type BridgeEmbeddingsOptions } from '../host.ts';

export interface WorkerTask {
  backend: string;
  config: DiffusionConfig;
  weights: [string, HostArray][];
  kind: 'bridge' | 'augment';
  x: Float32Array;
  n: number;
  d: number;
  opts: BridgeEmbeddingsOptions | AugmentEmbeddingsOptions;
}

const task = workerData as WorkerTask;
try {
  await initBackend(task.backend, { quiet: true, threads: 1 });
  const net = createDenoiser(task.config.denoiser, 0);
  loadDenoiserWeights(net, new Map(task.weights), 'parent model');
  const model = new DiffusionModel(net, task.config);
  const opts = { ...task.opts, workers: 1, progress: false };
  const y = task.kind === 'bridge'
    ? await bridgeEmbeddings(model, task.x, task.n, task.d, null, opts as BridgeEmbeddingsOptions)
    : await augmentEmbeddings(model, task.x, task.n, task.d, null, opts as AugmentEmbeddingsOptions);
  model.dispose();
  parentPort!.postMessage({ ok: true, y }, [y.buffer]);
} catch (e) {
  parentPort!.postMessage({ ok: false, message: (e as Error).message, name: (e as Error).name });
}
