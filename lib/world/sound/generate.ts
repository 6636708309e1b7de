// Generates the sound world into a folder, in the formats of the real audio datasets:
//   audio/<split>/<clip>.wav       16-bit mono WAV at SOUND_SAMPLE_RATE (read by lib/data/audiocaps.ts readWav)
//   audiocaps/<split>.csv          AudioCaps layout (audiocap_id,youtube_id,start_time,caption; youtube_id =
//                                  the clip's file stem, start_time 0), one per captioning split
//   dataset_sound.json             the captioning splits in Karpathy format (like dataset_world.json)
//   pretrain_sound.json            the encoder's pre-training clips and their web-style captions
//   sound.json                     config, counts, files; written last (a folder with it is complete)
// Deterministic from (scale sizes, seed, domain); a folder already holding the same world is reused.
// Extra per-clip fields beyond Karpathy's: `domain`, `scene` (the ground truth the captions were
// written from) and, on val and test clips, `heldout`: a sixth annotator's caption, written like the
// five from its own random stream (the image world's convention; loaders ignore all three). Reuses the image world's split names, per-item random streams
// and Karpathy tokens.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav16 } from '../../data/audiocaps.ts';
import { DbridgeError } from '../../util/errors.ts';
import { ensureDir, readJson, writeFileAtomic, writeJsonAtomic } from '../../util/fs.ts';
import { Progress } from '../../util/progress.ts';
import { Rng } from '../../util/rng.ts';
import { HELDOUT_SPLITS, heldoutStreamLabel, karpathyTokens } from '../generate.ts';
import { pickWeighted } from '../scene.ts';
import { CAPTION_SPLITS, PRETRAIN_SPLIT, imageStreamLabel } from '../splits.ts';
import { writeSoundCaptions, writeSoundPretrainCaptions } from './captions.ts';
import { SOUND_DOMAINS, SOUND_PRETRAIN_MIX, type SoundDomainName } from './domains.ts';
import { SOUND_FILES, type SoundScale, type SoundWorldSizes, soundWorldSizes } from './scales.ts';
import { type SoundScene, sampleSoundScene } from './scene.ts';
import { SOUND_SAMPLE_RATE, renderSoundScene } from './synth.ts';

/** 1: the first sound world. */
export const SOUND_WORLD_VERSION = 1;

export interface GenerateSoundWorldOptions {
  scale?: SoundScale | string;   // default 'mini'
  seed?: number;                 // default 0
  domain?: SoundDomainName | string; // default 'a'
  outDir: string;
  sizes?: Partial<SoundWorldSizes>;
  /** Regenerate even when outDir already holds this world. */
  force?: boolean;
  quiet?: boolean;
}

export interface SoundWorldMeta {
  version: number;
  dataset: 'sound';
  scale: string;
  seed: number;
  domain: SoundDomainName;
  sizes: SoundWorldSizes;
  sampleRate: number;
  counts: Record<string, { clips: number; captions: number }>;
  files: typeof SOUND_FILES;
  seconds: number;
  created: string;
}

/** One clip of dataset_sound.json / pretrain_sound.json (Karpathy's image entry, for a clip). */
export interface SoundClipEntry {
  filepath: string;
  filename: string;
  imgid: number;
  split: string;
  domain: SoundDomainName;
  sentids: number[];
  sentences: { raw: string; tokens: string[]; imgid: number; sentid: number }[];
  /** val / test only: a sixth annotator's caption (not a reference, never trained on; the reference rows' "human"). */
  heldout?: { raw: string; tokens: string[] }[];
  scene: SoundScene;
}

function roundScene(s: SoundScene): SoundScene {
  const r = (v: number) => Math.round(v * 1e4) / 1e4;
  return { ...s, events: s.events.map((e) => ({ ...e, start: r(e.start), duration: r(e.duration), gap: r(e.gap), freq: r(e.freq) })) };
}

/** Quotes a CSV field when needed (RFC 4180). */
const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** AudioCaps-format CSV of one split: one row per caption, grouped by clip. */
export function audiocapsCsv(entries: SoundClipEntry[]): string {
  const lines = ['audiocap_id,youtube_id,start_time,caption'];
  for (const e of entries) {
    const stem = e.filename.replace(/\.wav$/, '');
    for (const s of e.sentences) lines.push([String(s.sentid), stem, '0', csvField(s.raw)].join(','));
  }
  return lines.join('\n') + '\n';
}

