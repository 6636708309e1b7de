// `dbridge info`: parameter counts per submodule and FLOPs per call of a denoiser, from a named
// config (denoiser presets, or the diffusion scales of lib/diffusion/configs.ts), an explicit
// Unet1D shape, or a checkpoint folder (its config.json's `denoiser` field). No tensors are built.
// Counting rule: see lib/diffusion/flops.ts (torch.utils.flop_counter's; docs/spec.md §1.2).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand } from '../args.ts';
import { DbridgeError } from '../../util/errors.ts';
import { readJson } from '../../util/fs.ts';
import type { DenoiserConfig } from '../../diffusion/denoisers/types.ts';
import { DENOISER_PRESETS, PAPER_UNET1D, denoiserPreset, denoiserParamsPerModule, validateDenoiserConfig } from '../../diffusion/denoisers/index.ts';
import { denoiserCost } from '../../diffusion/flops.ts';
import { DDIM_STEPS } from '../../diffusion/model.ts';

async function configFromName(name: string, length: number | undefined): Promise<DenoiserConfig> {
  // the diffusion scales first (what `train-diffusion --config NAME` builds), then the denoiser presets
  const { SCALES } = await import('../../diffusion/configs.ts');
  const scale = SCALES[name.split(':')[0]];
  if (scale) return scale.denoiser(length ?? 512);
  if (DENOISER_PRESETS[name]) {
    const c = denoiserPreset(name);
    return length ? { ...c, length } : c;
  }
  throw new DbridgeError(`unknown config '${name}' (diffusion scales: ${Object.keys(SCALES).join(', ')}; denoiser presets: ${Object.keys(DENOISER_PRESETS).join(', ')})`);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

const spec = defineCommand({
  name: 'info',
  summary: 'parameter counts and FLOPs of a denoiser config or checkpoint',
  usage: '--config paper|small|resmlp|... [--length L] | --checkpoint DIR | --dim 512 --init-dim 32 --dim-mults 1,2,4,8 [--length 512]',
  description: 'FLOPs are per denoiser call at batch 1, counted as torch.utils.flop_counter counts them (2 per multiply-accumulate of ' +
    'convolutions, linear layers and attention products; norms and activations not counted). "conv+linear MACs" is the thop-style ' +
    'figure the paper quotes (5 calls x 0.3258 G = 1.63 G for the paper config).',
  options: [
    { name: 'config', type: 'string', help: `a diffusion scale (smoke, mini, paper, resmlp; vector length --length, default 512) or a denoiser preset (${Object.keys(DENOISER_PRESETS).join(', ')})` },
    { name: 'checkpoint', type: 'string', help: 'a checkpoint folder (reads config.json)' },
    { name: 'dim', type: 'int', min: 1, help: 'Unet1D time-embedding width (with --init-dim and --dim-mults)' },
    { name: 'init-dim', type: 'int', min: 1, help: 'Unet1D channels of the first level' },
    { name: 'dim-mults', type: 'intlist', min: 1, help: 'Unet1D channel multipliers, e.g. 1,2,4,8' },
    { name: 'length', type: 'int', min: 1, help: 'vector length L (default: the preset\'s, or 512)' },
    { name: 'calls', type: 'int', default: DDIM_STEPS.official, min: 1, help: 'denoiser calls per bridged embedding, for the per-embedding total' },
    { name: 'json', type: 'boolean', default: false, help: 'print JSON instead of a table' },
  ],
  async run(args) {
    const length = args.length;
    const sources = [args.config, args.checkpoint, args.dim ?? args.initDim ?? args.dimMults].filter((v) => v !== undefined);
    if (sources.length !== 1) throw new DbridgeError('give exactly one of --config NAME, --checkpoint DIR, or --dim/--init-dim/--dim-mults');
    let config: DenoiserConfig;
    let source: string;
    if (args.checkpoint !== undefined) {
      const dir = args.checkpoint;
      const file = join(dir, 'config.json');
      if (!existsSync(file)) throw new DbridgeError(`checkpoint ${dir} has no config.json`);
      const c = readJson<{ denoiser?: DenoiserConfig }>(file, 'checkpoint config');
      if (!c || typeof c !== 'object' || !c.denoiser) throw new DbridgeError(`${file} has no 'denoiser' field`);
      config = c.denoiser;
      source = `checkpoint ${dir}`;
    } else if (args.config !== undefined) {
      config = await configFromName(args.config, length);
      source = `config ${args.config}`;
    } else {
      if (args.dim === undefined || args.initDim === undefined || args.dimMults === undefined) {
        throw new DbridgeError('an explicit Unet1D needs all of --dim, --init-dim and --dim-mults');
      }
      config = { ...PAPER_UNET1D, length: length ?? PAPER_UNET1D.length, dim: args.dim, initDim: args.initDim, dimMults: args.dimMults };
      source = 'explicit Unet1D';
    }
    validateDenoiserConfig(config);
    const cost = denoiserCost(config);
    const perModule = denoiserParamsPerModule(config);
    const calls = args.calls;
    if (args.json) {
      console.log(JSON.stringify({ source, config, ...cost, paramsPerModule: perModule, calls, gmacsConvLinearPerEmbedding: (calls * cost.macsConvLinear) / 1e9 }, null, 2));
      return;
    }
    const w = Math.max(...perModule.map(([m]) => m.length), 10);
    const macs = new Map(cost.macsPerModule);
    const lines = [
      `${source}: ${JSON.stringify(config)}`,
      '',
      `${'submodule'.padEnd(w)}  ${'params'.padStart(12)}  ${'conv+linear MACs'.padStart(17)}`,
      ...perModule.map(([m, n]) => `${m.padEnd(w)}  ${fmt(n).padStart(12)}  ${fmt(macs.get(m) ?? 0).padStart(17)}`),
      `${'total'.padEnd(w)}  ${fmt(cost.params).padStart(12)}  ${fmt(cost.macsConvLinear).padStart(17)}`,
      '',
      `per call (batch 1): conv+linear ${(cost.macsConvLinear / 1e9).toFixed(4)} GMACs, attention ${(cost.macsAttention / 1e9).toFixed(4)} GMACs, ` +
        `total ${(cost.flopsTotal / 1e9).toFixed(4)} GFLOPs`,
      `per bridged embedding (${calls} calls): conv+linear ${((calls * cost.macsConvLinear) / 1e9).toFixed(3)} GMACs, total ${((calls * cost.flopsTotal) / 1e9).toFixed(3)} GFLOPs`,
    ];
    console.log(lines.join('\n'));
  },
});
export default spec;
