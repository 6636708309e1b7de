// `dbridge gap`: modality-gap statistics of one split of an embeddings folder (dbridge embed --out),
// printed as JSON (lib/embeddings/gap.ts): paired/unpaired/noisy cosines before and after
// preprocessing, centroid distance, linear separability.
import type { CommandSpec } from '../args.ts';
import { gapStatisticsFromDir } from '../../embeddings/gap.ts';
import { writeJsonAtomic } from '../../util/fs.ts';

const spec: CommandSpec = {
  name: 'gap',
  summary: 'modality-gap statistics of embedded data (JSON)',
  usage: '--embeddings DIR [--split val] [--out FILE.json]',
  options: [
    { name: 'embeddings', type: 'string', required: true, help: 'embeddings folder (dbridge embed --out)' },
    { name: 'split', type: 'string', default: 'val', help: 'split to measure' },
    { name: 'noise-variance', type: 'number', default: 0.016, help: 'variance of the Gaussian noise of the noisy-text rows' },
    { name: 'max-pairs', type: 'int', default: 20000, help: 'at most this many sampled pairs per statistic' },
    { name: 'out', type: 'string', help: 'also write the JSON to this file' },
  ],
  async run(args) {
    const stats = gapStatisticsFromDir(args.embeddings as string, args.split as string, {
      noiseVariance: args.noiseVariance as number, maxPairs: args.maxPairs as number, seed: args.seed as number,
    });
    if (args.out) writeJsonAtomic(args.out as string, stats);
    console.log(JSON.stringify(stats, null, 2));
  },
};

export default spec;
