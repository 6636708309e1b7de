// Resolved configuration of a reproduction run: dataset x scale x variant x seed. Every
// hyperparameter of every stage lives here once, with the paper's value or the reason for a
// smaller one; result files embed the resolved object. Scales (design.md): `smoke` for tests, CI
// and notebooks in CI (seconds per stage), `mini` the default main job on a 2-core CPU (the whole
// reproduction in about 15 minutes), `paper` the paper's settings on real data and a GPU.
import { availableParallelism } from 'node:os';
import { DbridgeError } from '../util/errors.ts';
import { activeBackend } from '../backend.ts';
import { BRIDGE_M, DDIM_STEPS, type Variant } from '../diffusion/model.ts';
import { DEFAULT_NOISE_VARIANCE } from '../decoder/treatments.ts';
import { GENERATE_DEFAULTS } from '../decoder/generate.ts';

export const DATASETS = ['world', 'coco', 'flickr30k'] as const;
export type Dataset = (typeof DATASETS)[number];
export const SCALES = ['smoke', 'mini', 'paper'] as const;
export type Scale = (typeof SCALES)[number];

/** A domain of the run: the world's 'a' / 'b', or a real dataset. */
export type Domain = string;

export interface ExperimentConfig {
  dataset: Dataset;
  scale: Scale;
  variant: Variant;
  seed: number;
  /** In-domain dataset/domain (Tables 1, 2, 4, 5) and the other domain for Table 3. */
  domains: { main: Domain; other: Domain | null };
  /** Paper role of each domain ('coco' / 'flickr30k'), for the reported numbers and M. */
  roles: Record<Domain, 'coco' | 'flickr30k'>;
  world: { scale: 'smoke' | 'mini'; sizes?: Record<string, number> };
  /**
   * Worker threads of every trainer (lib/train): execution only, the numbers do not depend on it
   * (they depend on each stage's microBatch, its cut of a batch). Default: the machine's cores (at
   * most 8) at mini and paper scale, 1 at smoke (start-up would cost more than it saves) and on
   * webgpu (one device takes the whole batch); DBRIDGE_WORKERS overrides.
   */
  workers: number;
  encoder: { kind: 'world'; steps?: number; batchSize?: number; microBatch?: number } | { kind: 'clip'; model: string };
  /** Real data locations (coco / flickr30k). */
  data: Record<string, { karpathy: string; images: string }>;
  /**
   * Named diffusion config (lib/diffusion/configs.ts) plus overrides; `denoiser` replaces fields of its
   * denoiser config (e.g. a ResMLP instead of the Unet1D, see the mini scale below).
   */
  diffusion: { config: string; steps?: number; batchSize?: number; lr?: number; microBatch?: number; denoiser?: Record<string, unknown> };
  /** Bridging start step M per paper role (docs/spec.md, Decisions (2)) and DDIM steps (variant). */
  bridge: { M: Record<'coco' | 'flickr30k', number>; steps: number; batchSize: number };
  /** Diffusion augmentation of the decoder's training text (docs/spec.md §3). */
  augment: { A: number; steps: number };
  decoder: {
    lm: 'tiny' | 'small' | { hfDir: string };
    lmOverrides?: Record<string, number>;
    /**
     * Pre-train the LM once per world on the web (pre-training) captions before any decoder
     * fine-tunes from it (lib/decoder/pretrain.ts), as the paper starts from a GPT-2 pre-trained on
     * web text; null = every decoder's LM starts from scratch. World only (real data: GPT-2).
     */
    pretrain?: { steps: number; batchSize: number; seqLen: number; lr?: number; microBatch?: number } | null;
    epochs: number;
    batchSize: number;
    /** Captions per forward/backward pass (the batch is cut into parts of this size, one per worker). */
    microBatch?: number;
    /**
     * Factor on the mapper's input embedding (lib/decoder/mapper.ts inputScale; default 1, the
     * reference's); 'sqrt-dim' = sqrt(D), unit-scale coordinates. The world's decoders take 'sqrt-dim':
     * at a budget of 300 steps the reference's first layer learns too slowly (mini, seed 0, same cost:
     * Plain 188 -> 236 distinct captions and CIDEr 31.9 -> 43.0, C3 25 -> 107 and 11.0 -> 16.2; docs/experiments.md).
     */
    mapperInputScale?: number | 'sqrt-dim';
    lr?: number;
    /** Limit of training captions (null: all). */
    maxTrainCaptions: number | null;
    /**
     * Validation captions for the per-epoch val loss (best-epoch selection): the first N of the val
     * split, or all when absent. The val loss runs on the main thread only, so all 2,500 cost ~15% of a
     * mini decoder's wall time; 500 select the epoch as well (mini has two).
     */
    maxValCaptions?: number;
    /** Batch captions of similar length together (less padding; the reference shuffles freely). */
    bucketByLength?: boolean;
    /**
     * End every training caption with a full stop when it has none, so the decoder learns where
     * captions end (generation stops at '.'): AudioCaps-style captions have no final stop. Scores do
     * not change (the PTB tokenizer drops punctuation). Default false (COCO's captions end with one).
     */
    terminalPeriod?: boolean;
  };
  generate: { maxTokens: number; stopAtPeriod: boolean; batchSize: number };
  /** Images of the test split captioned per run (null: all). */
  maxTestImages: number | null;
  /** DeCap memory size (training text embeddings sampled; DeCap's demo used 10k). */
  decapMemory: number;
  /** Table 1: rows of val sampled for the cosines; noise variance of row (b). */
  table1: { maxImages: number; noiseVariance: number };
}

