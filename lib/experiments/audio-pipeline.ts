// The audio table's stages: the image runner's Pipeline (pipeline.ts) with audio data in, and the
// two paired bridges added. Overridden: the data (the sound world, or AudioCaps/Clotho CSVs + WAVs),
// the encoder (the sound world's dual encoder, or CLAP through transformers.js) and the embeddings
// (modality audio: audio.npy). Shared unchanged: the diffusion model on text only, augmentation,
// the text-only decoders, DeCap, bridging, captions and scores: Diffusion Bridge runs on audio with
// the same lib/diffusion code. Added: Diffusion-Link and DiffGAP (lib/bridges), each trained on the
// paired train embeddings, applied to val/test clips, captioned by the plain decoder. Every stage
// is cached (cache.ts) under a hash of its settings and inputs.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { Pipeline, type Log } from './pipeline.ts';
import type { StageResult } from './cache.ts';
import type { CaptionRun, ReferenceKind, TableRun } from './tables.ts';
import type { ExperimentConfig } from './config.ts';
import { type AudioExperimentConfig, diffgapConfig, linkConfig } from './audio-config.ts';
import { loadSplit, loadMeans, type SplitEmbeddings } from './data.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { readJson, writeJsonAtomic } from '../util/fs.ts';
import { DbridgeError } from '../util/errors.ts';
import { generateSoundWorld, SOUND_WORLD_VERSION } from '../world/sound/generate.ts';
import { SOUND_FILES } from '../world/sound/scales.ts';
import { SOUND_ENCODER_RECIPE, loadSoundEncoder, trainSoundEncoder } from '../world/sound/encoder.ts';
import { loadKarpathy } from '../data/karpathy.ts';
import { loadAudioCaptions } from '../data/audiocaps.ts';
import { audioEmbedSplits, audioFolderLoader, karpathyEmbedSplits, missingMedia } from '../embed/sources.ts';
import { embedDataset } from '../embed/embed.ts';
import { DiffusionModel } from '../diffusion/index.ts';
import { loadDecoder, generateCaptions, applyTestTreatment } from '../decoder/index.ts';
import { pairedEmbeddings } from '../bridges/pairs.ts';
import { applyDiffusionLink, trainDiffusionLink } from '../bridges/diffusion-link.ts';
import { AUDIO_GIVEN_TEXT, DiffGapModel, TEXT_GIVEN_AUDIO, trainDiffGap } from '../bridges/diffgap.ts';
import type { Encoder } from '../encoders/types.ts';

/** Test-time treatments of the audio table: the image tables' plus the two paired bridges. */
export type AudioTestTreatment = CaptionRun['test'] | 'diffusion-link' | 'diffgap';
export interface AudioCaptionRun extends Omit<CaptionRun, 'test'> { test: AudioTestTreatment }

const PAIRED = new Set<AudioTestTreatment>(['diffusion-link', 'diffgap']);
/** Part of the paired bridges' stage keys: 2 = trained on lib/train (random streams per step and part). */
const PAIRED_VERSION = 2;

export class AudioPipeline extends Pipeline {
  constructor(readonly acfg: AudioExperimentConfig, cacheRoot: string, log?: Log) {
    // the shared stages read only the fields common to both configs
    super(acfg as unknown as ExperimentConfig, cacheRoot, log);
  }

  /** Bridging start step M of the audio runs (no per-role value: audio has none published). */
  override M(): number {
    return this.acfg.audio.M;
  }

  // ---------------------------------------------------------------- data, encoder, embeddings
  override world(domain: string): Promise<StageResult<{ dir: string }>> {
    if (this.acfg.dataset !== 'sound') throw new DbridgeError(`${this.acfg.dataset} is real data: there is no world to generate`);
    const w = this.acfg.audio.world;
    return this.once(`sound-world:${domain}`, () => this.cache.run('sound-world', {
      version: SOUND_WORLD_VERSION, scale: w.scale, sizes: w.sizes ?? null, seed: this.cfg.seed, domain,
    }, [], async (dir) => {
      generateSoundWorld({ scale: w.scale, seed: this.cfg.seed, domain, outDir: dir, sizes: w.sizes, force: true });
      return { dir };
    }));
  }

