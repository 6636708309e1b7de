// The runner's stages (design.md "One pipeline"): world -> encoder -> embeddings -> diffusion
// model (text only) -> augmented text -> decoders (text only, one per training treatment) ->
// test inputs (raw / mean-removed / DeCap / bridged / oracle-bridged) -> captions -> scores, and
// the reference rows' chosen captions (random / frequent / nearest train caption, held-out sixth
// caption) scored the same way. Each stage is cached by
// lib/experiments/cache.ts under a hash of its config and inputs, so tables share what they have
// in common (the plain decoder serves Plain, DeCap, bridging and the whole M sweep) and a changed
// setting recomputes only what depends on it. The same calls serve the CLI and the notebooks.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { StageCache, type StageResult } from './cache.ts';
import type { ExperimentConfig, Domain } from './config.ts';
import { M_SWEEP } from './tables.ts';
import { gapPanel, type GapPanel } from '../embeddings/panel.ts';
import { isReferenceRun, type CaptionRun, type TableRun, type ReferenceKind } from './tables.ts';
import { oracleBridgeEmbeddings } from './oracle.ts';
import { referenceCaptions } from './references.ts';
import { referenceCandidates, type ReferenceCandidates } from '../world/reference.ts';
import { loadSplit, loadMeans, referencesOf, type SplitEmbeddings } from './data.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { readJson, writeJsonAtomic } from '../util/fs.ts';
import { DbridgeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { generateWorld, WORLD_VERSION, readWorldEntries } from '../world/index.ts';
import { pretrainLm } from '../decoder/pretrain.ts';
import { GPT2_SMALL, GPT2_TINY } from '../decoder/gpt2.ts';
import { WORLD_ENCODER_RECIPE, trainWorldEncoder, loadWorldEncoder } from '../world/encoder.ts';
import { loadKarpathy } from '../data/karpathy.ts';
import { karpathyEmbedSplits, imageFolderLoader, findKarpathyJson } from '../embed/sources.ts';
import { embedDataset } from '../embed/embed.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
import { DiffusionModel, namedConfig, trainDiffusion, bridgeEmbeddings, augmentEmbeddings } from '../diffusion/index.ts';
import { trainDecoder, loadDecoder, generateCaptions, applyTestTreatment, decoderTextSpace } from '../decoder/index.ts';
import { scoreCaptions } from '../metrics/score.ts';
import type { Encoder } from '../encoders/types.ts';

export type Log = (line: string) => void;

/** Test treatment names of the tables -> the decoder module's names. */
const TEST_TREATMENT = { raw: 'raw', 'mean-removed': 'mean', decap: 'decap', bridged: 'bridged', 'oracle-bridged': 'bridged' } as const;

export class Pipeline {
  readonly cache: StageCache;
  private memo = new Map<string, Promise<StageResult<Record<string, unknown>>>>();

  constructor(readonly cfg: ExperimentConfig, cacheRoot: string, readonly log: Log = (l) => process.stderr.write(l + '\n')) {
    this.cache = new StageCache(cacheRoot, log);
  }

  /** Runs a stage at most once per pipeline (concurrent callers share the promise). */
  protected once<T extends Record<string, unknown>>(id: string, f: () => Promise<StageResult<T>>): Promise<StageResult<T>> {
    let p = this.memo.get(id);
    if (!p) { p = f() as Promise<StageResult<Record<string, unknown>>>; this.memo.set(id, p); }
    return p as Promise<StageResult<T>>;
  }

  M(domain: Domain): number {
    return this.cfg.bridge.M[this.cfg.roles[domain]];
  }

  // ---------------------------------------------------------------- data and encoder
  world(domain: Domain): Promise<StageResult<{ dir: string }>> {
    return this.once(`world:${domain}`, async () => {
      // the other domain's world reuses the main one's pre-training split (it depends only on scale and seed)
      const main = domain === this.cfg.domains.main ? null : await this.world(this.cfg.domains.main);
      return this.cache.run('world', {
        version: WORLD_VERSION, scale: this.cfg.world.scale, sizes: this.cfg.world.sizes ?? null, seed: this.cfg.seed, domain,
      }, main ? [main] : [], async (dir) => {
        generateWorld({ scale: this.cfg.world.scale, seed: this.cfg.seed, domain, outDir: dir, sizes: this.cfg.world.sizes, force: true, pretrainFrom: main?.output.dir });
        return { dir };
      });
    });
  }

  encoder(): Promise<StageResult<{ dir: string }>> {
    const enc = this.cfg.encoder;
    if (enc.kind !== 'world') {
      return this.once('encoder', async () => ({ dir: enc.model, key: `clip:${enc.model}`, output: { dir: enc.model }, cached: true, seconds: 0 }));
    }
    return this.once('encoder', async () => {
      // The pre-training split depends only on (scale, seed), so the main domain's world serves both.
      const world = await this.world(this.cfg.domains.main);
      // the encoder's code defaults are part of the key: changing them never reuses an old encoder
      return this.cache.run('encoder', { steps: enc.steps ?? null, batchSize: enc.batchSize ?? null, ...(enc.microBatch ? { microBatch: enc.microBatch } : {}), seed: this.cfg.seed, recipe: WORLD_ENCODER_RECIPE }, [world], async (dir) => {
        const r = await trainWorldEncoder({ worldDir: world.output.dir, outDir: dir, seed: this.cfg.seed, steps: enc.steps, batchSize: enc.batchSize, microBatch: enc.microBatch, workers: this.cfg.workers, resume: true });
        return { dir, retrieval: r.retrieval ?? null, loss: r.loss, logitScale: r.logitScale } as { dir: string };
      });
    });
  }

  private async openEncoder(): Promise<Encoder> {
    const e = await this.encoder();
    if (this.cfg.encoder.kind === 'world') return loadWorldEncoder(e.output.dir);
    const { loadClipEncoder } = await import('../encoders/clip.ts');
    return loadClipEncoder(e.output.dir);
  }

  embeddings(domain: Domain): Promise<StageResult<{ dir: string }>> {
    return this.once(`embed:${domain}`, async () => {
      const enc = await this.encoder();
      let karpathy: string, images: string, inputs: (StageResult<unknown> | string)[];
      if (this.cfg.dataset === 'world') {
        const w = await this.world(domain);
        karpathy = findKarpathyJson(w.output.dir); images = w.output.dir; inputs = [w, enc];
      } else {
        const d = this.cfg.data[domain];
        if (!d || !existsSync(d.karpathy)) throw new DbridgeError(`dataset ${domain}: Karpathy split file not found at ${d?.karpathy}; run dbridge check-data`);
        karpathy = d.karpathy; images = d.images; inputs = [`${d.karpathy}|${d.images}`, enc];
      }
      return this.cache.run('embed', { domain, dataset: this.cfg.dataset }, inputs, async (dir) => {
        const encoder = await this.openEncoder();
        try {
          const ds = loadKarpathy(karpathy, this.cfg.dataset === 'world' ? {} : { dataset: domain });
          await embedDataset({ outDir: dir, encoder, dataset: this.cfg.dataset === 'world' ? `world-${domain}` : domain, splits: karpathyEmbedSplits(ds), loadMedia: imageFolderLoader(images) });
        } finally { encoder.dispose?.(); }
        return { dir };
      });
    });
  }

  // ---------------------------------------------------------------- diffusion
  diffusion(domain: Domain): Promise<StageResult<{ dir: string }>> {
    return this.once(`diffusion:${domain}`, async () => {
      const emb = await this.embeddings(domain);
      const c = this.cfg.diffusion;
      return this.cache.run('diffusion', { ...c, variant: this.cfg.variant, seed: this.cfg.seed }, [emb], async (dir) => {
        const train = loadSplit(emb.output.dir, 'train');
        const means = loadMeans(emb.output.dir);
        const nc = namedConfig(c.config, { length: train.d, variant: this.cfg.variant });
        if (c.denoiser) {
          const base = c.denoiser.kind && c.denoiser.kind !== nc.model.denoiser.kind ? {} : nc.model.denoiser;
          nc.model = { ...nc.model, denoiser: { ...base, ...c.denoiser, length: train.d } as typeof nc.model.denoiser };
        }
        const z0 = preprocessRows(train.text, train.nText, train.d, means.text);
        const model = DiffusionModel.create(nc.model, this.cfg.seed);
        try {
          const r = await trainDiffusion(model, z0, train.nText, {
            ...nc.train, ...(c.steps ? { steps: c.steps } : {}), ...(c.batchSize ? { batchSize: c.batchSize } : {}), ...(c.lr ? { lr: c.lr } : {}),
            ...(c.microBatch !== undefined ? { microBatch: c.microBatch } : {}), seed: this.cfg.seed, outDir: join(dir, 'model'), resume: true, workers: this.cfg.workers,
          });
          return { dir: join(dir, 'model'), finalLoss: r.finalLoss, steps: r.endStep, stepsPerSecond: r.stepsPerSecond } as { dir: string };
        } finally { model.dispose(); }
      });
    });
  }

  /** Train-split caption rows the decoders see: all, or a seeded subset of `maxTrainCaptions` (sorted). */
  decoderRows(nText: number): number[] | null {
    const max = this.cfg.decoder.maxTrainCaptions;
    if (max === null || nText <= max) return null;
    return new Rng(this.cfg.seed).fork('decoder-subset').permutation(nText).slice(0, max).sort((a, b) => a - b);
  }

  /**
   * The decoder's augmented training text (docs/spec.md §3): every caption the decoders train on replaced
   * once (rows in decoderRows order, so only the captions used are augmented).
   */
  augmented(domain: Domain): Promise<StageResult<{ file: string }>> {
    return this.once(`augment:${domain}`, async () => {
      const emb = await this.embeddings(domain);
      const diff = await this.diffusion(domain);
      return this.cache.run('augment', { ...this.cfg.augment, seed: this.cfg.seed, maxTrainCaptions: this.cfg.decoder.maxTrainCaptions }, [emb, diff], async (dir) => {
        const train = loadSplit(emb.output.dir, 'train');
        const means = loadMeans(emb.output.dir);
        const rows = this.decoderRows(train.nText);
        const text = rows ? gatherRows(train.text, train.d, rows) : train.text;
        const n = rows ? rows.length : train.nText;
        const model = DiffusionModel.load(diff.output.dir);
        try {
          const aug = await augmentEmbeddings(model, text, n, train.d, means.text, { A: this.cfg.augment.A, steps: this.cfg.augment.steps, seed: this.cfg.seed, progress: true });
          const file = join(dir, 'augmented.npy');
          writeNpy(file, { dtype: 'float32', shape: [n, train.d], data: aug });
          return { file };
        } finally { model.dispose(); }
      });
    });
  }

  // ---------------------------------------------------------------- decoders
  /**
   * The decoders' LM pre-trained on the world's web (pre-training) captions, once per world
   * (lib/decoder/pretrain.ts); its vocabulary covers the train and val captions of every domain.
   * null when the config has no pre-training (real data, or pretrain: null).
   */
  lm(): Promise<StageResult<{ dir: string }> | null> {
    const pre = this.cfg.decoder.pretrain;
    const base = this.cfg.decoder.lm;
    if (!pre || this.cfg.dataset !== 'world' || typeof base !== 'string') return Promise.resolve(null);
    return this.once('lm', async () => {
      const domains = [this.cfg.domains.main, ...(this.cfg.domains.other ? [this.cfg.domains.other] : [])];
      const worlds = await Promise.all(domains.map((d) => this.world(d)));
      return this.cache.run('lm-pretrain', { ...pre, lm: base, lmOverrides: this.cfg.decoder.lmOverrides ?? null, seed: this.cfg.seed }, worlds, async (dir) => {
        // the pre-training split depends only on (scale, seed): the main domain's world holds it
        const web = readWorldEntries(worlds[0].output.dir, 'pretrain').flatMap((e) => e.sentences.map((x) => x.raw));
        const vocabTexts = worlds.flatMap((w) => readWorldEntries(w.output.dir, 'dataset').filter((e) => e.split === 'train' || e.split === 'val').flatMap((e) => e.sentences.map((x) => x.raw)));
        const r = await pretrainLm({
          captions: web, vocabTexts, lm: base === 'small' ? GPT2_SMALL : GPT2_TINY, lmOverrides: this.cfg.decoder.lmOverrides,
          out: dir, steps: pre.steps, batchSize: pre.batchSize, seqLen: pre.seqLen, lr: pre.lr, microBatch: pre.microBatch, workers: this.cfg.workers, seed: this.cfg.seed, resume: true,
        });
        return { dir, finalLoss: r.finalLoss, tokensPerSecond: r.tokensPerSecond, vocab: r.vocabSize } as { dir: string };
      });
    });
  }

  decoder(domain: Domain, treatment: CaptionRun['train']): Promise<StageResult<{ dir: string }>> {
    return this.once(`decoder:${domain}:${treatment}`, async () => {
      const emb = await this.embeddings(domain);
      const aug = treatment === 'augmented' ? await this.augmented(domain) : null;
      const lm = await this.lm();
      const d = this.cfg.decoder;
      const deps: StageResult<unknown>[] = [emb, ...(aug ? [aug] : []), ...(lm ? [lm] : [])];
      return this.cache.run('decoder', { ...d, treatment, variant: this.cfg.variant, seed: this.cfg.seed }, deps, async (dir) => {
        const train = loadSplit(emb.output.dir, 'train');
        const val = loadSplit(emb.output.dir, 'val');
        const means = loadMeans(emb.output.dir);
        const rows = this.decoderRows(train.nText);
        const all = train.index.texts.map((t) => t.caption);
        const picked = rows ? rows.map((r) => all[r]) : all;
        const captions = d.terminalPeriod ? picked.map((c) => (/[.!?]\s*$/.test(c) ? c : `${c.trimEnd()}.`)) : picked;
        // the augmented file already holds exactly these rows, in this order
        const inputs = aug ? toFloat32(readNpy(aug.output.file)) : rows ? gatherRows(train.text, train.d, rows) : train.text;
        if (inputs.length !== captions.length * train.d) throw new DbridgeError(`decoder inputs hold ${inputs.length / train.d} rows for ${captions.length} captions`);
        const r = await trainDecoder({
          embeddings: inputs, dim: train.d, captions, treatment, textMean: means.text, out: dir,
          val: { embeddings: d.maxValCaptions ? val.text.subarray(0, Math.min(d.maxValCaptions, val.nText) * val.d) : val.text, captions: val.index.texts.slice(0, d.maxValCaptions ?? val.nText).map((t) => t.caption) },
          lm: lm ? { pretrained: lm.output.dir } : d.lm, lmOverrides: lm ? undefined : d.lmOverrides, mapper: this.cfg.variant, mapperInputScale: d.mapperInputScale === 'sqrt-dim' ? Math.sqrt(train.d) : d.mapperInputScale, epochs: d.epochs, batchSize: d.batchSize, lr: d.lr, bucketByLength: d.bucketByLength,
          microBatch: d.microBatch, seed: this.cfg.seed, resume: true, workers: this.cfg.workers,
        });
        return { dir, bestEpoch: r.bestEpoch, steps: r.steps, history: r.history } as unknown as { dir: string };
      });
    });
  }

  // ---------------------------------------------------------------- test inputs, captions, scores
  /** Bridged test (or val) image embeddings of `target`, through `source`'s diffusion model from step M. */
  bridged(source: Domain, target: Domain, split: string, M: number): Promise<StageResult<{ file: string; secondsPerImage: number }>> {
    return this.once(`bridged:${source}:${target}:${split}:${M}`, async () => {
      const emb = await this.embeddings(target);
      if (M === 0) {
        // No denoiser call: the preprocessed image embedding itself (the paper's M = 0 row equals Plain).
        return this.cache.run('bridge', { split, M, limit: this.limit(split) }, [emb], async (dir) => {
          const s = this.limitSplit(loadSplit(emb.output.dir, split), split);
          const file = join(dir, 'bridged.npy');
          writeNpy(file, { dtype: 'float32', shape: [s.nImage, s.d], data: l2NormalizeRows(preprocessRows(s.image, s.nImage, s.d, loadMeans(emb.output.dir).image), s.nImage, s.d) });
          return { file, secondsPerImage: 0 };
        });
      }
      const diff = await this.diffusion(source);
      return this.cache.run('bridge', { split, M, steps: this.cfg.bridge.steps, limit: this.limit(split) }, [emb, diff], async (dir) => {
        const s = this.limitSplit(loadSplit(emb.output.dir, split), split);
        const means = loadMeans(emb.output.dir);
        const model = DiffusionModel.load(diff.output.dir);
        try {
          const t0 = Date.now();
          const out = await bridgeEmbeddings(model, s.image, s.nImage, s.d, means.image, { M, steps: this.cfg.bridge.steps, batchSize: this.cfg.bridge.batchSize, progress: true });
          const file = join(dir, 'bridged.npy');
          writeNpy(file, { dtype: 'float32', shape: [s.nImage, s.d], data: out });
          return { file, secondsPerImage: (Date.now() - t0) / 1000 / Math.max(1, s.nImage) };
        } finally { model.dispose(); }
      });
    });
  }

  /**
   * Oracle-bridged test (or val) image embeddings of `target`: `source`'s diffusion schedule and
   * objective, with the exact posterior mean over all of `source`'s preprocessed train texts in
   * place of its network (lib/experiments/oracle.ts).
   */
  oracleBridged(source: Domain, target: Domain, split: string, M: number): Promise<StageResult<{ file: string }>> {
    return this.once(`oracle:${source}:${target}:${split}:${M}`, async () => {
      const emb = await this.embeddings(target);
      const srcEmb = await this.embeddings(source);
      const diff = await this.diffusion(source);
      return this.cache.run('oracle-bridge', { split, M, steps: this.cfg.bridge.steps, limit: this.limit(split) }, [emb, srcEmb, diff], async (dir) => {
        const s = this.limitSplit(loadSplit(emb.output.dir, split), split);
        const train = loadSplit(srcEmb.output.dir, 'train');
        const model = DiffusionModel.load(diff.output.dir);
        try {
          const texts = preprocessRows(train.text, train.nText, train.d, loadMeans(srcEmb.output.dir).text, model.radius);
          const out = await oracleBridgeEmbeddings(model, texts, train.nText, s.image, s.nImage, s.d, loadMeans(emb.output.dir).image, { M, steps: this.cfg.bridge.steps, progress: true });
          const file = join(dir, 'bridged.npy');
          writeNpy(file, { dtype: 'float32', shape: [s.nImage, s.d], data: out });
          return { file };
        } finally { model.dispose(); }
      });
    });
  }

  /**
   * The gap panel (lib/embeddings/panel.ts) of a split of `domain`: raw, preprocessed and bridged at
   * every M of Table 5's sweep (the domain's own diffusion model).
   */
  gapPanel(domain: Domain, split = 'val'): Promise<StageResult<{ panel: GapPanel }>> {
    return this.once(`gap-panel:${domain}:${split}`, async () => {
      const emb = await this.embeddings(domain);
      const Ms = M_SWEEP.filter((M) => M > 0);
      const bridged = await Promise.all(Ms.map((M) => this.bridged(domain, domain, split, M)));
      return this.cache.run('gap-panel', { split, seed: this.cfg.seed, Ms, limit: this.limit(split), version: 1 }, [emb, ...bridged], async () => {
        const s = this.limitSplit(loadSplit(emb.output.dir, split), split);
        const means = loadMeans(emb.output.dir);
        const row = new Map(s.index.images.map((im, i) => [String(im.image_id), i]));
        // captions of the (possibly limited) images only
        const keep = s.index.texts.map((t, r) => ({ r, im: row.get(String(t.image_id)) })).filter((x) => x.im !== undefined);
        const text = gatherRows(s.text, s.d, keep.map((x) => x.r));
        const panel = gapPanel({
          text, image: s.image.subarray(0, s.nImage * s.d), d: s.d, textToImage: keep.map((x) => x.im!), textMean: means.text, imageMean: means.image,
          bridged: Ms.map((M, k) => ({ M, rows: toFloat32(readNpy(bridged[k].output.file)) })),
        }, { seed: this.cfg.seed });
        return { panel };
      });
    });
  }

  /** The Karpathy file of a domain: the world's dataset_world.json, or the real dataset's. */
  protected async karpathyFile(domain: Domain): Promise<{ file: string; input: StageResult<unknown> | string }> {
    if (this.cfg.dataset === 'world') {
      const w = await this.world(domain);
      return { file: findKarpathyJson(w.output.dir), input: w };
    }
    const d = this.cfg.data[domain];
    if (!d || !existsSync(d.karpathy)) throw new DbridgeError(`dataset ${domain}: Karpathy split file not found at ${d?.karpathy}; run dbridge check-data`);
    return { file: d.karpathy, input: `${d.karpathy}` };
  }

  /** The chosen captions of a reference row for the test images of `target` (lib/experiments/references.ts). */
  references(target: Domain, kind: ReferenceKind): Promise<StageResult<{ file: string | null; unavailable: string | null }>> {
    return this.once(`reference:${target}:${kind}`, async () => {
      const emb = await this.embeddings(target);
      const k = kind === 'nearest-caption' ? null : await this.karpathyFile(target);
      return this.cache.run('reference', { kind, seed: this.cfg.seed, limit: this.cfg.maxTestImages, version: 1 }, k ? [emb, k.input] : [emb], async (dir) => {
        const test = this.limitSplit(loadSplit(emb.output.dir, 'test'), 'test');
        let candidates: ReferenceCandidates | undefined;
        if (k) {
          candidates = referenceCandidates(k.file, { split: 'test', seed: this.cfg.seed });
          if (kind === 'human' && !candidates.heldout) {
            return { file: null, unavailable: this.cfg.dataset === 'world'
              ? 'this world has no held-out sixth caption (generated before the sixth annotator)'
              : 'real datasets have five references per image and none held out (holding one out would change every other row\'s references)' };
          }
        }
        const caps = await referenceCaptions(kind, { test, train: loadSplit(emb.output.dir, 'train'), candidates });
        const file = join(dir, 'captions.json');
        writeJsonAtomic(file, test.index.images.map((im, i) => ({ image_id: im.image_id, caption: caps[i] })));
        return { file, unavailable: null };
      });
    });
  }

  private limit(split: string): number | null {
    return split === 'test' ? this.cfg.maxTestImages : null;
  }

  /** The first `maxTestImages` images of a split (and their captions), when limited. */
  limitSplit(s: SplitEmbeddings, split: string): SplitEmbeddings {
    const lim = this.limit(split);
    if (lim === null || s.nImage <= lim) return s;
    const images = s.index.images.slice(0, lim);
    return { ...s, image: s.image.subarray(0, lim * s.d), nImage: lim, index: { ...s.index, images } };
  }

  /** Decoder inputs for a split of `target` under a test treatment (decoder and diffusion from `source`). */
  async testInputs(source: Domain, target: Domain, run: CaptionRun, split = 'test'): Promise<{ inputs: Float32Array; split: SplitEmbeddings }> {
    const emb = await this.embeddings(target);
    const s = this.limitSplit(loadSplit(emb.output.dir, split), split);
    const means = loadMeans(emb.output.dir);
    const t = TEST_TREATMENT[run.test];
    if (run.test === 'bridged' || run.test === 'oracle-bridged') {
      const M = run.M ?? this.M(source);
      const b = run.test === 'bridged' ? await this.bridged(source, target, split, M) : await this.oracleBridged(source, target, split, M);
      return { inputs: await applyTestTreatment(toFloat32(readNpy(b.output.file)), s.d, { treatment: 'bridged' }), split: s };
    }
    if (run.test === 'decap') {
      const srcEmb = await this.embeddings(source);
      const train = loadSplit(srcEmb.output.dir, 'train');
      const rows = new Rng(this.cfg.seed).fork('decap-memory').permutation(train.nText).slice(0, Math.min(this.cfg.decapMemory, train.nText));
      const dec = loadDecoder((await this.decoder(source, run.train)).output.dir);
      try {
        return {
          inputs: await applyTestTreatment(s.image, s.d, { treatment: 'decap', memory: gatherRows(train.text, train.d, rows), textMean: decoderTextSpace(dec).textMean }),
          split: s,
        };
      } finally { dec.dispose(); }
    }
    // Mean removal uses the target's own image mean (C3: the mean of the test modality's train split).
    return { inputs: await applyTestTreatment(s.image, s.d, { treatment: t, imageMean: means.image }), split: s };
  }

  /** The captions of a table row: generated by its decoder, or chosen (reference rows; file null when unavailable). */
  captions(source: Domain, target: Domain, run: TableRun): Promise<StageResult<{ file: string | null; seconds?: number; unavailable?: string | null }>> {
    if (isReferenceRun(run)) return this.references(target, run.reference);
    return this.generated(source, target, run);
  }

  private generated(source: Domain, target: Domain, run: CaptionRun): Promise<StageResult<{ file: string; seconds: number }>> {
    const bridgedTest = run.test === 'bridged' || run.test === 'oracle-bridged';
    const M = bridgedTest ? run.M ?? this.M(source) : null;
    return this.once(`captions:${source}:${target}:${run.train}:${run.test}:${M}`, async () => {
      const dec = await this.decoder(source, run.train);
      const emb = await this.embeddings(target);
      const deps: StageResult<unknown>[] = [dec, emb];
      if (M !== null) deps.push(run.test === 'bridged' ? await this.bridged(source, target, 'test', M) : await this.oracleBridged(source, target, 'test', M));
      return this.cache.run('captions', { test: run.test, M, generate: this.cfg.generate, limit: this.cfg.maxTestImages, decap: run.test === 'decap' ? this.cfg.decapMemory : null }, deps, async (dir) => {
        const { inputs, split } = await this.testInputs(source, target, { ...run, M: M ?? undefined });
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

  /**
   * Scores of a row's captions against the test references, and how many distinct captions it
   * wrote. A reference row that is unavailable here scores null everywhere, with the reason.
   */
  async scores(source: Domain, target: Domain, run: TableRun): Promise<StageResult<{ corpus: Record<string, number | null>; unavailable: Record<string, string>; meteor: string | null; numImages: number; perImageFile: string | null; distinctCaptions: number | null }>> {
    const caps = await this.captions(source, target, run);
    const emb = await this.embeddings(target);
    const file = caps.output.file;
    if (file === null) {
      return { dir: caps.dir, key: caps.key, cached: caps.cached, seconds: 0, output: { corpus: {}, unavailable: { [run.row]: caps.output.unavailable ?? 'unavailable' }, meteor: null, numImages: 0, perImageFile: null, distinctCaptions: null } };
    }
    return this.cache.run('scores', { meteorJar: process.env.DBRIDGE_METEOR_JAR ?? null, spiceJar: process.env.DBRIDGE_SPICE_JAR ?? null, perImage: 1, distinct: 1 }, [caps, emb], async (dir) => {
      const s = this.limitSplit(loadSplit(emb.output.dir, 'test'), 'test');
      const refs = referencesOf(s);
      const rows = readJson<{ image_id: number | string; caption: string }[]>(file);
      const cands = new Map<number | string, string>(rows.map((c) => [c.image_id, c.caption]));
      const r = await scoreCaptions(refs, cands);
      const perImageFile = join(dir, 'per_image.json');
      writeJsonAtomic(perImageFile, r.perImage);
      return { corpus: r.corpus as Record<string, number | null>, unavailable: r.unavailable as Record<string, string>, meteor: r.meteor, numImages: r.numImages, perImageFile, distinctCaptions: distinctCaptions(rows.map((c) => c.caption)) };
    });
  }
}

/** Distinct captions of a list (case and surrounding space ignored). */
export function distinctCaptions(captions: readonly string[]): number {
  return new Set(captions.map((c) => c.trim().toLowerCase())).size;
}

export function gatherRows(data: Float32Array, d: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(data.subarray(r * d, (r + 1) * d), i * d));
  return out;
}
