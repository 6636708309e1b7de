// `dbridge check-data`: which real datasets and models are present under data/ and models/, which
// are missing, and where to get each missing one. Karpathy files are parsed (so a truncated download
// shows up) and every image they list is looked for; model folders are checked for the files
// transformers.js (CLIP, CLAP) or the GPT-2 loader needs. The expected paths are the ones
// docs/realdata.md tells users to create. Informational: exits 0 unless --require names a missing item.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand } from '../args.ts';
import { DbridgeError } from '../../util/errors.ts';
import { readJson } from '../../util/fs.ts';
import { loadKarpathy, karpathyCounts } from '../../data/karpathy.ts';
import { loadAudioCaptions } from '../../data/audiocaps.ts';
import { REPO_ROOT } from '../../util/provenance.ts';

export interface CheckItem {
  /** 'coco', 'flickr30k', 'audiocaps', 'clotho', 'clip', 'gpt2', 'clap' */
  name: string;
  kind: 'dataset' | 'model';
  what: string;
  status: 'present' | 'partial' | 'missing';
  /** What was found (counts) or what is wrong. */
  details: string[];
  /** Where to get what is missing. */
  getFrom: string[];
  paths: Record<string, string>;
}

const SOURCES = {
  karpathy: 'Karpathy splits: https://cs.stanford.edu/people/karpathy/deepimagesent/caption_datasets.zip (dataset_coco.json, dataset_flickr30k.json; also on Kaggle as "karpathy-splits")',
  cocoImages: 'MSCOCO 2014 images: http://images.cocodataset.org/zips/train2014.zip and val2014.zip, unzipped into data/coco/images/ (-> train2014/, val2014/)',
  flickrImages: 'Flickr30K images: request form at https://shannon.cs.illinois.edu/DenotationGraph/ (flickr30k-images.tar.gz), unpacked so data/flickr30k/images/<id>.jpg exist',
  clip: 'CLIP ViT-B/32 in the transformers.js layout: https://huggingface.co/Xenova/clip-vit-base-patch32 (config.json, tokenizer.json, tokenizer_config.json, preprocessor_config.json, onnx/text_model.onnx, onnx/vision_model.onnx) -> models/clip-vit-base-patch32/',
  gpt2: 'GPT-2 small: https://huggingface.co/openai-community/gpt2 (config.json, model.safetensors, tokenizer.json) -> models/gpt2/',
  clap: 'CLAP in the transformers.js layout: https://huggingface.co/Xenova/clap-htsat-unfused (config.json, tokenizer files, preprocessor_config.json, onnx/text_model.onnx, onnx/audio_model.onnx) -> models/clap-htsat-unfused/',
  audiocaps: 'AudioCaps captions: https://github.com/cdjkim/audiocaps/tree/master/dataset (train.csv, val.csv, test.csv) -> data/audiocaps/; audio: the YouTube clips, converted to WAV (data/audiocaps/audio/<youtube_id>.wav)',
  clotho: 'Clotho v2.1: https://zenodo.org/records/4783391 (clotho_captions_{development,validation,evaluation}.csv + the audio 7z archives) -> data/clotho/ with WAVs under data/clotho/audio/<split>/',
};

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

function checkKarpathy(name: 'coco' | 'flickr30k', dataDir: string, quick: boolean): CheckItem {
  const root = join(dataDir, name);
  const json = join(root, `dataset_${name}.json`);
  const images = join(root, 'images');
  const item: CheckItem = {
    name, kind: 'dataset', what: name === 'coco' ? 'MSCOCO (Karpathy split)' : 'Flickr30K (Karpathy split)',
    status: 'missing', details: [], getFrom: [], paths: { karpathy: json, images },
  };
  let jsonOk = false, imagesOk = false;
  if (!existsSync(json)) {
    item.details.push(`missing ${json}`);
    item.getFrom.push(SOURCES.karpathy);
  } else {
    try {
      const ds = loadKarpathy(json, { dataset: name });
      const counts = karpathyCounts(ds);
      item.details.push(`${json}: ` + Object.entries(counts).map(([s, c]) => `${s} ${c.images} images / ${c.captions} captions`).join(', '));
      jsonOk = true;
      if (isDir(images)) {
        if (quick) {
          item.details.push(`${images}: present (not checked image by image: --quick)`);
          imagesOk = true;
        } else {
          let missing = 0;
          const examples: string[] = [];
          for (const im of ds.images) {
            if (!existsSync(join(images, im.file))) { missing++; if (examples.length < 3) examples.push(im.file); }
          }
          if (missing === 0) { item.details.push(`${images}: all ${ds.images.length} images present`); imagesOk = true; }
          else item.details.push(`${images}: ${missing} of ${ds.images.length} images missing, e.g. ${examples.join(', ')}`);
        }
      } else {
        item.details.push(`missing ${images}/`);
      }
    } catch (e) {
      if (!(e instanceof DbridgeError)) throw e;
      item.details.push(`unreadable: ${e.message}`);
      item.getFrom.push(SOURCES.karpathy);
    }
  }
  if (!imagesOk) item.getFrom.push(name === 'coco' ? SOURCES.cocoImages : SOURCES.flickrImages);
  item.status = jsonOk && imagesOk ? 'present' : jsonOk || isDir(images) ? 'partial' : 'missing';
  return item;
}

