// DiffGAP (Mo, Chen, Bao, Zhu; ICASSP 2025; arXiv 2503.12131): "a lightweight generative module
// within the contrastive space" with a BIDIRECTIONAL conditional diffusion: it denoises text (and
// video) embeddings conditioned on audio embeddings and audio embeddings conditioned on text.
// Published: the abstract (bidirectional conditional denoising in the CLAP/CAVP embedding space,
// evaluated on retrieval R@k and generation). Not published: architecture, objective, schedule,
// guidance, how generated embeddings enter retrieval, code. What this file does (options, recorded
// in the checkpoint's config):
//   network    one conditional residual MLP for both directions (cond-resmlp.ts; a direction
//              embedding says which), trained on the paired train embeddings, both directions in
//              every batch; the condition is dropped (zeroed) with probability condDropout.
//   process    lib/diffusion's cosine schedule (T = 1000) and DDIM sampler; v-prediction with a
//              uniform loss weight and no radius re-normalisation (the standard conditional DDPM
//              choice; the harness's x0/SNR weighting would leave the large-t steps, where
//              generation from noise starts, almost untrained); `objective` is an option.
//   generation from pure noise x_T (seeded per row), `steps` DDIM steps, classifier-free guidance
//              scale `guidance` (default 0: none); output L2-normalised, in the target modality's
//              preprocessed space (text mean or audio mean removed).
//   use        audio -> text: the generated text embedding goes to the text-only decoder (captioning);
//              text -> audio: a caption's generated audio embedding is compared with the clips
//              (retrieval; lib/bridges/retrieval.ts mixes it with the direct similarity, `mix`).
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { checkpointExists, loadCheckpoint } from '../nn/checkpoint.ts';
import { type DiffusionCore, ddimSample, diffusionLoss, gaussianRows, makeSchedule, type NoiseSchedule, type Objective } from '../diffusion/index.ts';
import type { DenoiserConfig } from '../diffusion/denoisers/types.ts';
import { l2Normalize } from '../embeddings/normalize.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import { DbridgeError } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import type { Rng } from '../util/rng.ts';
import { CondResMLP, type CondResMLPConfig } from './cond-resmlp.ts';
import { type PairedEmbeddings, type PairedTrainConfig, trainPaired } from './pairs.ts';

/** Direction 0 generates text given audio; direction 1 audio given text. */
export const TEXT_GIVEN_AUDIO = 0;
export const AUDIO_GIVEN_TEXT = 1;

export interface DiffGapConfig {
  width: number;
  blocks: number;
  timeDim: number;
  objective: Objective;
  /** Probability of training a row without its condition (classifier-free guidance). */
  condDropout: number;
  timesteps: number;
  /** Radius C of the preprocessed embeddings (docs/spec.md, Decisions 3). */
  radius: number;
  train: PairedTrainConfig;
}

export const DEFAULT_DIFFGAP: DiffGapConfig = {
  width: 256, blocks: 3, timeDim: 128, objective: 'pred_v', condDropout: 0.1, timesteps: 1000, radius: 5,
  train: { steps: 1000, batchSize: 64, lr: 1e-3, clipGradNorm: 1, checkpointEvery: 500 },
};

export interface DiffGapSampling {
  /** DDIM steps from x_T (default 10). */
  steps: number;
  /** Classifier-free guidance scale w: (1 + w) f(x, c) - w f(x, 0). Default 0. */
  guidance: number;
  seed: number;
  batchSize?: number;
}

export const DEFAULT_DIFFGAP_SAMPLING: Omit<DiffGapSampling, 'seed'> = { steps: 10, guidance: 0 };

export class DiffGapModel {
  readonly schedule: NoiseSchedule;
  readonly uniformWeights: Float32Array;

  constructor(readonly net: CondResMLP, readonly config: DiffGapConfig) {
    this.schedule = makeSchedule({ timesteps: config.timesteps, kind: 'cosine' });
    this.uniformWeights = new Float32Array(config.timesteps).fill(1);
  }

  static create(config: DiffGapConfig, length: number, seed: number): DiffGapModel {
    return new DiffGapModel(new CondResMLP(netConfig(config, length), seed), config);
  }

  static load(dir: string): DiffGapModel {
    if (!checkpointExists(dir)) throw new DbridgeError(`no DiffGAP checkpoint in ${dir}`);
    const ck = loadCheckpoint<{ method: string; diffgap: DiffGapConfig; net: CondResMLPConfig }>(dir);
    if (ck.config.method !== 'diffgap') throw new DbridgeError(`${dir} is not a DiffGAP checkpoint`);
    const m = new DiffGapModel(new CondResMLP(ck.config.net, 0), ck.config.diffgap);
    m.net.params.load(ck.weights, { source: join(dir, 'weights.safetensors') });
    return m;
  }

