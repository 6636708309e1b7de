// `dbridge embed`: embed a dataset with an encoder into the layout of lib/embeddings/layout.ts.
//   CLIP on MSCOCO / Flickr30K:  --model DIR_OR_ID --dataset coco|flickr30k --karpathy FILE --images DIR --out DIR
//   the world's encoder:         --encoder DIR --world DIR --out DIR
//   CLAP on AudioCaps / Clotho:  --model DIR_OR_ID --dataset audiocaps|clotho --captions split=CSV,... --audio DIR --out DIR
// Batched, with a progress bar, in resumable shards (lib/embed/embed.ts): rerun the same command after
// an interruption and it continues where it stopped. Ctrl-C stops after the current batch.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineCommand, type ArgsOf, type OptionSpec } from '../args.ts';
import { checkOutputDir } from '../../util/fs.ts';
import { lockFolder } from '../../util/lock.ts';
import { initBackend } from '../../backend.ts';
import { DbridgeError } from '../../util/errors.ts';
import { loadKarpathy } from '../../data/karpathy.ts';
import { loadAudioCaptions } from '../../data/audiocaps.ts';
import type { Encoder } from '../../encoders/types.ts';
import { loadWorldEncoder } from '../../world/encoder.ts';
import { embedDataset, type EmbedOptions, type EmbedSplit, type EmbedItem, type Media } from '../../embed/embed.ts';
import {
  audioEmbedSplits, audioFolderLoader, findKarpathyJson, folderFingerprint, imageFolderLoader, karpathyEmbedSplits, missingMedia,
} from '../../embed/sources.ts';
import { DTYPE_SUFFIX } from '../../encoders/hf.ts';
import { SOUND_FILES } from '../../world/sound/scales.ts';
import { provenance } from '../../util/provenance.ts';

const EMBED_OPTIONS = [
  { name: 'out', type: 'string', required: true, help: 'output folder' },
  { name: 'model', type: 'string', help: 'CLIP (or CLAP) model: a transformers.js folder or a hub id (hub ids need --allow-download)' },
  { name: 'dataset', type: 'string', help: 'coco | flickr30k | audiocaps | clotho (with --model); optional check for --world' },
  { name: 'karpathy', type: 'string', help: 'Karpathy split JSON (dataset_coco.json / dataset_flickr30k.json; for --world: default the folder\'s JSON)' },
  { name: 'images', type: 'string', help: 'image folder the Karpathy file paths are relative to (--world: default the world folder)' },
  { name: 'encoder', type: 'string', help: 'trained world encoder folder (dbridge train-encoder --out)' },
  { name: 'world', type: 'string', help: 'generated world folder (dbridge world --out)' },
  { name: 'captions', type: 'list', help: 'audio caption CSVs per split: train=FILE,val=FILE,test=FILE' },
  { name: 'audio', type: 'string', help: 'folder of WAV clips for --captions' },
  { name: 'file-template', type: 'string', help: "AudioCaps clip file name pattern ({youtube_id}, {start_time}, {audiocap_id}; default '{youtube_id}.wav')" },
  { name: 'splits', type: 'list', help: 'embed only these splits (default: all in the file; restval is merged into train)' },
  { name: 'limit', type: 'int', min: 1, help: 'embed only the first N items of each split (a quick trial of the set-up; means then come from those)' },
  { name: 'batch-size', type: 'int', default: 64, min: 1, help: 'images/clips per encoder call' },
  { name: 'text-batch-size', type: 'int', default: 256, min: 1, help: 'captions per encoder call' },
  { name: 'shard-size', type: 'int', default: 1024, min: 1, help: 'items per resumable shard (changing it restarts a partial run)' },
  { name: 'device', type: 'string', help: 'ONNX Runtime device for CLIP/CLAP: cpu (default) | cuda | webgpu | dml' },
  { name: 'dtype', type: 'string', help: 'ONNX weight variant: fp32 (default) | fp16 | q8 | ...' },
  { name: 'allow-download', type: 'boolean', default: false, help: 'allow downloading a hub id given to --model (also env DBRIDGE_ALLOW_DOWNLOAD=1)' },
  { name: 'keep-shards', type: 'boolean', default: false, help: 'keep OUT/.partial after finishing' },
  { name: 'skip-missing-check', type: 'boolean', default: false, help: 'do not check that every media file exists before starting' },
] as const satisfies readonly OptionSpec[];