/** The world's mini-scale denoiser (see resolveDefaults for why a ResMLP and not the Unet1D). */
export const MINI_WORLD_RESMLP = { kind: 'resmlp', width: 256, blocks: 3, timeDim: 128 } as const;
/** `--denoiser unet1d` at world mini: the Unet1D's structure, narrowed (85k parameters). */
export const MINI_WORLD_UNET = { kind: 'unet1d', dim: 128, initDim: 8, dimMults: [1, 2, 4], attnHeads: 1, attnDimHead: 32 } as const;

/**
 * Trainer worker threads (execution only): DBRIDGE_WORKERS, else the cores (at most 8) except at
 * smoke scale and on webgpu (one device runs the whole batch; worker threads run CPU backends).
 */
export function defaultWorkers(scale: Scale): number {
  const env = process.env.DBRIDGE_WORKERS;
  if (env !== undefined && env !== '') {
    const k = Number(env);
    if (!Number.isInteger(k) || k < 1) throw new DbridgeError(`DBRIDGE_WORKERS must be a positive integer, got '${env}'`);
    return k;
  }
  return scale === 'smoke' || activeBackend() === 'webgpu' ? 1 : Math.min(availableParallelism(), 8);
}

/** The experiment config of a dataset, scale, variant and seed (resolveDefaults), with the denoiser and its training steps optionally overridden (`--denoiser`, `--diffusion-steps`). */
export function resolveConfig(opts: { dataset?: string; scale?: string; variant?: string; seed?: number; dataRoot?: string; clipModel?: string; gpt2?: string; denoiser?: string; diffusionSteps?: number }): ExperimentConfig {
  const cfg = withDenoiserOverride(resolveDefaults(opts), opts.denoiser);
  if (opts.diffusionSteps === undefined) return cfg;
  if (!Number.isInteger(opts.diffusionSteps) || opts.diffusionSteps < 1) throw new DbridgeError(`--diffusion-steps must be a positive integer, got ${opts.diffusionSteps}`);
  return { ...cfg, diffusion: { ...cfg.diffusion, steps: opts.diffusionSteps } };
}

function withDenoiserOverride(cfg: ExperimentConfig, denoiser: string | undefined): ExperimentConfig {
  if (denoiser === undefined) return cfg;
  const worldMini = cfg.dataset === 'world' && cfg.scale === 'mini';
  const withDenoiser = (denoiser: ExperimentConfig['diffusion']['denoiser']) => ({ ...cfg, diffusion: { ...cfg.diffusion, denoiser } });
  // unet1d: the narrowed Unet1D at world mini, elsewhere the scale's preset (a Unet1D)
  if (denoiser === 'unet1d') return withDenoiser(worldMini ? { ...MINI_WORLD_UNET, dimMults: [...MINI_WORLD_UNET.dimMults] } : undefined);
  if (denoiser === 'resmlp') return withDenoiser({ ...MINI_WORLD_RESMLP });
  throw new DbridgeError(`unknown denoiser '${denoiser}' (unet1d or resmlp)`);
}

