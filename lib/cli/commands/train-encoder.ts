// `dbridge train-encoder`: trains the world's small CLIP-like dual encoder on a generated world's
// pre-training split (lib/world/encoder.ts) and reports test retrieval (recall@1/5/10).
// Outputs: the folder is locked while training; the trainer reuses a finished encoder of the same
// settings, continues an unfinished one only with --resume (naming a setting that differs) and
// starts over only with --force, which trains into a temporary sibling that replaces the folder
// once training has finished.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand, exclusive } from '../args.ts';
import { checkOutputDir, folderHasContent, requireDir } from '../../util/fs.ts';
import { lockFolder } from '../../util/lock.ts';
import { trainingFolder, trainInto } from '../outputs.ts';
import { initBackend } from '../../backend.ts';
import { DbridgeError } from '../../util/errors.ts';
import { DEFAULT_ARCH, DEFAULT_TRAIN, SMOKE_BATCH, SMOKE_DIM, SMOKE_STEPS, trainWorldEncoder } from '../../world/encoder.ts';
import { SOUND_FILES } from '../../world/sound/scales.ts';

const spec = defineCommand({
  name: 'train-encoder',
  summary: "train the world's small contrastive dual encoder",
  usage: '--world DIR --out DIR [--steps N] [--resume | --force]',
  description: 'Writes weights.safetensors, optimizer.safetensors, config.json, state.json and eval.json (test retrieval) to --out. ' +
    'A sound world (dbridge sound-world) trains the CLAP-like sound encoder (log-mel audio tower, the same text tower; --image-layers sets its audio blocks). ' +
    'An interrupted run continues with --resume (same batches as an uninterrupted run).',
  options: [
    { name: 'world', type: 'string', required: true, help: 'generated world folder (dbridge world --out)' },
    { name: 'out', type: 'string', required: true, help: 'checkpoint folder' },
    { name: 'steps', type: 'int', min: 1, help: `optimisation steps (default ${DEFAULT_TRAIN.steps}; ${SMOKE_STEPS} for a smoke-scale world)` },
    { name: 'batch-size', type: 'int', min: 2, help: `pairs per step (default ${DEFAULT_TRAIN.batchSize}; ${SMOKE_BATCH} for a smoke-scale world)` },
    { name: 'lr', type: 'number', above: 0, help: `peak learning rate (default ${DEFAULT_TRAIN.lr})` },
    { name: 'dim', type: 'int', min: 1, help: `shared embedding dimension D (default ${DEFAULT_ARCH.dim}; ${SMOKE_DIM} for a smoke-scale world)` },
    { name: 'temperature', type: 'number', help: `fixed softmax temperature (default ${DEFAULT_TRAIN.fixedTemperature}, where CLIP's learned one ends)` },
    { name: 'learn-temperature', type: 'boolean', default: false, help: "learn the temperature from CLIP's initial 0.07 instead (leaves a smaller gap, docs/world.md)" },
    { name: 'width', type: 'int', min: 1, help: `tower width (default ${DEFAULT_ARCH.width})` },
    { name: 'image-layers', type: 'int', min: 1, help: `transformer blocks of the image tower (default ${DEFAULT_ARCH.imageLayers})` },
    { name: 'text-layers', type: 'int', min: 1, help: `transformer blocks of the text tower (default ${DEFAULT_ARCH.textLayers})` },
    { name: 'resume', type: 'boolean', default: false, help: 'continue the checkpoint in --out' },
    { name: 'force', type: 'boolean', default: false, help: 'start over even if --out holds a checkpoint (replacing it once the new run has finished)' },
    { name: 'eval-split', type: 'string', default: 'test', help: "split of dataset_world.json for the retrieval report ('none' to skip)" },
  ],
  check(args) {
    exclusive(args, 'resume', 'force');
    exclusive(args, 'temperature', 'learn-temperature');
    requireDir(args.world, '--world');
    checkOutputDir(args.out, { what: '--out', inputs: { '--world': args.world }, replaces: args.force });
  },
  async run(args) {
    await initBackend(args.backend);
    const arch: Record<string, number> = {};
    if (args.dim !== undefined) arch.dim = args.dim;
    if (args.width !== undefined) arch.width = args.width;
    if (args.imageLayers !== undefined) arch.imageLayers = args.imageLayers;
    if (args.textLayers !== undefined) arch.textLayers = args.textLayers;
    const fixedTemperature = args.learnTemperature ? null : args.temperature;
    const common = { fixedTemperature, worldDir: args.world, seed: args.seed, steps: args.steps, batchSize: args.batchSize, lr: args.lr, evalSplit: args.evalSplit, quiet: args.quiet };
    const sound = existsSync(join(args.world, SOUND_FILES.meta)); // a sound world: its CLAP-like encoder
    const { imageLayers, ...shared } = arch;
    const train = async (outDir: string, o: { resume: boolean; force: boolean }) => sound
      ? (await import('../../world/sound/encoder.ts')).trainSoundEncoder({ ...common, outDir, arch: { ...shared, ...(imageLayers !== undefined ? { audioLayers: imageLayers } : {}) }, ...o })
      : trainWorldEncoder({ ...common, outDir, arch, ...o });
    const holdsEncoder = (dir: string) => ['state.json', 'weights.safetensors', 'config.json', 'eval.json'].some((f) => existsSync(join(dir, f)));
    let r: Awaited<ReturnType<typeof trainWorldEncoder>>;
    if (args.force && folderHasContent(args.out)) {
      const folder = trainingFolder(args.out, { resume: false, force: true, holdsRun: holdsEncoder, kind: 'a world encoder', inputs: { '--world': args.world } });
      r = await trainInto(folder, (dir) => train(dir, { resume: false, force: false }));
      r = { ...r, outDir: args.out };
    } else {
      if (folderHasContent(args.out) && !holdsEncoder(args.out)) {
        throw new DbridgeError(`--out ${args.out} holds files that are not a world encoder; choose a new or empty folder (nothing there is replaced)`);
      }
      const lock = lockFolder(args.out);
      try { r = await train(args.out, { resume: args.resume, force: false }); } finally { lock.release(); }
    }
    console.log(JSON.stringify(r, null, 2));
  },
});

export default spec;