  override encoder(): Promise<StageResult<{ dir: string }>> {
    const enc = this.acfg.audio.encoder;
    if (enc.kind === 'clap') {
      if (!existsSync(enc.model) && !/^[\w-]+\/[\w.-]+$/.test(enc.model)) throw new DbridgeError(`CLAP model not found at ${enc.model}; run dbridge check-data (docs/audio.md)`);
      return this.once('encoder', async () => ({ dir: enc.model, key: `clap:${enc.model}`, output: { dir: enc.model }, cached: true, seconds: 0 }));
    }
    return this.once('encoder', async () => {
      const world = await this.world(this.cfg.domains.main);
      return this.cache.run('sound-encoder', { steps: enc.steps ?? null, batchSize: enc.batchSize ?? null, seed: this.cfg.seed, recipe: SOUND_ENCODER_RECIPE }, [world], async (dir) => {
        const r = await trainSoundEncoder({ worldDir: world.output.dir, outDir: dir, seed: this.cfg.seed, steps: enc.steps, batchSize: enc.batchSize, resume: true });
        return { dir, retrieval: r.retrieval ?? null, loss: r.loss, logitScale: r.logitScale } as { dir: string };
      });
    });
  }

  private async openAudioEncoder(): Promise<Encoder> {
    const e = await this.encoder();
    if (this.acfg.audio.encoder.kind === 'sound') return loadSoundEncoder(e.output.dir);
    const { loadClapEncoder } = await import('../encoders/clap.ts');
    return loadClapEncoder(e.output.dir);
  }

  override embeddings(domain: string): Promise<StageResult<{ dir: string }>> {
    return this.once(`embed:${domain}`, async () => {
      const enc = await this.encoder();
      const a = this.acfg.audio;
      if (a.data === null) {
        const w = await this.world(domain);
        return this.cache.run('embed', { domain, dataset: 'sound', modality: 'audio' }, [w, enc], async (dir) => {
          const encoder = await this.openAudioEncoder();
          try {
            const ds = loadKarpathy(join(w.output.dir, 'dataset_sound.json'), { dataset: 'sound' });
            await embedDataset({ outDir: dir, encoder, dataset: `sound-${domain}`, modality: 'audio', splits: karpathyEmbedSplits(ds), loadMedia: audioFolderLoader(w.output.dir) });
          } finally { encoder.dispose?.(); }
          return { dir };
        });
      }
      const data = a.data;
      for (const [split, f] of Object.entries(data.captions)) if (!existsSync(f)) throw new DbridgeError(`${this.acfg.dataset} ${split} captions not found at ${f}; see docs/audio.md`);
      const format = this.acfg.dataset as 'audiocaps' | 'clotho';
      const sets = Object.entries(data.captions).map(([split, file]) => ({ split, set: loadAudioCaptions(file, { format, fileTemplate: data.fileTemplate }) }));
      // Clotho keeps its audio per subset folder (audio/development/ ...), as `dbridge embed` reads it
      for (const { set } of sets) {
        const subset = /clotho_captions_(\w+)\.csv$/.exec(set.file)?.[1];
        if (format === 'clotho' && subset && existsSync(join(data.audio, subset))) for (const c of set.clips) c.file = join(subset, c.file);
      }
      // per-split audio folders: an audio path with {split} (e.g. the sound world's audio/{split})
      const at = data.audio.indexOf('{split}');
      const audioRoot = at < 0 ? data.audio : data.audio.slice(0, at);
      if (at >= 0) for (const { split, set } of sets) for (const c of set.clips) c.file = join(data.audio.slice(at).replace('{split}', split), c.file);
      const splits = audioEmbedSplits(sets);
      const miss = missingMedia(audioRoot, splits);
      if (miss.count) throw new DbridgeError(`${miss.count} audio files are missing under ${audioRoot} (e.g. ${miss.missing.join(', ')}); see docs/audio.md`);
      return this.cache.run('embed', { domain, dataset: format, modality: 'audio', captions: data.captions, audio: data.audio }, [enc], async (dir) => {
        const encoder = await this.openAudioEncoder();
        try {
          await embedDataset({ outDir: dir, encoder, dataset: format, modality: 'audio', splits, loadMedia: audioFolderLoader(audioRoot) });
        } finally { encoder.dispose?.(); }
        return { dir };
      });
    });
  }