function resolveDefaults(opts: { dataset?: string; scale?: string; variant?: string; seed?: number; dataRoot?: string; clipModel?: string; gpt2?: string }): ExperimentConfig {
  const dataset = (opts.dataset ?? 'world') as Dataset;
  const scale = (opts.scale ?? 'mini') as Scale;
  const variant = (opts.variant ?? 'official') as Variant;
  if (!DATASETS.includes(dataset)) throw new DbridgeError(`unknown dataset '${dataset}' (choose ${DATASETS.join(', ')})`);
  if (!SCALES.includes(scale)) throw new DbridgeError(`unknown scale '${scale}' (choose ${SCALES.join(', ')})`);
  if (variant !== 'official' && variant !== 'paper') throw new DbridgeError(`unknown variant '${variant}' (official or paper)`);
  const seed = opts.seed ?? 0;
  if (dataset === 'world' && scale === 'paper') throw new DbridgeError("scale 'paper' is for real data (--dataset coco or flickr30k); the built-in world has smoke and mini");
  const ddimSteps = DDIM_STEPS[variant];
  const root = opts.dataRoot ?? 'data';
  const base = {
    dataset, scale, variant, seed, workers: defaultWorkers(scale),
    bridge: { M: { ...BRIDGE_M }, steps: ddimSteps, batchSize: 256 },
    augment: { A: 400, steps: ddimSteps },
    generate: { maxTokens: GENERATE_DEFAULTS.maxTokens, stopAtPeriod: GENERATE_DEFAULTS.stopAtPeriod, batchSize: GENERATE_DEFAULTS.batchSize },
    data: {
      coco: { karpathy: `${root}/coco/dataset_coco.json`, images: `${root}/coco/images` },
      flickr30k: { karpathy: `${root}/flickr30k/dataset_flickr30k.json`, images: `${root}/flickr30k/images` },
    },
  };
  if (dataset === 'world') {
    const smoke = scale === 'smoke';
    return {
      ...base,
      domains: { main: 'a', other: 'b' },
      roles: { a: 'coco', b: 'flickr30k' },
      world: { scale: smoke ? 'smoke' : 'mini' },
      // mini: batches cut in two (one part per worker on a 2-core machine; lib/train)
      encoder: { kind: 'world', steps: smoke ? 60 : undefined, microBatch: smoke ? undefined : 64 },
      // smoke: the official architecture (the small fixture Unet1D) so CI exercises it end to end.
      // mini: a ResMLP (MINI_WORLD_RESMLP). Measured on world v4, seed 7, same cache, quiet
      // (README Speed, docs/experiments.md): the narrowed Unet1D (MINI_WORLD_UNET, --denoiser unet1d)
      // trains at 2.2 steps/s, 7.7 min per domain, 15.4 min for the two: more than the whole 15-minute
      // budget; and after its 1000 steps it does not bridge (Table 1 d = 0.482 vs a = 0.481; bridging
      // -5.0 CIDEr against Plain); the ResMLP trains 1000 steps in 96 s and bridges (d = 0.670;
      // +7.2 CIDEr, the M sweep rising to a plateau at M = 400-800 like the paper's).
      diffusion: smoke
        ? { config: 'smoke', steps: 100 }
        : { config: 'mini', steps: 1000, lr: 1e-3, microBatch: 32, denoiser: { ...MINI_WORLD_RESMLP } },
      decoder: {
        lm: 'tiny', epochs: 2, batchSize: 40, microBatch: smoke ? undefined : 20, maxTrainCaptions: smoke ? null : 6000, ...(smoke ? {} : { maxValCaptions: 500 }), bucketByLength: true, mapperInputScale: 'sqrt-dim',
        pretrain: smoke ? { steps: 20, batchSize: 16, seqLen: 32 } : { steps: 300, batchSize: 32, seqLen: 48, microBatch: 16 },
      },
      maxTestImages: null,
      decapMemory: smoke ? 500 : 5000,
      table1: { maxImages: smoke ? 40 : 500, noiseVariance: DEFAULT_NOISE_VARIANCE },
    };
  }
  // Real data: CLIP ViT-B/32 (transformers.js ONNX layout), GPT-2 small; the other domain is the other dataset.
  const other = dataset === 'coco' ? 'flickr30k' : 'coco';
  const paper = scale === 'paper';
  return {
    ...base,
    domains: { main: dataset, other },
    roles: { coco: 'coco', flickr30k: 'flickr30k' },
    world: { scale: 'smoke' },
    encoder: { kind: 'clip', model: opts.clipModel ?? 'models/clip-vit-base-patch32' },
    diffusion: { config: paper ? 'paper' : scale === 'mini' ? 'mini' : 'smoke' },
    decoder: { lm: paper ? { hfDir: opts.gpt2 ?? 'models/gpt2' } : 'tiny', epochs: paper ? 10 : 2, batchSize: 40, lr: paper ? 2e-5 : undefined, maxTrainCaptions: paper ? null : 20000 },
    maxTestImages: paper ? null : 500,
    decapMemory: 10000,
    table1: { maxImages: paper ? 5000 : 500, noiseVariance: DEFAULT_NOISE_VARIANCE },
  };
}

/** results/<dataset>-<scale>[-<variant>][-seed<S>][-<overrides, e.g. unet1d-steps3000>] under `root`. */
export function resultsDirName(cfg: ExperimentConfig, denoiserOverride?: string): string {
  return `${cfg.dataset}-${cfg.scale}${cfg.variant === 'official' ? '' : '-' + cfg.variant}${cfg.seed ? '-seed' + cfg.seed : ''}${denoiserOverride ? '-' + denoiserOverride : ''}`;
}
