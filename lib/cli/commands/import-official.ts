// `dbridge import-official`: turns a state dict of the official Unet1D (PyTorch key names, as a
// .safetensors file: `Unet1D.state_dict()`, or a Trainer1D checkpoint's `model` entry with the
// `model.` prefix and schedule buffers) into a dbridge diffusion checkpoint folder
// (lib/diffusion/model.ts) for the chosen variant (default official: what the weights were trained for).
import { basename } from 'node:path';
import type { CommandSpec } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { DbridgeError } from '../../util/errors.ts';
import { readSafetensors } from '../../io/safetensors.ts';
import { fileHash } from '../../util/hash.ts';
import { readNpy, writeNpy } from '../../io/npy.ts';
import { toFloat32 } from '../../io/dtype.ts';
import { join } from 'node:path';
import type { Unet1DConfig } from '../../diffusion/denoisers/types.ts';
import { createDenoiser, loadDenoiserWeights, unet1dFromTorchStateDict } from '../../diffusion/denoisers/index.ts';
import { DiffusionModel, diffusionConfig, checkVariant, writeCheckpointAtomically } from '../../diffusion/index.ts';

const spec: CommandSpec = {
  name: 'import-official',
  summary: 'turn an official Unet1D state dict into a dbridge checkpoint',
  usage: '--state-dict FILE.safetensors --dim 512 --init-dim 32 --dim-mults 1,2,4,8 --out DIR',
  description: 'The state dict must be a .safetensors file with the PyTorch key names of the official Unet1D\n' +
    '(convert a torch .pt with safetensors.torch.save_file(ckpt["model"], "x.safetensors")). The official\n' +
    'inference scripts use the raw weights (`model`), not `ema`.',
  options: [
    { name: 'state-dict', type: 'string', required: true, help: 'official Unet1D state dict (.safetensors)' },
    { name: 'out', type: 'string', required: true, help: 'checkpoint folder to write' },
    { name: 'dim', type: 'int', default: 512, help: 'Unet1D dim (width of the sinusoidal time embedding)' },
    { name: 'init-dim', type: 'int', default: 32, help: 'Unet1D init_dim' },
    { name: 'dim-mults', type: 'intlist', default: [1, 2, 4, 8], help: 'Unet1D dim_mults' },
    { name: 'length', type: 'int', default: 512, help: 'vector length L (the embedding dimension; official seq_length 512)' },
    { name: 'attn-heads', type: 'int', default: 4, help: 'attention heads' },
    { name: 'attn-dim-head', type: 'int', default: 32, help: 'attention head width' },
    { name: 'variant', type: 'string', default: 'official', choices: ['official', 'paper'], help: 'diffusion variant the weights belong to' },
    { name: 'text-mean', type: 'string', help: 'text mean (.npy, [D]) to store in the checkpoint folder' },
  ],
  async run(args) {
    await initBackend(args.backend as string | undefined);
    const file = args.stateDict as string;
    if (!file.endsWith('.safetensors')) {
      throw new DbridgeError(`--state-dict ${file}: expected a .safetensors file (convert a torch checkpoint with safetensors.torch.save_file(ckpt['model'], 'model.safetensors'))`);
    }
    const variant = args.variant as string;
    checkVariant(variant);
    const config: Unet1DConfig = {
      kind: 'unet1d', length: args.length as number, dim: args.dim as number, initDim: args.initDim as number,
      dimMults: args.dimMults as number[], attnHeads: args.attnHeads as number, attnDimHead: args.attnDimHead as number,
    };
    const dc = diffusionConfig(config, variant);
    const weights = unet1dFromTorchStateDict(readSafetensors(file).tensors, config, file);
    const net = createDenoiser(config, 0);
    loadDenoiserWeights(net, weights, file);
    const model = new DiffusionModel(net, dc);
    const out = args.out as string;
    let textMean: Float32Array | null = null;
    if (args.textMean) {
      textMean = toFloat32(readNpy(args.textMean as string));
      if (textMean.length !== config.length) throw new DbridgeError(`--text-mean has ${textMean.length} values, the model works on dimension ${config.length}`);
    }
    try {
      await writeCheckpointAtomically(out, async (tmp) => {
        if (textMean) writeNpy(join(tmp, 'text_mean.npy'), { dtype: 'float32', shape: [textMean.length], data: textMean });
        await model.save(tmp, {
          state: { step: 0 },
          meta: { ...(textMean ? { textMean: 'text_mean.npy' } : {}), source: { kind: 'official-state-dict', file: basename(file), sha256: fileHash(file) } },
        });
      });
      console.log(`imported ${file}: Unet1D(dim ${config.dim}, init_dim ${config.initDim}, dim_mults ${config.dimMults.join(',')}), ` +
        `${model.paramCount().toLocaleString('en-US')} parameters, L = ${config.length}, variant ${variant} -> ${out}`);
    } finally {
      model.dispose();
    }
  },
};
export default spec;
