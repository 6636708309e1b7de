// Resolved configuration of the audio table (issue 16): dataset (the built-in sound world, or
// AudioCaps / Clotho with CLAP) x scale x variant x seed. It extends the image runs' ExperimentConfig
// (config.ts), so the shared stages (diffusion model, augmentation, decoders, captions, scores) run
// unchanged, and adds what only audio needs: the sound world or the audio data, the encoder (the
// sound world's dual encoder or CLAP), the bridging start step M, and the two paired bridges
// (Diffusion-Link, DiffGAP) with THE SAME network size and training budget as Diffusion Bridge's
// diffusion model (one declaration: `diffusion` below; the bridges read width, steps, batch and lr
// from it). Every hyperparameter is declared here once; result files embed the resolved object.
import { DbridgeError } from '../util/errors.ts';
import { BRIDGE_M, DDIM_STEPS, type Variant } from '../diffusion/model.ts';
import { DEFAULT_NOISE_VARIANCE } from '../decoder/treatments.ts';
import { GENERATE_DEFAULTS } from '../decoder/generate.ts';
import { defaultWorkers, type ExperimentConfig } from './config.ts';
import type { DiffGapConfig, DiffGapSampling } from '../bridges/diffgap.ts';
import type { DiffusionLinkConfig, DiffusionLinkInference } from '../bridges/diffusion-link.ts';
import type { SoundWorldSizes } from '../world/sound/scales.ts';

export const AUDIO_DATASETS = ['sound', 'audiocaps', 'clotho'] as const;
export type AudioDataset = (typeof AUDIO_DATASETS)[number];

export function isAudioDataset(d: string | undefined): d is AudioDataset {
  return (AUDIO_DATASETS as readonly string[]).includes(d ?? '');
}

export interface AudioSettings {
  world: { scale: 'smoke' | 'mini'; sizes?: Partial<SoundWorldSizes> };
  encoder: { kind: 'sound'; steps?: number; batchSize?: number } | { kind: 'clap'; model: string };
  /** Real data: per split the caption CSV, and the audio folder (AudioCaps / Clotho layouts; `{split}` in it = one folder per split). */
  data: { captions: Record<string, string>; audio: string; fileTemplate?: string } | null;
  /** Bridging start step M for Diffusion Bridge and Diffusion-Link (no audio value is published: MSCOCO's, BRIDGE_M.coco). */
  M: number;
  link: { config: Omit<DiffusionLinkConfig, 'train' | 'width' | 'blocks' | 'timeDim'>; inference: Omit<DiffusionLinkInference, 'M' | 'steps' | 'seed'> };
  diffgap: { config: Pick<DiffGapConfig, 'objective' | 'condDropout'>; sampling: Omit<DiffGapSampling, 'seed'> };
  /** DiffGAP retrieval: similarity = (1 - mix) cos(query, item) + mix cos(generated query, item). */
  retrievalMix: number;
  /** Gap panel and retrieval: at most this many test clips (all their captions). */
  maxPanelClips: number;
}

export interface AudioExperimentConfig extends Omit<ExperimentConfig, 'dataset'> {
  dataset: AudioDataset;
  audio: AudioSettings;
}

export interface AudioConfigOptions {
  dataset?: string; scale?: string; variant?: string; seed?: number; dataRoot?: string; clapModel?: string; gpt2?: string;
}