const IMAGE_SETS = ['coco', 'flickr30k'];
const AUDIO_SETS = ['audiocaps', 'clotho'];

/** Parses --captions 'train=a.csv,val=b.csv' into split/file pairs. */
function captionFiles(list: string[]): { split: string; file: string }[] {
  return list.map((entry) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new DbridgeError(`--captions: expected SPLIT=FILE entries (e.g. train=data/audiocaps/train.csv), got '${entry}'`);
    return { split: entry.slice(0, eq), file: entry.slice(eq + 1) };
  });
}

async function loadWorld(encoderDir: string): Promise<Encoder> {
  return loadWorldEncoder(encoderDir);
}

/** Content hash of a transformers.js model folder's files (or the hub id and dtype when it is not a folder). */
function hfFingerprint(model: string, onnx: string[], dtype = 'fp32'): string {
  if (!existsSync(model)) return `hub:${model}:${dtype}`;
  const suffix = DTYPE_SUFFIX[dtype] ?? '';
  return folderFingerprint(model, [
    'config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json', ...onnx.map((o) => `onnx/${o}${suffix}.onnx`),
  ], { dtype, preprocess: 'pil' });
}

export interface EmbedPlan {
  /** Identifies the encoder's weights (folder content hash, or the hub id) for the resume fingerprint. */
  fingerprint: () => string;
  dataset: string;
  modality: 'image' | 'audio';
  splits: EmbedSplit[];
  mediaDir: string;
  loadMedia: (item: EmbedItem) => Promise<Media>;
  encoder: () => Promise<Encoder>;
  extraMeta: Record<string, unknown>;
}

