// `dbridge bridge`: diffusion bridging of embeddings (docs/spec.md §2) with a checkpoint: preprocess with the
// input modality's mean (--mean) unless --preprocessed, use them directly as x_M, DDIM from M,
// L2-normalise; writes the unit-norm bridged embeddings (what the official code feeds the decoder).
// The output is checked before any work (not an input, not a folder, writable) and written only
// when every bridged value is finite.
import { defineCommand, exclusive } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { DbridgeError, checkFinite } from '../../util/errors.ts';
import { checkOutputFile } from '../../util/fs.ts';
import { readEmbeddingMatrix, readNpy, writeNpy } from '../../io/npy.ts';
import { toFloat32 } from '../../io/dtype.ts';
import { DiffusionModel, bridgeEmbeddings } from '../../diffusion/index.ts';
import { BRIDGE_M } from '../../diffusion/model.ts';
import { checkFiniteOutput } from '../outputs.ts';

export function readMean(path: string, d: number): Float32Array {
  const a = readNpy(path);
  const shape = a.shape.filter((s) => s !== 1);
  if (shape.length > 1 || (shape.length === 1 ? shape[0] : 1) !== d) {
    throw new DbridgeError(`${path}: the mean must have ${d} values (shape [${d}] or [1, ${d}]), got shape [${a.shape.join(', ')}]`);
  }
  if (!['float32', 'float64', 'float16'].includes(a.dtype)) throw new DbridgeError(`${path}: the mean must be a float array, got ${a.dtype}`);
  const m = toFloat32(a);
  checkFinite(m, path);
  return m;
}

const spec = defineCommand({
  name: 'bridge',
  summary: 'bridge embeddings through the diffusion model (DDIM from step M)',
  usage: '--checkpoint DIR --input X.npy [--preprocessed | --mean MEAN.npy] --M 600 --steps 5 --output Y.npy',
  description: 'X.npy: float [N, D] (or the official [N, 1, D]) raw embeddings of the non-text modality; --mean is that\n' +
    "modality's mean (image_mean.npy), or pass --preprocessed when X is already 5*normalize(normalize(e) - mean).",
  options: [
    { name: 'checkpoint', type: 'string', required: true, help: 'diffusion checkpoint folder' },
    { name: 'input', type: 'string', required: true, help: 'embeddings to bridge (.npy [N, D])' },
    { name: 'output', type: 'string', required: true, help: 'where to write the bridged unit-norm embeddings (.npy float32 [N, D])' },
    { name: 'mean', type: 'string', help: "mean of the input modality's L2-normalised train embeddings (.npy [D])" },
    { name: 'preprocessed', type: 'boolean', default: false, help: 'the input is already preprocessed (radius C, mean removed)' },
    { name: 'M', type: 'int', default: BRIDGE_M.coco, min: 1, help: `start step M (MSCOCO ${BRIDGE_M.coco}, Flickr30K ${BRIDGE_M.flickr30k})` },
    { name: 'steps', type: 'int', min: 1, help: 'DDIM steps, at most M (default: the checkpoint variant, official 5 / paper 12)' },
    { name: 'eta', type: 'number', default: 0, min: 0, help: 'DDIM eta (0 = deterministic, the official setting)' },
    { name: 'batch-size', type: 'int', default: 64, min: 1, help: 'embeddings per tensor batch (memory grows ~32 MiB per row for the paper network)' },
    { name: 'workers', type: 'int', default: 1, min: 1, help: 'worker threads, each with a model copy (tfjs-wasm is single-threaded; use up to the number of cores)' },
    { name: 'weights', type: 'string', default: 'config', choices: ['config', 'raw', 'ema'], help: "which weights: the variant's choice, raw or EMA" },
  ],
  check(args) {
    exclusive(args, 'mean', 'preprocessed');
    if (!args.preprocessed && !args.mean) throw new DbridgeError("give --mean MEAN.npy (the input modality's mean) or --preprocessed");
    if (args.steps !== undefined && args.steps > args.M) throw new DbridgeError(`--steps ${args.steps} must be at most --M ${args.M}: DDIM takes at most one step per timestep`);
    checkOutputFile(args.output, { what: '--output', inputs: { '--input': args.input, '--mean': args.mean } });
  },
  async run(args) {
    await initBackend(args.backend);
    const model = DiffusionModel.load(args.checkpoint, { weights: args.weights });
    try {
      const { data, n, d } = readEmbeddingMatrix(args.input, { dim: model.length });
      const mean = args.mean === undefined ? null : readMean(args.mean, d);
      const steps = args.steps ?? model.config.sampling.steps;
      const t0 = Date.now();
      const y = await bridgeEmbeddings(model, data, n, d, mean, {
        M: args.M, steps, eta: args.eta, seed: args.seed, batchSize: args.batchSize,
        progress: !args.quiet && args.workers <= 1, workers: args.workers,
      });
      checkFiniteOutput(y, 'the bridged embeddings', `check the checkpoint ${args.checkpoint} and the input`);
      writeNpy(args.output, { dtype: 'float32', shape: [n, d], data: y });
      const s = (Date.now() - t0) / 1000;
      console.log(`bridged ${n} embeddings (M = ${args.M}, ${steps} DDIM steps, ${model.loadedWeights} weights) in ${s.toFixed(1)} s ` +
        `(${(n / Math.max(s, 1e-9)).toFixed(1)} emb/s) -> ${args.output}`);
    } finally {
      model.dispose();
    }
  },
});
export default spec;