/** Generates (or reuses) a sound world in `outDir`. Returns its metadata. */
export function generateSoundWorld(opts: GenerateSoundWorldOptions): SoundWorldMeta {
  const t0 = Date.now();
  const scale = opts.scale ?? 'mini';
  const seed = opts.seed ?? 0;
  const domain = (opts.domain ?? 'a') as SoundDomainName;
  if (!Number.isInteger(seed)) throw new DbridgeError(`sound world seed must be an integer, got ${seed}`);
  if (!(SOUND_DOMAINS as readonly string[]).includes(domain)) throw new DbridgeError(`unknown sound world domain '${domain}' (choose from ${SOUND_DOMAINS.join(', ')})`);
  const sizes = soundWorldSizes(scale, opts.sizes);
  const metaPath = join(opts.outDir, SOUND_FILES.meta);
  if (!opts.force && existsSync(metaPath)) {
    const meta = readJson<SoundWorldMeta>(metaPath, 'sound world metadata');
    if (meta.version === SOUND_WORLD_VERSION && meta.scale === scale && meta.seed === seed && meta.domain === domain && JSON.stringify(meta.sizes) === JSON.stringify(sizes)) return meta;
  }
  rmSync(metaPath, { force: true });
  rmSync(join(opts.outDir, SOUND_FILES.audio), { recursive: true, force: true });
  ensureDir(opts.outDir);

  const total = sizes.pretrain + sizes.train + sizes.val + sizes.test;
  const progress = opts.quiet ? null : new Progress({ total, label: 'sound world', unit: 'clips' });
  let done = 0;
  const root = new Rng(seed).fork('sound');

  const makeSplit = (split: string, n: number, firstId: number, sentStart: number): SoundClipEntry[] => {
    const dir = join(SOUND_FILES.audio, split);
    ensureDir(join(opts.outDir, dir));
    const out: SoundClipEntry[] = [];
    let sentid = sentStart;
    const pre = split === PRETRAIN_SPLIT;
    for (let i = 0; i < n; i++) {
      const rng = root.fork(imageStreamLabel(split, domain, i));
      const d: SoundDomainName = pre ? pickWeighted(rng, SOUND_PRETRAIN_MIX) : domain;
      const scene = sampleSoundScene(rng, d, sizes.seconds);
      const captions = pre ? writeSoundPretrainCaptions(scene, rng) : writeSoundCaptions(scene, rng);
      const samples = renderSoundScene(scene, SOUND_SAMPLE_RATE);
      const imgid = firstId + i;
      const filename = `sound_${pre ? 'pre' : domain}_${split}_${String(i).padStart(6, '0')}.wav`;
      writeFileAtomic(join(opts.outDir, dir, filename), encodeWav16({ sampleRate: SOUND_SAMPLE_RATE, samples }));
      const sentences = captions.map((raw) => ({ raw, tokens: karpathyTokens(raw), imgid, sentid: sentid++ }));
      const entry: SoundClipEntry = { filepath: dir, filename, imgid, split, domain: d, sentids: sentences.map((s) => s.sentid), sentences, scene: roundScene(scene) };
      if (HELDOUT_SPLITS.includes(split)) {
        const raw = writeSoundCaptions(scene, root.fork(heldoutStreamLabel(split, domain, i)), 1)[0];
        entry.heldout = [{ raw, tokens: karpathyTokens(raw) }];
      }
      out.push(entry);
      progress?.update(++done);
    }
    return out;
  };

  const pretrain = makeSplit(PRETRAIN_SPLIT, sizes.pretrain, 0, 0);
  writeJsonAtomic(join(opts.outDir, SOUND_FILES.pretrain), { dataset: 'sound', images: pretrain });
  const clips: SoundClipEntry[] = [];
  let sent = 0;
  ensureDir(join(opts.outDir, SOUND_FILES.audiocaps));
  for (const split of CAPTION_SPLITS) {
    const part = makeSplit(split, sizes[split], clips.length, sent);
    sent += part.reduce((s, e) => s + e.sentences.length, 0);
    clips.push(...part);
    writeFileAtomic(join(opts.outDir, SOUND_FILES.audiocaps, `${split}.csv`), audiocapsCsv(part));
  }
  writeJsonAtomic(join(opts.outDir, SOUND_FILES.dataset), { dataset: 'sound', domain, images: clips });
  progress?.finish();
  const counts: SoundWorldMeta['counts'] = { pretrain: { clips: pretrain.length, captions: pretrain.length * 5 } };
  for (const split of CAPTION_SPLITS) counts[split] = { clips: sizes[split], captions: sizes[split] * 5 };
  const meta: SoundWorldMeta = {
    version: SOUND_WORLD_VERSION, dataset: 'sound', scale, seed, domain, sizes, sampleRate: SOUND_SAMPLE_RATE, counts, files: SOUND_FILES,
    seconds: (Date.now() - t0) / 1000, created: new Date().toISOString(),
  };
  writeJsonAtomic(metaPath, meta);
  return meta;
}

/** Reads sound.json of a generated sound world (an error naming the folder when it is missing). */
export function readSoundWorldMeta(dir: string): SoundWorldMeta {
  const p = join(dir, SOUND_FILES.meta);
  if (!existsSync(p)) throw new DbridgeError(`${dir} is not a generated sound world (no ${SOUND_FILES.meta}; run dbridge sound-world --out ${dir})`);
  return readJson<SoundWorldMeta>(p, 'sound world metadata');
}

/** The clips of pretrain_sound.json or dataset_sound.json (with their scenes). */
export function readSoundWorldEntries(dir: string, which: 'pretrain' | 'dataset'): SoundClipEntry[] {
  const p = join(dir, SOUND_FILES[which]);
  if (!existsSync(p)) throw new DbridgeError(`sound world file not found: ${p}`);
  const json = readJson<{ images?: SoundClipEntry[] }>(p, 'sound world clips');
  if (!Array.isArray(json.images)) throw new DbridgeError(`${p} has no "images" array`);
  return json.images;
}
