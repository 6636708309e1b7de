// `dbridge world`: generates the built-in world (lib/world): PNG images, dataset_world.json
// (Karpathy format: train / val / test of one domain), pretrain_world.json (the encoder's
// pre-training pairs, both domains) and world.json. Reuses a folder that already holds the same
// world; a folder holding another world is replaced only with --force, and only once the new world
// is complete (it is generated in a temporary sibling). A folder holding anything else is refused.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand } from '../args.ts';
import { DbridgeError } from '../../util/errors.ts';
import { checkOutputDir, readJson, writeFolderAtomic } from '../../util/fs.ts';
import { LOCK_FILE, lockFolder } from '../../util/lock.ts';
import { generateWorld, sameConfig, type WorldMeta } from '../../world/index.ts';
import { DOMAINS, DOMAIN_SPECS } from '../../world/domains.ts';
import { SCALE_SIZES, WORLD_SCALES, worldSizes } from '../../world/scales.ts';
import { WORLD_FILES } from '../../world/splits.ts';

/** True when every entry of `dir` is one a world (complete or interrupted) writes. */
function onlyWorldFiles(dir: string): boolean {
  const mine = new Set<string>([...Object.values(WORLD_FILES), LOCK_FILE]);
  return readdirSync(dir).every((f) => mine.has(f) || f.endsWith('.tmp'));
}

const spec = defineCommand({
  name: 'world',
  summary: 'generate the built-in image-caption world (Karpathy JSON + PNG)',
  usage: '--scale smoke|mini --seed S --domain a|b --out DIR [--force]',
  description: [
    'Scales: ' + WORLD_SCALES.map((s) => `${s} (${Object.entries(SCALE_SIZES[s]).map(([k, v]) => `${k} ${v}`).join(', ')})`).join('; ') + '.',
    'Domains: ' + DOMAINS.map((d) => `${d} = ${DOMAIN_SPECS[d].description}`).join('; ') + '.',
    'The pre-training split depends only on scale and seed, so worlds of both domains made with one seed share it.',
    'A folder that holds this world is reused; one that holds another world is replaced only with --force.',
  ].join('\n'),
  options: [
    { name: 'out', type: 'string', required: true, help: 'output folder' },
    { name: 'scale', type: 'string', default: 'mini', choices: WORLD_SCALES, help: 'world size' },
    { name: 'domain', type: 'string', default: 'a', choices: DOMAINS, help: 'domain of the captioning splits' },
    { name: 'pretrain', type: 'int', min: 1, help: "override the scale's number of pre-training images" },
    { name: 'train', type: 'int', min: 1, help: "override the scale's number of train images" },
    { name: 'val', type: 'int', min: 1, help: "override the scale's number of val images" },
    { name: 'test', type: 'int', min: 1, help: "override the scale's number of test images" },
    { name: 'force', type: 'boolean', default: false, help: 'regenerate (replacing the folder once the new world is complete)' },
    { name: 'pretrain-from', type: 'string', help: 'a world of the same scale, sizes and seed whose pre-training split is reused (hard-linked) instead of rendered again' },
  ],
  check(args) {
    checkOutputDir(args.out, { what: '--out' });
  },
  async run(args) {
    const sizes: Record<string, number> = {};
    for (const k of ['pretrain', 'train', 'val', 'test'] as const) { const v = args[k]; if (v !== undefined) sizes[k] = v; }
    const opts = { scale: args.scale, seed: args.seed, domain: args.domain, sizes, quiet: args.quiet, pretrainFrom: args.pretrainFrom };
    const out = args.out;
    const metaPath = join(out, WORLD_FILES.meta);
    const lock = lockFolder(out);
    let meta: WorldMeta;
    try {
      if (existsSync(metaPath)) {
        const old = readJson<WorldMeta>(metaPath, 'world metadata');
        const same = sameConfig(old, args.scale, args.seed, args.domain, worldSizes(args.scale, sizes));
        if (!same && !args.force) {
          throw new DbridgeError(`--out ${out} holds another world (scale ${old.scale}, seed ${old.seed}, domain ${old.domain}); ` +
            'pass --force to replace it once the new one is complete, or choose another --out');
        }
        meta = same && !args.force ? generateWorld({ ...opts, outDir: out })
          : await writeFolderAtomic(out, (tmp) => generateWorld({ ...opts, outDir: tmp, force: true }));
      } else {
        if (!onlyWorldFiles(out)) throw new DbridgeError(`--out ${out} holds files that are not a generated world; choose a new or empty folder (nothing there is replaced)`);
        meta = generateWorld({ ...opts, outDir: out, force: args.force });
      }
    } finally {
      lock.release();
    }
    console.log(JSON.stringify({ out, scale: meta.scale, seed: meta.seed, domain: meta.domain, counts: meta.counts, seconds: meta.seconds }, null, 2));
  },
});

export default spec;