/** The audio table's configuration (defaults per dataset and scale). */
export function resolveAudioConfig(opts: AudioConfigOptions): AudioExperimentConfig {
  const dataset = (opts.dataset ?? 'sound') as AudioDataset;
  const scale = (opts.scale ?? 'mini') as 'smoke' | 'mini' | 'paper';
  const variant = (opts.variant ?? 'official') as Variant;
  if (!isAudioDataset(dataset)) throw new DbridgeError(`unknown audio dataset '${dataset}' (choose ${AUDIO_DATASETS.join(', ')})`);
  if (!['smoke', 'mini', 'paper'].includes(scale)) throw new DbridgeError(`unknown scale '${scale}' (choose smoke, mini, paper)`);
  if (variant !== 'official' && variant !== 'paper') throw new DbridgeError(`unknown variant '${variant}' (official or paper)`);
  if (dataset === 'sound' && scale === 'paper') throw new DbridgeError("scale 'paper' is for real data (--dataset audiocaps or clotho); the sound world has smoke and mini");
  const seed = opts.seed ?? 0;
  const ddimSteps = DDIM_STEPS[variant];
  const smoke = scale === 'smoke', paper = scale === 'paper';
  const root = opts.dataRoot ?? 'data';
  // One network and budget for all three diffusion methods: a Diffusion-Link-style ResMLP
  // (lib/diffusion/denoisers/resmlp.ts) of this width, trained for these steps (docs/audio.md). Mini:
  // 600 steps of 64 pairs each, sized with the decoders' 5,000 captions so that the whole table fits
  // 10 minutes of one 2-core machine (measured, docs/audio.md).
  const width = smoke ? 128 : paper ? 1024 : 256;
  const diffusion = smoke
    ? { config: 'smoke', steps: 200, batchSize: 64, lr: 1e-3, denoiser: { kind: 'resmlp', width, blocks: 3, timeDim: 64 } }
    : paper ? { config: 'resmlp' }
      : { config: 'mini', steps: 600, batchSize: 64, lr: 1e-3, denoiser: { kind: 'resmlp', width, blocks: 3, timeDim: 128 } };
  const real = dataset !== 'sound';
  const data = !real ? null : dataset === 'audiocaps'
    ? { captions: { train: `${root}/audiocaps/train.csv`, val: `${root}/audiocaps/val.csv`, test: `${root}/audiocaps/test.csv` }, audio: `${root}/audiocaps/audio`, fileTemplate: '{youtube_id}.wav' }
    : { captions: { train: `${root}/clotho/clotho_captions_development.csv`, val: `${root}/clotho/clotho_captions_validation.csv`, test: `${root}/clotho/clotho_captions_evaluation.csv` }, audio: `${root}/clotho/audio` };
  return {
    dataset, scale, variant, seed, workers: defaultWorkers(scale),
    domains: { main: real ? dataset : 'a', other: null },
    // the image tables' roles are not used by the audio table; M comes from `audio.M`
    roles: { [real ? dataset : 'a']: 'coco' },
    world: { scale: 'smoke' },
    encoder: { kind: 'world' },
    data: {},
    diffusion,
    bridge: { M: { ...BRIDGE_M }, steps: ddimSteps, batchSize: 256 },
    augment: { A: 400, steps: ddimSteps },
    decoder: paper
      ? { lm: { hfDir: opts.gpt2 ?? 'models/gpt2' }, epochs: 10, batchSize: 40, lr: 2e-5, maxTrainCaptions: null, terminalPeriod: true }
      : { lm: 'tiny', epochs: 2, batchSize: 40, maxTrainCaptions: smoke ? null : 5000, bucketByLength: true, terminalPeriod: true },
    generate: { maxTokens: GENERATE_DEFAULTS.maxTokens, stopAtPeriod: GENERATE_DEFAULTS.stopAtPeriod, batchSize: GENERATE_DEFAULTS.batchSize },
    maxTestImages: paper ? null : 500,
    decapMemory: smoke ? 500 : 5000,
    table1: { maxImages: smoke ? 40 : 500, noiseVariance: DEFAULT_NOISE_VARIANCE },
    audio: {
      world: { scale: smoke ? 'smoke' : 'mini' },
      // mini: 400 encoder steps (the image world's 500 would not leave the 10-minute budget room for three diffusion methods)
      encoder: real ? { kind: 'clap', model: opts.clapModel ?? 'models/clap-htsat-unfused' } : { kind: 'sound', steps: smoke ? 60 : 400 },
      data,
      M: BRIDGE_M.coco,
      // chosen on the smoke sound world's VAL split (docs/audio.md): injecting the audio embedding
      // directly at M beat forward-noising it at every M tried
      link: { config: { selfWeight: 1, crossWeight: 1, topoWeight: 1 }, inference: { inject: 'direct' } },
      diffgap: { config: { objective: 'pred_v', condDropout: 0.1 }, sampling: { steps: 10, guidance: 0 } },
      retrievalMix: 0.5,
      maxPanelClips: smoke ? 40 : 500,
    },
  };
}

/** Diffusion-Link's full config from the run's (same network and budget as the diffusion model). */
export function linkConfig(cfg: AudioExperimentConfig): DiffusionLinkConfig {
  const den = (cfg.diffusion.denoiser ?? {}) as { width?: number; blocks?: number; timeDim?: number };
  return {
    ...cfg.audio.link.config, width: den.width ?? 1024, blocks: den.blocks ?? 3, timeDim: den.timeDim ?? 256,
    train: { steps: cfg.diffusion.steps ?? 20000, batchSize: cfg.diffusion.batchSize ?? 64, lr: cfg.diffusion.lr ?? 1e-4, clipGradNorm: 1, checkpointEvery: 500 },
  };
}

/** DiffGAP's full config from the run's (same network and budget as the diffusion model). */
export function diffgapConfig(cfg: AudioExperimentConfig): Partial<DiffGapConfig> {
  const l = linkConfig(cfg);
  return { ...cfg.audio.diffgap.config, width: l.width, blocks: l.blocks, timeDim: l.timeDim, train: l.train };
}
