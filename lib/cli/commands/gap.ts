// `dbridge gap`: modality-gap statistics of one split of an embeddings folder (dbridge embed --out),
// printed as JSON (lib/embeddings/gap.ts): paired/unpaired/noisy cosines before and after
// preprocessing, centroid distance, linear separability, and the gap panel (spectrum, relative
// modality gap, RBF-MMD, image-to-text recall; a row per --bridged file).
import { defineCommand } from '../args.ts';
import { gapStatisticsFromDir } from '../../embeddings/gap.ts';
import { DEFAULT_NOISE_VARIANCE } from '../../decoder/treatments.ts';
import { embeddingPaths } from '../../embeddings/layout.ts';
import { checkOutputFile, requireDir, writeJsonAtomic } from '../../util/fs.ts';
import { DbridgeError } from '../../util/errors.ts';

/** --bridged M=FILE.npy items -> { M, file }. */
function bridgedFiles(items: string[] | undefined): { M: number; file: string }[] {
  return (items ?? []).map((b) => {
    const m = /^(\d+)=(.+)$/.exec(b);
    if (!m) throw new DbridgeError(`--bridged: '${b}' is not M=FILE.npy`);
    return { M: Number(m[1]), file: m[2] };
  });
}

const spec = defineCommand({
  name: 'gap',
  summary: 'modality-gap statistics of embedded data (JSON)',
  usage: '--embeddings DIR [--split val] [--bridged M=FILE.npy,...] [--out FILE.json]',
  options: [
    { name: 'embeddings', type: 'string', required: true, help: 'embeddings folder (dbridge embed --out)' },
    { name: 'split', type: 'string', default: 'val', help: 'split to measure' },
    { name: 'noise-variance', type: 'number', default: DEFAULT_NOISE_VARIANCE, min: 0, help: 'variance of the Gaussian noise of the noisy-text rows' },
    { name: 'max-pairs', type: 'int', default: 20000, min: 1, help: 'at most this many sampled pairs per statistic' },
    { name: 'bridged', type: 'list', help: 'bridged image embeddings of the split as M=FILE.npy (dbridge bridge --output): a panel row per M' },
    { name: 'out', type: 'string', help: 'also write the JSON to this file' },
  ],
  check(args) {
    requireDir(args.embeddings, '--embeddings');
    bridgedFiles(args.bridged);
    if (args.out !== undefined) {
      const p = embeddingPaths(args.embeddings, args.split);
      checkOutputFile(args.out, { what: '--out', inputs: { 'the text embeddings': p.text, 'the image embeddings': p.image, 'the index': p.index, 'meta.json': p.meta } });
    }
  },
  async run(args) {
    const stats = gapStatisticsFromDir(args.embeddings, args.split, {
      noiseVariance: args.noiseVariance, maxPairs: args.maxPairs, seed: args.seed, bridged: bridgedFiles(args.bridged),
    });
    if (args.out) writeJsonAtomic(args.out, stats);
    console.log(JSON.stringify(stats, null, 2));
  },
});

export default spec;
