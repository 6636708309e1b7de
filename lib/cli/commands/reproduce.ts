// `dbridge reproduce` (npm run reproduce): every table of the paper on a dataset at a scale, with
// the paper's numbers beside ours, written to results/<dataset>-<scale>/ and printed as markdown.
import { join } from 'node:path';
import { defineCommand } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { resolveConfig, resultsDirName } from '../../experiments/config.ts';
import { reproduce, TABLE_IDS } from '../../experiments/run.ts';
import { REPO_ROOT } from '../../util/provenance.ts';
import { checkOutputDir } from '../../util/fs.ts';
import { AUDIO_DATASETS, isAudioDataset } from '../../experiments/audio-config.ts';
import { DbridgeError } from '../../util/errors.ts';

const spec = defineCommand({
  name: 'reproduce',
  summary: "reproduce every table of the paper (Tables 1-5 and the cost) with the paper's numbers beside ours",
  usage: '[--dataset world|coco|flickr30k|sound|audiocaps|clotho] [--scale smoke|mini|paper] [--variant official|paper] [--seed S] [--tables table1,...]',
  description: [
    'Stages (world, encoder, embeddings, diffusion model, augmentation, decoders, captions, scores) are cached under',
    '--cache by a hash of their settings and inputs: re-running reuses finished work, an interrupted run resumes, and',
    'a changed setting recomputes only what depends on it. Results: <out>/table1..5.{json,csv,md}, cost.*, summary.md.',
    'Audio (--dataset sound|audiocaps|clotho): the audio table instead (captioning, gap panel, retrieval) with Plain,',
    'noise injection, DeCap, Diffusion Bridge, Diffusion-Link and DiffGAP: <out>/audio_*.{json,csv,md} (docs/audio.md).',
  ].join('\n'),
  options: [
    { name: 'dataset', type: 'string', default: 'world', choices: ['world', 'coco', 'flickr30k', ...AUDIO_DATASETS], help: 'built-in world or real data (see dbridge check-data); sound / audiocaps / clotho: the audio table' },
    { name: 'scale', type: 'string', default: 'mini', choices: ['smoke', 'mini', 'paper'], help: 'smoke (seconds per stage), mini (default, ~15 min on 2 CPU cores), paper (real data, GPU)' },
    { name: 'variant', type: 'string', default: 'official', choices: ['official', 'paper'], help: 'what the released code does, or what the paper text says (docs/spec.md, Decisions)' },
    { name: 'denoiser', type: 'string', choices: ['unet1d', 'resmlp'], help: 'override the scale\'s denoiser: unet1d = the official structure (at world mini a narrowed one, MINI_WORLD_UNET; elsewhere the scale\'s preset), resmlp = a ResMLP (the world mini default: faster on CPU)' },
    { name: 'diffusion-steps', type: 'int', min: 1, help: 'training steps of the diffusion model(s) (default: the scale\'s; at world mini the narrowed Unet1D bridges after 3000, docs/experiments.md)' },
    { name: 'tables', type: 'list', choices: TABLE_IDS, help: `subset of ${TABLE_IDS.join(',')}` },
    { name: 'out', type: 'string', help: 'results folder (default results/<dataset>-<scale>[-<variant>])' },
    { name: 'cache', type: 'string', default: join(REPO_ROOT, 'data', 'cache'), help: 'stage cache folder' },
    { name: 'data-root', type: 'string', default: join(REPO_ROOT, 'data'), help: 'where coco/ and flickr30k/ live (real data)' },
    { name: 'clip-model', type: 'string', default: join(REPO_ROOT, 'models', 'clip-vit-base-patch32'), help: 'CLIP folder (transformers.js layout) or hub id, for real data' },
    { name: 'clap-model', type: 'string', default: join(REPO_ROOT, 'models', 'clap-htsat-unfused'), help: 'CLAP folder (transformers.js layout) or hub id, for audiocaps / clotho' },
    { name: 'gpt2', type: 'string', default: join(REPO_ROOT, 'models', 'gpt2'), help: 'Hugging Face GPT-2 folder for --scale paper' },
  ],
  check(args) {
    if (isAudioDataset(args.dataset) && (args.tables !== undefined || args.denoiser !== undefined || args.diffusionSteps !== undefined)) {
      throw new DbridgeError('--tables, --denoiser and --diffusion-steps apply to the image tables; the audio table runs all of its panels (docs/audio.md)');
    }
    if (args.out !== undefined) checkOutputDir(args.out, { what: '--out', inputs: { '--cache': args.cache, '--data-root': args.dataRoot } });
    checkOutputDir(args.cache, { what: '--cache' });
  },
  async run(args) {
    const backend = await initBackend(args.backend);
    if (isAudioDataset(args.dataset)) {
      const { resolveAudioConfig } = await import('../../experiments/audio-config.ts');
      const { reproduceAudio } = await import('../../experiments/audio-run.ts');
      const cfg = resolveAudioConfig({
        dataset: args.dataset, scale: args.scale, variant: args.variant, seed: args.seed,
        dataRoot: args.dataRoot, clapModel: args.clapModel, gpt2: args.gpt2,
      });
      const outDir = args.out ?? join(REPO_ROOT, 'results', resultsDirName(cfg as never));
      const r = await reproduceAudio({ cfg, backend, outDir, cacheRoot: args.cache });
      console.log(r.summary);
      console.error(`dbridge: results written to ${outDir}`);
      return;
    }
    const cfg = resolveConfig({
      dataset: args.dataset, scale: args.scale, variant: args.variant, seed: args.seed,
      dataRoot: args.dataRoot, clipModel: args.clipModel, gpt2: args.gpt2, denoiser: args.denoiser, diffusionSteps: args.diffusionSteps,
    });
    const overrides = [args.denoiser, args.diffusionSteps === undefined ? undefined : `steps${args.diffusionSteps}`].filter((x) => x !== undefined).join('-');
    const outDir = args.out ?? join(REPO_ROOT, 'results', resultsDirName(cfg, overrides || undefined));
    const r = await reproduce({ cfg, backend, outDir, cacheRoot: args.cache, tables: args.tables });
    console.log(r.summary);
    console.error(`dbridge: results written to ${outDir}`);
  },
});
export default spec;
