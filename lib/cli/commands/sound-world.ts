// `dbridge sound-world`: generates the built-in sound world (lib/world/sound): WAV clips, AudioCaps
// CSVs per captioning split, dataset_sound.json (Karpathy format), pretrain_sound.json (the encoder's
// pre-training clips, both domains) and sound.json. Reuses a folder that already holds the same world.
// Train its encoder with `dbridge train-encoder --world DIR` and embed it with `dbridge embed
// --encoder ENC --world DIR` (both recognise a sound world by its sound.json).
import type { CommandSpec } from '../args.ts';
import { generateSoundWorld } from '../../world/sound/generate.ts';
import { SOUND_DOMAINS, SOUND_DOMAIN_SPECS } from '../../world/sound/domains.ts';
import { SOUND_SCALES, SOUND_SCALE_SIZES } from '../../world/sound/scales.ts';

const spec: CommandSpec = {
  name: 'sound-world',
  summary: 'generate the built-in sound world (WAV + AudioCaps CSV + Karpathy JSON)',
  usage: '--scale smoke|mini --seed S --domain a|b --out DIR',
  description: [
    'Scales: ' + SOUND_SCALES.map((s) => `${s} (${Object.entries(SOUND_SCALE_SIZES[s]).map(([k, v]) => `${k} ${v}`).join(', ')})`).join('; ') + '.',
    'Domains: ' + SOUND_DOMAINS.map((d) => `${d} = ${SOUND_DOMAIN_SPECS[d].description}`).join('; ') + '.',
    'The pre-training split depends only on scale and seed, so worlds of both domains made with one seed share it.',
  ].join('\n'),
  options: [
    { name: 'out', type: 'string', required: true, help: 'output folder' },
    { name: 'scale', type: 'string', default: 'mini', choices: SOUND_SCALES, help: 'world size' },
    { name: 'domain', type: 'string', default: 'a', choices: SOUND_DOMAINS, help: 'domain of the captioning splits' },
    { name: 'pretrain', type: 'int', help: "override the scale's number of pre-training clips" },
    { name: 'train', type: 'int', help: "override the scale's number of train clips" },
    { name: 'val', type: 'int', help: "override the scale's number of val clips" },
    { name: 'test', type: 'int', help: "override the scale's number of test clips" },
    { name: 'force', type: 'boolean', default: false, help: 'regenerate even when the folder holds this world' },
  ],
  async run(args) {
    const sizes: Record<string, number> = {};
    for (const k of ['pretrain', 'train', 'val', 'test']) if (args[k] !== undefined) sizes[k] = args[k] as number;
    const meta = generateSoundWorld({
      scale: args.scale as string, seed: args.seed as number, domain: args.domain as string, outDir: args.out as string,
      sizes, force: args.force as boolean, quiet: args.quiet as boolean,
    });
    console.log(JSON.stringify({ out: args.out, scale: meta.scale, seed: meta.seed, domain: meta.domain, counts: meta.counts, seconds: meta.seconds }, null, 2));
  },
};

export default spec;