function checkAudio(name: 'audiocaps' | 'clotho', dataDir: string): CheckItem {
  const root = join(dataDir, name);
  const csvs = name === 'audiocaps' ? ['train.csv', 'val.csv', 'test.csv']
    : ['clotho_captions_development.csv', 'clotho_captions_validation.csv', 'clotho_captions_evaluation.csv'];
  const audio = join(root, 'audio');
  const item: CheckItem = {
    name, kind: 'dataset', what: name === 'audiocaps' ? 'AudioCaps (captions CSV + WAV clips)' : 'Clotho v2 (captions CSV + WAV clips)',
    status: 'missing', details: [], getFrom: [], paths: { folder: root, audio },
  };
  let found = 0;
  for (const f of csvs) {
    const p = join(root, f);
    if (!existsSync(p)) { item.details.push(`missing ${p}`); continue; }
    try {
      const set = loadAudioCaptions(p, { format: name });
      item.details.push(`${p}: ${set.clips.length} clips / ${set.clips.reduce((a, c) => a + c.captions.length, 0)} captions`);
      found++;
    } catch (e) {
      if (!(e instanceof DbridgeError)) throw e;
      item.details.push(`unreadable: ${e.message}`);
    }
  }
  const wavs = isDir(audio) ? countFiles(audio, '.wav', 2) : 0;
  item.details.push(isDir(audio) ? `${audio}: ${wavs} .wav files` : `missing ${audio}/`);
  if (found < csvs.length || wavs === 0) item.getFrom.push(SOURCES[name]);
  item.status = found === csvs.length && wavs > 0 ? 'present' : found > 0 || wavs > 0 ? 'partial' : 'missing';
  return item;
}

function countFiles(dir: string, ext: string, depth: number): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name.toLowerCase().endsWith(ext)) n++;
    else if (e.isDirectory() && depth > 0) n += countFiles(join(dir, e.name), ext, depth - 1);
  }
  return n;
}