  /** The DiffusionCore view with the condition (and guidance) bound: what lib/diffusion's loss and DDIM take. */
  core(cond: tf.Tensor2D, dir: Int32Array, guidance = 0): DiffusionCore {
    const net = this.net;
    const zero = guidance > 0 ? tf.zerosLike(cond) : null;
    const denoiserConfig = { kind: 'resmlp', length: net.config.length, width: net.config.width, blocks: net.config.blocks, timeDim: net.config.timeDim } as DenoiserConfig;
    return {
      denoiser: {
        config: denoiserConfig, params: net.params,
        apply: (x, t) => (zero === null ? net.apply(x, t, cond, dir) : tf.tidy(() => tf.sub(tf.mul(net.apply(x, t, cond, dir), 1 + guidance), tf.mul(net.apply(x, t, zero, dir), guidance)) as tf.Tensor2D)),
        dispose: () => zero?.dispose(),
      },
      schedule: this.schedule, objective: this.config.objective, renormalize: false, radius: this.config.radius,
    };
  }

  /** Training loss of one batch of pairs: both directions, conditions dropped with condDropout. */
  loss(batch: { text: tf.Tensor2D; media: tf.Tensor2D }, rng: Rng): tf.Scalar {
    return tf.tidy(() => {
      const [B, d] = batch.text.shape;
      const x0 = tf.concat([batch.text, batch.media], 0) as tf.Tensor2D;
      const keep = Float32Array.from({ length: 2 * B }, () => (rng.uniform() < this.config.condDropout ? 0 : 1));
      const cond = tf.mul(tf.concat([batch.media, batch.text], 0), tf.tensor2d(keep, [2 * B, 1])) as tf.Tensor2D;
      const dir = Int32Array.from({ length: 2 * B }, (_, i) => (i < B ? TEXT_GIVEN_AUDIO : AUDIO_GIVEN_TEXT));
      const t = Array.from({ length: 2 * B }, () => rng.int(this.schedule.T));
      const noise = tf.tensor2d(gaussianRows(rng.nextU32(), 2 * B, d), [2 * B, d]);
      return diffusionLoss(this.core(cond, dir), x0, t, noise, this.uniformWeights);
    });
  }

  /**
   * Generates unit-norm embeddings in `direction`'s target modality for raw condition rows [n, d]
   * (preprocessed here with `condMean`): x_T ~ N(0, I) per row from `seed`, DDIM to x̂0.
   */
  async generate(condRaw: Float32Array, n: number, d: number, condMean: Float32Array, direction: number, o: DiffGapSampling & { progress?: boolean }): Promise<Float32Array> {
    const c = preprocessRows(condRaw, n, d, condMean, this.config.radius);
    const out = new Float32Array(n * d);
    const bs = o.batchSize ?? 256;
    const progress = o.progress ? new Progress({ total: n, label: direction === TEXT_GIVEN_AUDIO ? 'diffgap audio->text' : 'diffgap text->audio', unit: 'emb' }) : null;
    for (let s = 0; s < n; s += bs) {
      const rows = Math.min(bs, n - s);
      const cond = tf.tensor2d(c.subarray(s * d, (s + rows) * d), [rows, d]);
      const core = this.core(cond, new Int32Array(rows).fill(direction), o.guidance);
      const y = tf.tidy(() => {
        const xT = tf.tensor2d(gaussianRows(o.seed, rows, d, s), [rows, d]);
        return l2Normalize(ddimSample(core, xT, { M: this.schedule.T, steps: o.steps }));
      });
      out.set(await y.data() as Float32Array, s * d);
      tf.dispose([y, cond]);
      core.denoiser.dispose();
      progress?.update(s + rows);
    }
    progress?.finish();
    return out;
  }

  dispose(): void { this.net.dispose(); }
}

function netConfig(c: DiffGapConfig, length: number): CondResMLPConfig {
  return { kind: 'cond-resmlp', length, width: c.width, blocks: c.blocks, timeDim: c.timeDim, directions: 2 };
}

/** Trains DiffGAP on paired train embeddings into `outDir` (a checkpoint folder) and returns it. */
export async function trainDiffGap(pairs: PairedEmbeddings, opts: { config?: Partial<DiffGapConfig>; seed: number; outDir: string; quiet?: boolean }): Promise<{ dir: string; loss: number; seconds: number; stepsPerSecond: number }> {
  const c: DiffGapConfig = { ...DEFAULT_DIFFGAP, ...opts.config, train: { ...DEFAULT_DIFFGAP.train, ...opts.config?.train } };
  if (!(c.condDropout >= 0 && c.condDropout < 1)) throw new DbridgeError(`DiffGAP: condDropout must be in [0, 1), got ${c.condDropout}`);
  const model = DiffGapModel.create(c, pairs.d, opts.seed);
  try {
    const r = await trainPaired({
      params: model.net.params, pairs, train: c.train, seed: opts.seed, label: 'train-diffgap', outDir: opts.outDir,
      config: { method: 'diffgap', diffgap: c, net: model.net.config }, quiet: opts.quiet,
      loss: (batch, rng) => model.loss(batch, rng),
    });
    return { dir: opts.outDir, loss: r.loss, seconds: r.seconds, stepsPerSecond: r.stepsPerSecond };
  } finally { model.dispose(); }
}
