// Generates the built-in world into a folder: PNG images, the captioning dataset in Karpathy
// format (dataset_world.json, read by lib/data/karpathy.ts like dataset_coco.json), the
// encoder's pre-training pairs (pretrain_world.json, same format) and world.json (config, counts,
// written last: a folder with world.json is complete). Deterministic from (scale sizes, seed,
// domain); a folder already holding the same world is reused, not rewritten.
// Extra per-image fields beyond Karpathy's: `domain`, `scene` (the ground truth the captions
// were written from) and, on val and test images, `heldout`: one more caption of the image written
// by the same caption writer from an independent random stream ("a sixth annotator"), kept out of
// `sentences` so that it never reaches training or the references; lib/world/reference.ts scores
// it against the five references as the human-agreement row. Loaders ignore these fields.
import { copyFileSync, existsSync, linkSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng, readImage } from '../data/images.ts';
import type { RGBImage } from '../encoders/types.ts';
import { DbridgeError } from '../util/errors.ts';
import { ensureDir, readJson, writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { Progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { captionKey, writeCaptions, writePretrainCaptions } from './captions.ts';
import { DOMAINS, type DomainName, PRETRAIN_DOMAIN_MIX } from './domains.ts';
import { renderScene } from './render.ts';
import { type WorldScale, type WorldSizes, worldSizes } from './scales.ts';
import { type Scene, pickWeighted, sampleScene } from './scene.ts';
import { CAPTION_SPLITS, PRETRAIN_SPLIT, WORLD_FILES, imageStreamLabel } from './splits.ts';

/**
 * 2: background patterns and colour shades, mentioned only by pre-training captions; 2.1: a sixth
 * annotator's `heldout` caption on val/test images; 3: world v3 (issue 11): 56 object classes, 28
 * scene types, finishes, 1-5 objects, salient-subset captions, 64 x 64 images; 4: every
 * pre-training caption carries web-only detail and mentions each style attribute more often
 * (WEB_DETAIL 1.0, STYLE_DETAIL 0.6: the encoder's calibration, docs/world.md).
 */
export const WORLD_VERSION = 4;

export interface GenerateWorldOptions {
  scale?: WorldScale | string;   // default 'mini'
  seed?: number;                 // default 0
  domain?: DomainName | string;  // default 'a'
  outDir: string;
  /** Override the scale's sizes (e.g. fewer images for a quick look). */
  sizes?: Partial<WorldSizes>;
  /** Regenerate even when outDir already holds this world. Default false. */
  force?: boolean;
  /**
   * A generated world of the same version, scale, sizes and seed (any domain) whose pre-training
   * split is reused (its images hard-linked, or copied where links fail) instead of rendered again:
   * the split depends only on those, so the result is the same. Ignored when it does not match.
   */
  pretrainFrom?: string;
  quiet?: boolean;
}

export interface WorldMeta {
  version: number;
  dataset: 'world';
  scale: string;
  seed: number;
  domain: DomainName;
  sizes: WorldSizes;
  counts: Record<string, { images: number; captions: number }>;
  files: typeof WORLD_FILES;
  seconds: number;
  created: string;
}

/** One image entry of the world's Karpathy JSON. */
export interface WorldImageEntry {
  filepath: string;
  filename: string;
  imgid: number;
  split: string;
  domain: DomainName;
  sentids: number[];
  sentences: { raw: string; tokens: string[]; imgid: number; sentid: number }[];
  /** val / test only: the sixth annotator's caption (not a reference, never trained on). */
  heldout?: { raw: string; tokens: string[] }[];
  scene: Scene;
}

/** Splits whose images carry a `heldout` caption (the sixth annotator). */
export const HELDOUT_SPLITS: readonly string[] = ['val', 'test'];

/** Label of the sixth annotator's random stream of one image: independent of its five captions. */
export function heldoutStreamLabel(split: string, domain: string, index: number): string {
  return `heldout/${imageStreamLabel(split, domain, index)}`;
}

/** Karpathy's `tokens`: lower-cased words without punctuation. */
export function karpathyTokens(raw: string): string[] {
  return raw.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ').split(/\s+/).filter((t) => t.length > 0);
}

function roundScene(s: Scene): Scene {
  const r = (v: number) => Math.round(v * 1e4) / 1e4;
  return { ...s, objects: s.objects.map((o) => ({ ...o, x: r(o.x), y: r(o.y), r: r(o.r), rot: r(o.rot) })) };
}

/** True when `meta` (a world.json) describes the world these settings generate. */
export function sameConfig(meta: WorldMeta, scale: string, seed: number, domain: string, sizes: WorldSizes): boolean {
  return meta.version === WORLD_VERSION && meta.scale === scale && meta.seed === seed && meta.domain === domain &&
    JSON.stringify(meta.sizes) === JSON.stringify(sizes);
}

/**
 * Generates (or reuses) a world in `outDir`. Returns its metadata.
 */
export function generateWorld(opts: GenerateWorldOptions): WorldMeta {
  const t0 = Date.now();
  const scale = opts.scale ?? 'mini';
  const seed = opts.seed ?? 0;
  const domain = (opts.domain ?? 'a') as DomainName;
  if (!Number.isInteger(seed)) throw new DbridgeError(`world seed must be an integer, got ${seed}`);
  if (!(DOMAINS as readonly string[]).includes(domain)) throw new DbridgeError(`unknown world domain '${domain}' (choose from ${DOMAINS.join(', ')})`);
  const sizes = worldSizes(scale, opts.sizes);
  const metaPath = join(opts.outDir, WORLD_FILES.meta);
  if (!opts.force && existsSync(metaPath)) {
    const meta = readJson<WorldMeta>(metaPath, 'world metadata');
    if (sameConfig(meta, scale, seed, domain, sizes)) return meta;
  }
  // a different (or incomplete) world: start clean so no stale image survives
  rmSync(metaPath, { force: true });
  rmSync(join(opts.outDir, WORLD_FILES.images), { recursive: true, force: true });
  ensureDir(opts.outDir);

  const donor = opts.pretrainFrom && existsSync(join(opts.pretrainFrom, WORLD_FILES.meta)) ? readJson<WorldMeta>(join(opts.pretrainFrom, WORLD_FILES.meta), 'world metadata') : null;
  const reuse = donor !== null && sameConfig(donor, scale, seed, donor.domain, sizes);
  const total = (reuse ? 0 : sizes.pretrain) + sizes.train + sizes.val + sizes.test;
  const progress = opts.quiet ? null : new Progress({ total, label: 'world', unit: 'images' });
  let done = 0;
  const root = new Rng(seed);

  const makeSplit = (split: string, n: number, firstId: number, sentStart: number): WorldImageEntry[] => {
    const dir = join(WORLD_FILES.images, split);
    ensureDir(join(opts.outDir, dir));
    const out: WorldImageEntry[] = [];
    let sentid = sentStart;
    for (let i = 0; i < n; i++) {
      const rng = root.fork(imageStreamLabel(split, domain, i));
      const d: DomainName = split === PRETRAIN_SPLIT ? pickWeighted(rng, PRETRAIN_DOMAIN_MIX) : domain;
      const scene = roundScene(sampleScene(rng, d)); // rounded first: the JSON's scene renders to the PNG exactly
      const captions = split === PRETRAIN_SPLIT ? writePretrainCaptions(scene, rng) : writeCaptions(scene, rng);
      const img = renderScene(scene, sizes.imageSize);
      const imgid = firstId + i;
      const filename = `world_${split === PRETRAIN_SPLIT ? 'pre' : domain}_${split}_${String(i).padStart(6, '0')}.png`;
      writeFileAtomic(join(opts.outDir, dir, filename), encodePng(img));
      const sentences = captions.map((raw) => ({ raw, tokens: karpathyTokens(raw), imgid, sentid: sentid++ }));
      const entry: WorldImageEntry = { filepath: dir, filename, imgid, split, domain: d, sentids: sentences.map((s) => s.sentid), sentences, scene };
      if (HELDOUT_SPLITS.includes(split)) {
        const raw = writeCaptions(scene, root.fork(heldoutStreamLabel(split, domain, i)), 1, new Set(captions.map(captionKey)))[0];
        entry.heldout = [{ raw, tokens: karpathyTokens(raw) }];
      }
      out.push(entry);
      progress?.update(++done);
    }
    return out;
  };

  let pretrain: WorldImageEntry[];
  if (reuse) {
    pretrain = readWorldEntries(opts.pretrainFrom!, 'pretrain');
    const dir = join(WORLD_FILES.images, PRETRAIN_SPLIT);
    ensureDir(join(opts.outDir, dir));
    for (const e of pretrain) {
      const from = join(opts.pretrainFrom!, dir, e.filename), to = join(opts.outDir, dir, e.filename);
      try { linkSync(from, to); } catch { copyFileSync(from, to); }
    }
    copyFileSync(join(opts.pretrainFrom!, WORLD_FILES.pretrain), join(opts.outDir, WORLD_FILES.pretrain));
  } else {
    pretrain = makeSplit(PRETRAIN_SPLIT, sizes.pretrain, 0, 0);
    writeJsonAtomic(join(opts.outDir, WORLD_FILES.pretrain), { dataset: 'world', images: pretrain });
  }
  const images: WorldImageEntry[] = [];
  let sent = 0;
  for (const split of CAPTION_SPLITS) {
    const part = makeSplit(split, sizes[split], images.length, sent);
    sent += part.length * 5;
    images.push(...part);
  }
  writeJsonAtomic(join(opts.outDir, WORLD_FILES.dataset), { dataset: 'world', domain, images });
  progress?.finish();
  const counts: WorldMeta['counts'] = { pretrain: { images: pretrain.length, captions: pretrain.length * 5 } };
  for (const split of CAPTION_SPLITS) counts[split] = { images: sizes[split], captions: sizes[split] * 5 };
  const meta: WorldMeta = {
    version: WORLD_VERSION, dataset: 'world', scale, seed, domain, sizes, counts, files: WORLD_FILES,
    seconds: (Date.now() - t0) / 1000, created: new Date().toISOString(),
  };
  writeJsonAtomic(metaPath, meta);
  return meta;
}

/** Reads world.json of a generated world (an error naming the folder when it is missing). */
export function readWorldMeta(worldDir: string): WorldMeta {
  const p = join(worldDir, WORLD_FILES.meta);
  if (!existsSync(p)) throw new DbridgeError(`${worldDir} is not a generated world (no ${WORLD_FILES.meta}; run dbridge world --out ${worldDir})`);
  return readJson<WorldMeta>(p, 'world metadata');
}

/** The entries of pretrain_world.json or dataset_world.json (with their scenes). */
export function readWorldEntries(worldDir: string, which: 'pretrain' | 'dataset'): WorldImageEntry[] {
  const p = join(worldDir, WORLD_FILES[which]);
  if (!existsSync(p)) throw new DbridgeError(`world file not found: ${p}`);
  let json: { images?: WorldImageEntry[] };
  try {
    json = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new DbridgeError(`${p} is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(json.images)) throw new DbridgeError(`${p} has no "images" array`);
  return json.images;
}

/** Reads the PNGs of `entries` (relative to worldDir). */
export async function readWorldImages(worldDir: string, entries: { filepath?: string; filename: string }[]): Promise<RGBImage[]> {
  const out: RGBImage[] = [];
  for (const e of entries) out.push(await readImage(join(worldDir, e.filepath ?? '', e.filename)));
  return out;
}