function checkModel(name: 'clip' | 'gpt2' | 'clap', modelsDir: string): CheckItem {
  const folder = join(modelsDir, { clip: 'clip-vit-base-patch32', gpt2: 'gpt2', clap: 'clap-htsat-unfused' }[name]);
  const files = {
    clip: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx'],
    gpt2: ['config.json', 'model.safetensors', 'tokenizer.json'],
    clap: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json', 'onnx/text_model.onnx', 'onnx/audio_model.onnx'],
  }[name];
  const what = { clip: 'CLIP ViT-B/32 (transformers.js ONNX)', gpt2: 'GPT-2 small (Hugging Face folder)', clap: 'CLAP HTSAT unfused (transformers.js ONNX)' }[name];
  const missing = files.filter((f) => !existsSync(join(folder, f)));
  const item: CheckItem = {
    name, kind: 'model', what, status: missing.length === 0 ? 'present' : missing.length === files.length ? 'missing' : 'partial',
    details: missing.length === 0 ? [`${folder}: all ${files.length} files present`] : [`${folder}: missing ${missing.join(', ')}`],
    getFrom: missing.length ? [SOURCES[name]] : [], paths: { folder },
  };
  // Is it the paper's model? (a ViT-B/16 or GPT-2 medium in the folder would run, but not reproduce the paper)
  const cfgPath = join(folder, 'config.json');
  if (existsSync(cfgPath)) {
    let cfg: Record<string, unknown> = {};
    try { cfg = readJson<Record<string, unknown>>(cfgPath, 'model config'); } catch (e) {
      if (!(e instanceof DbridgeError)) throw e;
      item.details.push(`unreadable: ${e.message}`);
      item.status = 'partial';
      return item;
    }
    const vision = (cfg.vision_config ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    if (name === 'clip') {
      if (cfg.model_type !== 'clip') problems.push(`model_type is '${cfg.model_type}', not 'clip'`);
      else {
        if (cfg.projection_dim !== 512) problems.push(`projection_dim is ${cfg.projection_dim}, ViT-B/32 has 512`);
        if (vision.patch_size !== undefined && vision.patch_size !== 32) problems.push(`vision patch_size is ${vision.patch_size}, ViT-B/32 has 32`);
      }
    } else if (name === 'gpt2') {
      if (cfg.model_type !== 'gpt2') problems.push(`model_type is '${cfg.model_type}', not 'gpt2'`);
      else if ((cfg.n_embd ?? 768) !== 768 || (cfg.n_layer ?? 12) !== 12) problems.push(`n_embd ${cfg.n_embd} / n_layer ${cfg.n_layer}: not GPT-2 small (768 / 12)`);
    } else if (cfg.model_type !== 'clap') problems.push(`model_type is '${cfg.model_type}', not 'clap'`);
    if (problems.length) {
      item.details.push(`${cfgPath}: not the paper's model: ${problems.join('; ')}`);
      item.status = 'partial';
      if (!item.getFrom.length) item.getFrom.push(SOURCES[name]);
    }
  }
  return item;
}

export const ALL_ITEMS = ['coco', 'flickr30k', 'clip', 'gpt2', 'audiocaps', 'clotho', 'clap'] as const;

/** Checks the named items (default all) under dataDir and modelsDir. */
export function checkData(opts: { dataDir: string; modelsDir: string; only?: string[]; quick?: boolean }): CheckItem[] {
  const only = opts.only ?? [...ALL_ITEMS];
  for (const n of only) {
    if (!(ALL_ITEMS as readonly string[]).includes(n)) throw new DbridgeError(`check-data: unknown item '${n}' (choose from ${ALL_ITEMS.join(', ')})`);
  }
  return only.map((n) => {
    switch (n) {
      case 'coco': case 'flickr30k': return checkKarpathy(n, opts.dataDir, Boolean(opts.quick));
      case 'audiocaps': case 'clotho': return checkAudio(n, opts.dataDir);
      default: return checkModel(n as 'clip' | 'gpt2' | 'clap', opts.modelsDir);
    }
  });
}

export function formatReport(items: CheckItem[]): string {
  const lines: string[] = [];
  const mark = { present: '[ok]     ', partial: '[partial]', missing: '[missing]' };
  for (const it of items) {
    lines.push(`${mark[it.status]} ${it.name.padEnd(10)} ${it.what}`);
    for (const d of it.details) lines.push(`            ${d}`);
    for (const g of it.getFrom) lines.push(`            get: ${g}`);
  }
  const ready = (names: string[]) => names.every((n) => items.find((i) => i.name === n)?.status === 'present');
  lines.push('');
  if (items.some((i) => i.name === 'coco') && items.some((i) => i.name === 'clip')) {
    lines.push(ready(['coco', 'clip', 'gpt2']) ? 'MSCOCO paper tables: everything needed is present (see docs/realdata.md).'
      : 'MSCOCO paper tables need coco, clip and gpt2 (see docs/realdata.md, "Reproducing the paper\'s MSCOCO tables").');
  }
  return lines.join('\n');
}

const spec = defineCommand({
  name: 'check-data',
  summary: 'say which real datasets and models are present and where to get the rest',
  usage: '[--data DIR] [--models DIR] [--only coco,clip,...] [--json]',
  description: 'Looks for data/coco, data/flickr30k, data/audiocaps, data/clotho and models/clip-vit-base-patch32, models/gpt2,\n' +
    'models/clap-htsat-unfused (the layout of docs/realdata.md). Karpathy files are parsed and their images looked up.',
  options: [
    { name: 'data', type: 'string', default: join(REPO_ROOT, 'data'), help: 'data folder (the default is the one dbridge reproduce uses)' },
    { name: 'models', type: 'string', default: join(REPO_ROOT, 'models'), help: 'models folder (the default is the one dbridge reproduce uses)' },
    { name: 'only', type: 'list', help: `check only these (${ALL_ITEMS.join(', ')})` },
    { name: 'quick', type: 'boolean', default: false, help: 'do not look up every image of the Karpathy files' },
    { name: 'json', type: 'boolean', default: false, help: 'print the report as JSON' },
    { name: 'require', type: 'list', help: 'exit with an error unless these items are present (e.g. coco,clip,gpt2)' },
  ],
  async run(args) {
    const items = checkData({ dataDir: args.data, modelsDir: args.models, only: args.only, quick: Boolean(args.quick) });
    console.log(args.json ? JSON.stringify(items, null, 2) : formatReport(items));
    const req = args.require ?? [];
    const all = req.map((n) => items.find((i) => i.name === n)
      ?? checkData({ dataDir: args.data, modelsDir: args.models, only: [n], quick: Boolean(args.quick) })[0]);
    const absent = all.filter((i) => i.status !== 'present').map((i) => i.name);
    if (absent.length) throw new DbridgeError(`check-data: required but not present: ${absent.join(', ')} (see the report above and docs/realdata.md)`);
  },
});

export default spec;
