// `dbridge train-diffusion`: trains the diffusion model on raw text embeddings (docs/spec.md §1): computes
// the text mean from the file (or takes --mean) and stores it in the output folder, preprocesses,
// and trains a named config (smoke | mini | paper | resmlp) in a variant (official | paper), with
// checkpoints every N steps, --resume, a progress bar and loss_curve.json.
// Outputs (lib/cli/outputs.ts): the folder is locked while training; --resume continues only with
// the checkpoint's settings (the trainer names the one that differs; a --mean that differs from
// the saved text mean is refused, never written); --force trains into a temporary sibling that
// replaces the folder only once training has finished.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand, exclusive } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { DbridgeError } from '../../util/errors.ts';
import { requireFile } from '../../util/fs.ts';
import { readEmbeddingMatrix, writeNpy } from '../../io/npy.ts';
import { modalityMean, preprocessRows } from '../../embeddings/index.ts';
import { DiffusionModel, namedConfig, trainDiffusion, SCALE_NAMES, SCALES, VARIANTS } from '../../diffusion/index.ts';
import { checkpointExists } from '../../nn/checkpoint.ts';
import { PARTIAL } from '../../train/checkpoint-files.ts';
import { readMean } from './bridge.ts';
import { trainingFolder, trainInto } from '../outputs.ts';

/** Files a diffusion training folder holds (complete or interrupted). */
const holdsDiffusionRun = (dir: string) => ['config.json', 'state.json', 'text_mean.npy', 'loss_curve.json', PARTIAL].some((f) => existsSync(join(dir, f)));

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const spec = defineCommand({
  name: 'train-diffusion',
  summary: 'train the diffusion model on text embeddings',
  usage: '--embeddings text.npy --config NAME --out DIR [--steps N] [--resume | --force]',
  description: 'Configs: ' + SCALE_NAMES.map((n) => `${n} (${SCALES[n].description})`).join('; ') + '.\n' +
    'The text mean is computed from --embeddings (the train split) unless --mean is given, and saved as DIR/text_mean.npy.\n' +
    '--resume continues the checkpoint in DIR with the same settings (seed, batch size, lr, data, mean); --force\n' +
    'replaces it, once the new run has finished.',
  options: [
    { name: 'embeddings', type: 'string', required: true, help: 'raw text embeddings of the train split (.npy [N, D])' },
    { name: 'config', type: 'string', required: true, help: `named config: ${SCALE_NAMES.join(' | ')} (optionally NAME:official or NAME:paper)` },
    { name: 'out', type: 'string', required: true, help: 'checkpoint folder' },
    { name: 'variant', type: 'string', default: 'official', choices: VARIANTS, help: 'variant of docs/spec.md, Decisions (objective, DDIM steps, inference weights)' },
    { name: 'mean', type: 'string', help: 'text mean (.npy [D]); default: computed from --embeddings' },
    { name: 'steps', type: 'int', min: 1, help: "optimiser steps in all, a resumed run included (default: the config's)" },
    { name: 'batch-size', type: 'int', min: 1, help: "batch size (default: the config's)" },
    { name: 'lr', type: 'number', above: 0, help: "learning rate (default: the config's)" },
    { name: 'micro-batch', type: 'int', min: 0, help: "rows per forward/backward pass, gradients summed over the batch (default: the config's; 0 = whole batch)" },
    { name: 'checkpoint-every', type: 'int', min: 1, help: "checkpoint interval in steps (default: the config's)" },
    { name: 'max-seconds', type: 'number', min: 0, help: 'stop (with a checkpoint) after this many seconds' },
    { name: 'resume', type: 'boolean', default: false, help: 'continue the checkpoint in --out (same settings)' },
    { name: 'force', type: 'boolean', default: false, help: 'replace the checkpoint in --out once the new run has finished' },
  ],
  check(args) {
    exclusive(args, 'resume', 'force');
    requireFile(args.embeddings, '--embeddings');
    if (args.mean !== undefined) requireFile(args.mean, '--mean');
  },
  async run(args) {
    await initBackend(args.backend);
    const out = args.out;
    const { data, n, d } = readEmbeddingMatrix(args.embeddings);
    const named = namedConfig(args.config, { length: d, variant: args.config.includes(':') ? undefined : args.variant });
    const given = args.mean === undefined ? null : readMean(args.mean, d);
    const folder = trainingFolder(out, {
      resume: args.resume, force: args.force, holdsRun: holdsDiffusionRun, kind: 'a diffusion checkpoint',
      inputs: { '--embeddings': args.embeddings, '--mean': args.mean },
    });
    let mean: Float32Array;
    try {
      const savedPath = join(out, 'text_mean.npy');
      const saved = folder.mode === 'resume' && checkpointExists(out) && existsSync(savedPath) ? readMean(savedPath, d) : null;
      if (saved && given && !sameValues(saved, given)) {
        throw new DbridgeError(`cannot resume ${out}: --mean ${args.mean} differs from the text mean the checkpoint was trained with (${savedPath}); drop --mean to keep it`);
      }
      mean = saved ?? given ?? modalityMean(data, n, d);
    } catch (e) {
      folder.abandon();
      throw e;
    }
    const z0 = preprocessRows(data, n, d, mean, named.model.radius);
    const model = DiffusionModel.create(named.model, args.seed);
    try {
      const over: Record<string, number> = {};
      if (args.steps !== undefined) over.steps = args.steps;
      if (args.batchSize !== undefined) over.batchSize = args.batchSize;
      if (args.lr !== undefined) over.lr = args.lr;
      if (args.checkpointEvery !== undefined) over.checkpointEvery = args.checkpointEvery;
      if (args.microBatch !== undefined) over.microBatch = args.microBatch;
      console.log(`train-diffusion: ${named.name}, ${model.paramCount().toLocaleString('en-US')} parameters, ${n} text embeddings of dimension ${d}, ` +
        `${over.steps ?? named.train.steps} steps -> ${out}${folder.mode === 'replace' ? ' (replacing it when done)' : ''}`);
      const res = await trainInto(folder, async (dir) => {
        // a fresh run writes its text mean; a resumed run keeps the checkpoint's
        if (!checkpointExists(dir)) writeNpy(join(dir, 'text_mean.npy'), { dtype: 'float32', shape: [d], data: mean });
        return trainDiffusion(model, z0, n, {
          ...named.train, ...over, seed: args.seed, outDir: dir, resume: folder.mode === 'resume',
          meta: { textMean: 'text_mean.npy' }, maxSeconds: args.maxSeconds, progress: !args.quiet,
        });
      });
      console.log(`trained steps ${res.startStep} -> ${res.endStep} in ${res.seconds.toFixed(1)} s (${res.stepsPerSecond.toFixed(2)} steps/s), ` +
        `last loss ${res.finalLoss.toPrecision(5)}; checkpoint and loss_curve.json in ${out}`);
    } finally {
      model.dispose();
    }
  },
});
export default spec;
