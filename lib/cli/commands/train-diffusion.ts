// `dbridge train-diffusion`: trains the diffusion model on raw text embeddings (docs/spec.md §1): computes
// the text mean from the file (or takes --mean) and stores it in the output folder, preprocesses,
// and trains a named config (smoke | mini | paper | resmlp) in a variant (official | paper), with
// checkpoints every N steps, --resume, a progress bar and loss_curve.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandSpec } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { DbridgeError } from '../../util/errors.ts';
import { readEmbeddingMatrix, writeNpy } from '../../io/npy.ts';
import { modalityMean, preprocessRows } from '../../embeddings/index.ts';
import { DiffusionModel, namedConfig, trainDiffusion, SCALE_NAMES, SCALES, checkVariant } from '../../diffusion/index.ts';
import { checkpointExists } from '../../nn/checkpoint.ts';
import { readMean } from './bridge.ts';

const spec: CommandSpec = {
  name: 'train-diffusion',
  summary: 'train the diffusion model on text embeddings',
  usage: '--embeddings text.npy --config NAME --out DIR [--steps N] [--resume]',
  description: 'Configs: ' + SCALE_NAMES.map((n) => `${n} (${SCALES[n].description})`).join('; ') + '.\n' +
    'The text mean is computed from --embeddings (the train split) unless --mean is given, and saved as DIR/text_mean.npy.',
  options: [
    { name: 'embeddings', type: 'string', required: true, help: 'raw text embeddings of the train split (.npy [N, D])' },
    { name: 'config', type: 'string', required: true, help: `named config: ${SCALE_NAMES.join(' | ')} (optionally NAME:official or NAME:paper)` },
    { name: 'out', type: 'string', required: true, help: 'checkpoint folder' },
    { name: 'variant', type: 'string', default: 'official', choices: ['official', 'paper'], help: 'variant of docs/spec.md, Decisions (objective, DDIM steps, inference weights)' },
    { name: 'mean', type: 'string', help: 'text mean (.npy [D]); default: computed from --embeddings' },
    { name: 'steps', type: 'int', help: "optimiser steps (default: the config's)" },
    { name: 'batch-size', type: 'int', help: "batch size (default: the config's)" },
    { name: 'lr', type: 'number', help: "learning rate (default: the config's)" },
    { name: 'micro-batch', type: 'int', help: "rows per forward/backward pass, gradients summed over the batch (default: the config's; 0 = whole batch)" },
    { name: 'checkpoint-every', type: 'int', help: "checkpoint interval in steps (default: the config's)" },
    { name: 'max-seconds', type: 'number', help: 'stop (with a checkpoint) after this many seconds' },
    { name: 'resume', type: 'boolean', default: false, help: 'continue from the checkpoint in --out' },
  ],
  async run(args) {
    await initBackend(args.backend as string | undefined);
    const out = args.out as string;
    const variant = args.variant as string;
    checkVariant(variant);
    const { data, n, d } = readEmbeddingMatrix(args.embeddings as string);
    const meanPath = join(out, 'text_mean.npy');
    let mean: Float32Array;
    if (args.mean) mean = readMean(args.mean as string, d);
    else if (args.resume && existsSync(meanPath) && checkpointExists(out)) mean = readMean(meanPath, d);
    else mean = modalityMean(data, n, d);
    const named = namedConfig(args.config as string, { length: d, variant: (args.config as string).includes(':') ? undefined : variant });
    if (!args.resume && checkpointExists(out)) throw new DbridgeError(`${out} already holds a checkpoint; pass --resume to continue it or choose another --out`);
    writeNpy(meanPath, { dtype: 'float32', shape: [d], data: mean });
    const z0 = preprocessRows(data, n, d, mean, named.model.radius);
    const model = DiffusionModel.create(named.model, args.seed as number);
    try {
      const over: Record<string, number> = {};
      for (const k of ['steps', 'batchSize', 'lr', 'checkpointEvery', 'microBatch'] as const) if (args[k] !== undefined) over[k] = args[k] as number;
      console.log(`train-diffusion: ${named.name}, ${model.paramCount().toLocaleString('en-US')} parameters, ${n} text embeddings of dimension ${d}, ` +
        `${over.steps ?? named.train.steps} steps -> ${out}`);
      const res = await trainDiffusion(model, z0, n, {
        ...named.train, ...over, seed: args.seed as number, outDir: out, resume: args.resume as boolean,
        meta: { textMean: 'text_mean.npy' }, maxSeconds: args.maxSeconds as number | undefined, progress: !args.quiet,
      });
      console.log(`trained steps ${res.startStep} -> ${res.endStep} in ${res.seconds.toFixed(1)} s (${res.stepsPerSecond.toFixed(2)} steps/s), ` +
        `last loss ${res.finalLoss.toPrecision(5)}; checkpoint and loss_curve.json in ${out}`);
    } finally {
      model.dispose();
    }
  },
};
export default spec;