  /** The sound world's Karpathy file (reference rows read their random / frequent / held-out captions from it). */
  protected override async karpathyFile(domain: string): Promise<{ file: string; input: StageResult<unknown> | string }> {
    if (this.acfg.dataset !== 'sound') throw new DbridgeError(`${this.acfg.dataset} has no Karpathy-format file (its captions are CSVs)`);
    const w = await this.world(domain);
    return { file: join(w.output.dir, SOUND_FILES.dataset), input: w };
  }

  /** Reference rows; on AudioCaps / Clotho only the nearest train caption (the others need a Karpathy file). */
  override references(target: string, kind: ReferenceKind): Promise<StageResult<{ file: string | null; unavailable: string | null }>> {
    if (this.acfg.dataset === 'sound' || kind === 'nearest-caption') return super.references(target, kind);
    return Promise.resolve({
      dir: '', key: `reference:${this.acfg.dataset}:${kind}:unavailable`, cached: true, seconds: 0,
      output: { file: null, unavailable: `not computed on ${this.acfg.dataset}: the ${kind} row reads a Karpathy-format file, and the audio datasets' captions are CSVs` },
    });
  }

  // ---------------------------------------------------------------- the paired bridges
  /** Diffusion-Link trained on the paired train embeddings of `domain`. */
  diffusionLink(domain: string): Promise<StageResult<{ dir: string }>> {
    return this.once(`diffusion-link:${domain}`, async () => {
      const emb = await this.embeddings(domain);
      const c = linkConfig(this.acfg);
      return this.cache.run('diffusion-link', { link: c, variant: this.cfg.variant, seed: this.cfg.seed, version: PAIRED_VERSION }, [emb], async (dir) => {
        const means = loadMeans(emb.output.dir);
        const pairs = pairedEmbeddings(loadSplit(emb.output.dir, 'train'), means.text, means.image, 5);
        const r = await trainDiffusionLink(pairs, { config: c, variant: this.cfg.variant, seed: this.cfg.seed, outDir: dir });
        return { dir: r.dir, loss: r.loss, stepsPerSecond: r.stepsPerSecond } as { dir: string };
      });
    });
  }

  /** DiffGAP (both directions, one network) trained on the paired train embeddings of `domain`. */
  diffgap(domain: string): Promise<StageResult<{ dir: string }>> {
    return this.once(`diffgap:${domain}`, async () => {
      const emb = await this.embeddings(domain);
      const c = diffgapConfig(this.acfg);
      return this.cache.run('diffgap', { diffgap: c, seed: this.cfg.seed, version: PAIRED_VERSION }, [emb], async (dir) => {
        const means = loadMeans(emb.output.dir);
        const pairs = pairedEmbeddings(loadSplit(emb.output.dir, 'train'), means.text, means.image, c.radius ?? 5);
        const r = await trainDiffGap(pairs, { config: c, seed: this.cfg.seed, outDir: join(dir, 'model') });
        return { dir: r.dir, loss: r.loss, stepsPerSecond: r.stepsPerSecond } as { dir: string };
      });
    });
  }

  /** Diffusion-Link outputs (unit-norm, text space) for the clips of a split. */
  linked(domain: string, split: string): Promise<StageResult<{ file: string }>> {
    return this.once(`linked:${domain}:${split}`, async () => {
      const emb = await this.embeddings(domain);
      const link = await this.diffusionLink(domain);
      const inf = { ...this.acfg.audio.link.inference, M: this.M(), steps: this.cfg.bridge.steps, seed: this.cfg.seed };
      return this.cache.run('link-apply', { split, inf, limit: this.limitOf(split) }, [emb, link], async (dir) => {
        const s = this.limitSplit(loadSplit(emb.output.dir, split), split);
        const model = DiffusionModel.load(link.output.dir);
        try {
          const out = await applyDiffusionLink(model, s.image, s.nImage, s.d, loadMeans(emb.output.dir).image, { ...inf, batchSize: this.cfg.bridge.batchSize });
          const file = join(dir, 'linked.npy');
          writeNpy(file, { dtype: 'float32', shape: [s.nImage, s.d], data: out });
          return { file };
        } finally { model.dispose(); }
      });
    });
  }