/** Works out what to embed from the options, checking everything that can be checked before loading models. */
export function planEmbed(args: ArgsOf<typeof EMBED_OPTIONS>): EmbedPlan {
  const only = args.splits;
  const hf = {
    device: args.device,
    dtype: args.dtype,
    allowDownload: args.allowDownload ? true : undefined,
  };
  if (args.encoder !== undefined || args.world !== undefined) {
    if (args.model !== undefined) throw new DbridgeError('embed: give either --model (CLIP/CLAP) or --encoder with --world (the world encoder), not both');
    if (args.encoder === undefined) throw new DbridgeError('embed: --world needs --encoder DIR (the trained world encoder)');
    if (args.world === undefined) throw new DbridgeError('embed: --encoder needs --world DIR (the generated world)');
    const worldDir = args.world, encoderDir = args.encoder;
    if (existsSync(join(worldDir, SOUND_FILES.meta))) {
      // the sound world: its clips are WAVs, the encoder the sound world's (audio.npy per split)
      const file = args.karpathy ?? join(worldDir, SOUND_FILES.dataset);
      const ds = loadKarpathy(file, { dataset: 'sound', mergeRestval: true });
      const mediaDir = args.audio ?? worldDir;
      return {
        fingerprint: () => folderFingerprint(encoderDir, ['weights.safetensors', 'config.json']),
        dataset: 'sound', modality: 'audio', splits: karpathyEmbedSplits(ds, only), mediaDir, loadMedia: audioFolderLoader(mediaDir),
        encoder: async () => (await import('../../world/sound/encoder.ts')).loadSoundEncoder(encoderDir),
        extraMeta: { encoder_path: resolve(encoderDir), karpathy: resolve(file), media_dir: resolve(mediaDir) },
      };
    }
    const file = args.karpathy ?? findKarpathyJson(worldDir);
    const ds = loadKarpathy(file, { dataset: args.dataset, mergeRestval: true });
    const mediaDir = args.images ?? worldDir;
    const splits = karpathyEmbedSplits(ds, only);
    return {
      fingerprint: () => folderFingerprint(encoderDir, ['weights.safetensors', 'config.json']),
      dataset: ds.dataset === 'unknown' ? 'world' : ds.dataset, modality: 'image', splits, mediaDir,
      loadMedia: imageFolderLoader(mediaDir),
      encoder: () => loadWorld(encoderDir),
      extraMeta: { encoder_path: resolve(encoderDir), karpathy: resolve(file), media_dir: resolve(mediaDir) },
    };
  }
  if (args.model === undefined) throw new DbridgeError('embed: give --model DIR_OR_ID (CLIP/CLAP) or --encoder DIR --world DIR; see dbridge embed --help');
  const dataset = args.dataset;
  if (!dataset) throw new DbridgeError(`embed: --model needs --dataset (${[...IMAGE_SETS, ...AUDIO_SETS].join(' | ')})`);
  const model = args.model;
  if (IMAGE_SETS.includes(dataset)) {
    if (!args.karpathy) throw new DbridgeError(`embed: --dataset ${dataset} needs --karpathy FILE (dataset_${dataset}.json)`);
    if (!args.images) throw new DbridgeError(`embed: --dataset ${dataset} needs --images DIR (the image folder)`);
    const ds = loadKarpathy(args.karpathy, { dataset, mergeRestval: true });
    const splits = karpathyEmbedSplits(ds, only);
    const mediaDir = args.images;
    return {
      fingerprint: () => hfFingerprint(model, ['text_model', 'vision_model'], hf.dtype),
      dataset, modality: 'image', splits, mediaDir, loadMedia: imageFolderLoader(mediaDir),
      encoder: async () => (await import('../../encoders/clip.ts')).loadClipEncoder(model, hf),
      extraMeta: { model, karpathy: resolve(args.karpathy), media_dir: resolve(mediaDir), onnx_device: hf.device ?? 'cpu', onnx_dtype: hf.dtype ?? 'fp32' },
    };
  }
  if (AUDIO_SETS.includes(dataset)) {
    const list = args.captions;
    if (!list?.length) throw new DbridgeError(`embed: --dataset ${dataset} needs --captions SPLIT=CSV,... (e.g. train=train.csv,val=val.csv,test=test.csv)`);
    if (!args.audio) throw new DbridgeError(`embed: --dataset ${dataset} needs --audio DIR (the WAV folder)`);
    const sets = captionFiles(list).map(({ split, file }) => ({
      split, set: loadAudioCaptions(file, { format: dataset as 'audiocaps' | 'clotho', fileTemplate: args.fileTemplate }),
    }));
    const mediaDir = args.audio;
    // Clotho ships its audio per subset (audio/development/, audio/validation/, audio/evaluation/): when the
    // CSV is clotho_captions_<subset>.csv and <audio>/<subset>/ exists, clip paths get that prefix.
    for (const { set } of sets) {
      const subset = /clotho_captions_(\w+)\.csv$/.exec(set.file)?.[1];
      if (dataset === 'clotho' && subset && existsSync(join(mediaDir, subset))) for (const c of set.clips) c.file = join(subset, c.file);
    }
    let splits = audioEmbedSplits(sets);
    if (only) splits = splits.filter((s) => only.includes(s.name));
    return {
      fingerprint: () => hfFingerprint(model, ['text_model', 'audio_model'], hf.dtype),
      dataset, modality: 'audio', splits, mediaDir, loadMedia: audioFolderLoader(mediaDir),
      encoder: async () => (await import('../../encoders/clap.ts')).loadClapEncoder(model, hf),
      extraMeta: { model, captions: list, media_dir: resolve(mediaDir), onnx_device: hf.device ?? 'cpu', onnx_dtype: hf.dtype ?? 'fp32' },
    };
  }
  throw new DbridgeError(`embed: --dataset '${dataset}' is not one of ${[...IMAGE_SETS, ...AUDIO_SETS].join(', ')} (the world uses --encoder/--world)`);
}

