// `dbridge train-encoder`: trains the world's small CLIP-like dual encoder on a generated world's
// pre-training split (lib/world/encoder.ts) and reports test retrieval (recall@1/5/10).
import type { CommandSpec } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { DbridgeError } from '../../util/errors.ts';
import { DEFAULT_ARCH, DEFAULT_TRAIN, SMOKE_BATCH, SMOKE_DIM, SMOKE_STEPS, trainWorldEncoder } from '../../world/encoder.ts';

const spec: CommandSpec = {
  name: 'train-encoder',
  summary: "train the world's small contrastive dual encoder",
  usage: '--world DIR --out DIR [--steps N] [--resume]',
  description: 'Writes weights.safetensors, optimizer.safetensors, config.json, state.json and eval.json (test retrieval) to --out. ' +
    'An interrupted run continues with --resume (same batches as an uninterrupted run).',
  options: [
    { name: 'world', type: 'string', required: true, help: 'generated world folder (dbridge world --out)' },
    { name: 'out', type: 'string', required: true, help: 'checkpoint folder' },
    { name: 'steps', type: 'int', help: `optimisation steps (default ${DEFAULT_TRAIN.steps}; ${SMOKE_STEPS} for a smoke-scale world)` },
    { name: 'batch-size', type: 'int', help: `pairs per step (default ${DEFAULT_TRAIN.batchSize}; ${SMOKE_BATCH} for a smoke-scale world)` },
    { name: 'lr', type: 'number', help: `peak learning rate (default ${DEFAULT_TRAIN.lr})` },
    { name: 'dim', type: 'int', help: `shared embedding dimension D (default ${DEFAULT_ARCH.dim}; ${SMOKE_DIM} for a smoke-scale world)` },
    { name: 'temperature', type: 'number', help: `fixed softmax temperature (default ${DEFAULT_TRAIN.fixedTemperature}, where CLIP's learned one ends)` },
    { name: 'learn-temperature', type: 'boolean', default: false, help: "learn the temperature from CLIP's initial 0.07 instead (leaves a smaller gap, docs/world.md)" },
    { name: 'width', type: 'int', help: `tower width (default ${DEFAULT_ARCH.width})` },
    { name: 'image-layers', type: 'int', help: `transformer blocks of the image tower (default ${DEFAULT_ARCH.imageLayers})` },
    { name: 'text-layers', type: 'int', help: `transformer blocks of the text tower (default ${DEFAULT_ARCH.textLayers})` },
    { name: 'resume', type: 'boolean', default: false, help: 'continue the checkpoint in --out' },
    { name: 'force', type: 'boolean', default: false, help: 'start over even if --out holds a checkpoint' },
    { name: 'eval-split', type: 'string', default: 'test', help: "split of dataset_world.json for the retrieval report ('none' to skip)" },
  ],
  async run(args) {
    await initBackend(args.backend as string | undefined);
    const arch: Record<string, number> = {};
    if (args.dim !== undefined) arch.dim = args.dim as number;
    if (args.width !== undefined) arch.width = args.width as number;
    if (args.imageLayers !== undefined) arch.imageLayers = args.imageLayers as number;
    if (args.textLayers !== undefined) arch.textLayers = args.textLayers as number;
    if (args.learnTemperature && args.temperature !== undefined) throw new DbridgeError('--temperature and --learn-temperature exclude each other');
    const fixedTemperature = args.learnTemperature ? null : (args.temperature as number | undefined);
    const r = await trainWorldEncoder({
      fixedTemperature,
      worldDir: args.world as string, outDir: args.out as string, seed: args.seed as number,
      steps: args.steps as number | undefined, batchSize: args.batchSize as number | undefined, lr: args.lr as number | undefined,
      arch, resume: args.resume as boolean, force: args.force as boolean, evalSplit: args.evalSplit as string, quiet: args.quiet as boolean,
    });
    console.log(JSON.stringify(r, null, 2));
  },
};

export default spec;
