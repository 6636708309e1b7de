// `dbridge world`: generates the built-in world (lib/world): PNG images, dataset_world.json
// (Karpathy format: train / val / test of one domain), pretrain_world.json (the encoder's
// pre-training pairs, both domains) and world.json. Reuses a folder that already holds the same world.
import type { CommandSpec } from '../args.ts';
import { generateWorld } from '../../world/index.ts';
import { DOMAINS, DOMAIN_SPECS } from '../../world/domains.ts';
import { SCALE_SIZES, WORLD_SCALES } from '../../world/scales.ts';

const spec: CommandSpec = {
  name: 'world',
  summary: 'generate the built-in image-caption world (Karpathy JSON + PNG)',
  usage: '--scale smoke|mini --seed S --domain a|b --out DIR',
  description: [
    'Scales: ' + WORLD_SCALES.map((s) => `${s} (${Object.entries(SCALE_SIZES[s]).map(([k, v]) => `${k} ${v}`).join(', ')})`).join('; ') + '.',
    'Domains: ' + DOMAINS.map((d) => `${d} = ${DOMAIN_SPECS[d].description}`).join('; ') + '.',
    'The pre-training split depends only on scale and seed, so worlds of both domains made with one seed share it.',
  ].join('\n'),
  options: [
    { name: 'out', type: 'string', required: true, help: 'output folder' },
    { name: 'scale', type: 'string', default: 'mini', choices: WORLD_SCALES, help: 'world size' },
    { name: 'domain', type: 'string', default: 'a', choices: DOMAINS, help: 'domain of the captioning splits' },
    { name: 'pretrain', type: 'int', help: "override the scale's number of pre-training images" },
    { name: 'train', type: 'int', help: "override the scale's number of train images" },
    { name: 'val', type: 'int', help: "override the scale's number of val images" },
    { name: 'test', type: 'int', help: "override the scale's number of test images" },
    { name: 'force', type: 'boolean', default: false, help: 'regenerate even when the folder holds this world' },
  ],
  async run(args) {
    const sizes: Record<string, number> = {};
    for (const k of ['pretrain', 'train', 'val', 'test']) if (args[k] !== undefined) sizes[k] = args[k] as number;
    const meta = generateWorld({
      scale: args.scale as string, seed: args.seed as number, domain: args.domain as string, outDir: args.out as string,
      sizes, force: args.force as boolean, quiet: args.quiet as boolean,
    });
    console.log(JSON.stringify({ out: args.out, scale: meta.scale, seed: meta.seed, domain: meta.domain, counts: meta.counts, seconds: meta.seconds }, null, 2));
  },
};

export default spec;