  /**
   * DiffGAP's generated embeddings for a split: direction TEXT_GIVEN_AUDIO gives one text-like row
   * per clip; AUDIO_GIVEN_TEXT one audio-like row per caption (all captions of the split's clips).
   */
  diffgapGenerated(domain: string, split: string, direction: number): Promise<StageResult<{ file: string }>> {
    return this.once(`diffgap-gen:${domain}:${split}:${direction}`, async () => {
      const emb = await this.embeddings(domain);
      const gap = await this.diffgap(domain);
      const sampling = { ...this.acfg.audio.diffgap.sampling, seed: this.cfg.seed };
      return this.cache.run('diffgap-generate', { split, direction, sampling, limit: this.limitOf(split) }, [emb, gap], async (dir) => {
        const s = this.limitSplit(loadSplit(emb.output.dir, split), split);
        const means = loadMeans(emb.output.dir);
        const model = DiffGapModel.load(gap.output.dir);
        try {
          const text = direction === AUDIO_GIVEN_TEXT ? captionRowsOf(s) : null;
          const out = direction === TEXT_GIVEN_AUDIO
            ? await model.generate(s.image, s.nImage, s.d, means.image, TEXT_GIVEN_AUDIO, { ...sampling, progress: true })
            : await model.generate(text!.rows, text!.n, s.d, means.text, AUDIO_GIVEN_TEXT, { ...sampling, progress: true });
          const file = join(dir, 'generated.npy');
          writeNpy(file, { dtype: 'float32', shape: [out.length / s.d, s.d], data: out });
          return { file };
        } finally { model.dispose(); }
      });
    });
  }

  private limitOf(split: string): number | null {
    return split === 'test' ? this.cfg.maxTestImages : null;
  }

  override captions(source: string, target: string, run: TableRun | AudioCaptionRun): Promise<StageResult<{ file: string | null; seconds?: number; unavailable?: string | null }>> {
    if (!('test' in run) || !PAIRED.has(run.test)) return super.captions(source, target, run as TableRun);
    if (source !== target) throw new DbridgeError('the paired bridges are run in-domain only');
    return this.once(`captions:${source}:${run.train}:${run.test}`, async () => {
      const dec = await this.decoder(source, run.train);
      const emb = await this.embeddings(target);
      const made = run.test === 'diffusion-link' ? await this.linked(source, 'test') : await this.diffgapGenerated(source, 'test', TEXT_GIVEN_AUDIO);
      return this.cache.run('captions', { test: run.test, generate: this.cfg.generate, limit: this.cfg.maxTestImages }, [dec, emb, made], async (dir) => {
        const split = this.limitSplit(loadSplit(emb.output.dir, 'test'), 'test');
        // the paired bridges' outputs are unit vectors in the text space, read as bridged ones are
        const inputs = await applyTestTreatment(toFloat32(readNpy(made.output.file)), split.d, { treatment: 'bridged' });
        const decoder = loadDecoder(dec.output.dir);
        try {
          const t0 = Date.now();
          const caps = await generateCaptions(decoder, inputs, { ...this.cfg.generate, progress: true });
          const file = join(dir, 'captions.json');
          writeJsonAtomic(file, split.index.images.map((im, i) => ({ image_id: im.image_id, caption: caps[i] })));
          return { file, seconds: (Date.now() - t0) / 1000 };
        } finally { decoder.dispose(); }
      });
    });
  }

  /** The captions of a row (COCO results), for the notebook's examples; [] when the row has none. */
  async captionList(run: TableRun | AudioCaptionRun): Promise<{ image_id: number | string; caption: string }[]> {
    const main = this.cfg.domains.main;
    const file = (await this.captions(main, main, run)).output.file;
    return file === null ? [] : readJson(file, 'captions');
  }
}

/** All caption rows of a (possibly limited) split, in clip order, with each caption's clip. */
export function captionRowsOf(s: SplitEmbeddings): { rows: Float32Array; n: number; owner: number[] } {
  const idx = s.index.images.flatMap((im) => im.text_rows);
  const owner = s.index.images.flatMap((im, i) => im.text_rows.map(() => i));
  const rows = new Float32Array(idx.length * s.d);
  idx.forEach((r, i) => rows.set(s.text.subarray(r * s.d, (r + 1) * s.d), i * s.d));
  return { rows, n: idx.length, owner };
}