const spec = defineCommand({
  name: 'embed',
  summary: 'embed a dataset with an encoder (world encoder, CLIP or CLAP) into .npy files',
  usage: '(--model DIR_OR_ID --dataset coco|flickr30k --karpathy FILE --images DIR | --encoder DIR --world DIR) --out DIR',
  description: [
    'Writes per split text.npy (one row per caption, file order), image.npy or audio.npy (one row per image/clip), index.json,',
    'plus text_mean.npy / image_mean.npy or audio_mean.npy (mean of L2-normalised train rows) and meta.json. Raw encoder outputs.',
    'Work is saved in shards under OUT/.partial; rerunning the same command after an interruption resumes it.',
    'Audio: --model CLAP_DIR --dataset audiocaps|clotho --captions train=CSV,val=CSV,test=CSV --audio DIR.',
  ].join('\n'),
  options: EMBED_OPTIONS,
  check(args) {
    checkOutputDir(args.out, {
      what: '--out', inputs: { '--images': args.images, '--world': args.world, '--encoder': args.encoder, '--model': args.model, '--audio': args.audio, '--karpathy': args.karpathy },
    });
  },
  async run(args) {
    const backend = await initBackend(args.backend);
    const plan = planEmbed(args);
    const limit = args.limit;
    if (limit !== undefined) {
      plan.splits = plan.splits.map((s) => ({ name: s.name, items: s.items.slice(0, limit) }));
      plan.extraMeta.limit = limit;
    }
    if (!args.skipMissingCheck) {
      const { missing, count } = missingMedia(plan.mediaDir, plan.splits);
      if (count > 0) {
        throw new DbridgeError(`${count} media file(s) missing under ${plan.mediaDir}, e.g. ${missing.join(', ')} (check --images/--audio; see dbridge check-data)`);
      }
    }
    const encoder = await plan.encoder();
    const encoderFingerprint = plan.fingerprint();
    const controller = new AbortController();
    const onSig = () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\ndbridge embed: stopping after the current batch (Ctrl-C again to quit now)\n');
      controller.abort();
    };
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
    const opts: EmbedOptions = {
      outDir: args.out,
      encoder,
      dataset: plan.dataset,
      modality: plan.modality,
      splits: plan.splits,
      loadMedia: plan.loadMedia,
      encoderFingerprint,
      batchSize: args.batchSize,
      textBatchSize: args.textBatchSize,
      shardSize: args.shardSize,
      keepShards: Boolean(args.keepShards),
      signal: controller.signal,
      progress: !args.quiet,
      extraMeta: { ...plan.extraMeta, provenance: provenance(backend) },
    };
    // one process writes into a folder at a time (a second one would interleave shards)
    const lock = lockFolder(opts.outDir);
    try {
      const summary = await embedDataset(opts);
      if (summary.alreadyComplete) {
        console.log(`${opts.outDir}: already complete (same encoder, dataset and items); nothing to do`);
      } else {
        for (const [name, s] of Object.entries(summary.splits)) {
          console.log(`${name}: ${s.items} ${plan.modality === 'image' ? 'images' : 'clips'}, ${s.captions} captions` +
            (s.shardsReused ? ` (${s.shardsReused} shard(s) reused from an earlier run)` : ''));
        }
        console.log(`wrote ${opts.outDir} (dim ${summary.dim}, encoder ${encoder.id})`);
      }
    } finally {
      lock.release();
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
      encoder.dispose?.();
    }
  },
});

export default spec;
