// `dbridge import-official`: turns a state dict of the official Unet1D (PyTorch key names, as a
// .safetensors file: `Unet1D.state_dict()`, or a Trainer1D checkpoint's `model` entry with the
// `model.` prefix and schedule buffers) into a dbridge diffusion checkpoint folder
// (lib/diffusion/model.ts) for the chosen variant (default official: what the weights were trained for).
// Defaults are the paper's Unet1D (PAPER_UNET1D). A folder that already holds a checkpoint is replaced
// only with --force, once the new one is complete; weights holding NaN or Inf are refused.
import { basename } from 'node:path';
import { defineCommand } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { DbridgeError, checkFinite } from '../../util/errors.ts';
import { readSafetensors } from '../../io/safetensors.ts';
import { fileHash } from '../../util/hash.ts';
import { readNpy, writeNpy } from '../../io/npy.ts';
import { toFloat32 } from '../../io/dtype.ts';
import { join } from 'node:path';
import type { Unet1DConfig } from '../../diffusion/denoisers/types.ts';
import { PAPER_UNET1D, createDenoiser, loadDenoiserWeights, unet1dFromTorchStateDict } from '../../diffusion/denoisers/index.ts';
import { checkFiniteTensors } from '../../nn/checkpoint.ts';
import { requireFile } from '../../util/fs.ts';
import { trainingFolder, trainInto } from '../outputs.ts';
import { existsSync } from 'node:fs';
import { DiffusionModel, diffusionConfig, checkVariant, writeCheckpointAtomically, VARIANTS } from '../../diffusion/index.ts';

const spec = defineCommand({
  name: 'import-official',
  summary: 'turn an official Unet1D state dict into a dbridge checkpoint',
  usage: '--state-dict FILE.safetensors --dim 512 --init-dim 32 --dim-mults 1,2,4,8 --out DIR',
  description: 'The state dict must be a .safetensors file with the PyTorch key names of the official Unet1D\n' +
    '(convert a torch .pt with safetensors.torch.save_file(ckpt["model"], "x.safetensors")). The official\n' +
    'inference scripts use the raw weights (`model`), not `ema`.',
  options: [
    { name: 'state-dict', type: 'string', required: true, help: 'official Unet1D state dict (.safetensors)' },
    { name: 'out', type: 'string', required: true, help: 'checkpoint folder to write' },
    { name: 'dim', type: 'int', default: PAPER_UNET1D.dim, min: 1, help: 'Unet1D dim (width of the sinusoidal time embedding)' },
    { name: 'init-dim', type: 'int', default: PAPER_UNET1D.initDim, min: 1, help: 'Unet1D init_dim' },
    { name: 'dim-mults', type: 'intlist', default: PAPER_UNET1D.dimMults, min: 1, help: 'Unet1D dim_mults' },
    { name: 'length', type: 'int', default: PAPER_UNET1D.length, min: 1, help: 'vector length L (the embedding dimension; official seq_length 512)' },
    { name: 'attn-heads', type: 'int', default: PAPER_UNET1D.attnHeads, min: 1, help: 'attention heads' },
    { name: 'attn-dim-head', type: 'int', default: PAPER_UNET1D.attnDimHead, min: 1, help: 'attention head width' },
    { name: 'variant', type: 'string', default: 'official', choices: VARIANTS, help: 'diffusion variant the weights belong to' },
    { name: 'text-mean', type: 'string', help: 'text mean (.npy, [D]) to store in the checkpoint folder' },
    { name: 'force', type: 'boolean', default: false, help: 'replace the checkpoint in --out once the new one is complete' },
  ],
  check(args) {
    if (!args.stateDict.endsWith('.safetensors')) {
      throw new DbridgeError(`--state-dict ${args.stateDict}: expected a .safetensors file (convert a torch checkpoint with safetensors.torch.save_file(ckpt['model'], 'model.safetensors'))`);
    }
    requireFile(args.stateDict, '--state-dict');
    if (args.textMean !== undefined) requireFile(args.textMean, '--text-mean');
  },
  async run(args) {
    await initBackend(args.backend);
    const file = args.stateDict;
    const variant = args.variant;
    checkVariant(variant);
    const config: Unet1DConfig = {
      kind: 'unet1d', length: args.length, dim: args.dim, initDim: args.initDim,
      dimMults: args.dimMults, attnHeads: args.attnHeads, attnDimHead: args.attnDimHead,
    };
    const dc = diffusionConfig(config, variant);
    const tensors = readSafetensors(file).tensors;
    checkFiniteTensors(tensors, file);
    const weights = unet1dFromTorchStateDict(tensors, config, file);
    const net = createDenoiser(config, 0);
    loadDenoiserWeights(net, weights, file);
    const model = new DiffusionModel(net, dc);
    const out = args.out;
    let textMean: Float32Array | null = null;
    if (args.textMean) {
      textMean = toFloat32(readNpy(args.textMean));
      if (textMean.length !== config.length) throw new DbridgeError(`--text-mean has ${textMean.length} values, the model works on dimension ${config.length}`);
      checkFinite(textMean, args.textMean);
    }
    try {
      const folder = trainingFolder(out, {
        resume: false, force: args.force, kind: 'a diffusion checkpoint', inputs: { '--state-dict': file, '--text-mean': args.textMean },
        holdsRun: (dir) => ['config.json', 'state.json', 'weights.safetensors', '.partial'].some((f) => existsSync(join(dir, f))),
      });
      await trainInto(folder, async (dir) => writeCheckpointAtomically(dir, async (tmp) => {
        if (textMean) writeNpy(join(tmp, 'text_mean.npy'), { dtype: 'float32', shape: [textMean.length], data: textMean });
        await model.save(tmp, {
          state: { step: 0 },
          meta: { ...(textMean ? { textMean: 'text_mean.npy' } : {}), source: { kind: 'official-state-dict', file: basename(file), sha256: fileHash(file) } },
        });
      }));
      console.log(`imported ${file}: Unet1D(dim ${config.dim}, init_dim ${config.initDim}, dim_mults ${config.dimMults.join(',')}), ` +
        `${model.paramCount().toLocaleString('en-US')} parameters, L = ${config.length}, variant ${variant} -> ${out}`);
    } finally {
      model.dispose();
    }
  },
});
export default spec;
