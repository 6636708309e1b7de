// What the world's two contrastive encoders (the image world's CLIP-like encoder and the sound
// world's CLAP-like one) share before their training loops: the rules for an existing checkpoint
// folder and the optimiser with its temperature. The loops themselves run on lib/train's harness.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { Adam, AdamGroups, type ParamStore, checkpointExists, loadCheckpoint } from '../nn/index.ts';
import { DbridgeError } from '../util/errors.ts';
import { checkResume, flattenSettings, type Settings } from '../util/resume.ts';
import type { WorldTrainConfig } from './encoder.ts';

/** The trainer's part of the checkpoint's state.json (the harness keeps step, curve, settings, ...). */
export interface EncoderTrainState {
  configHash: string;
  provenance: unknown;
}

export interface EncoderCheckpointRules {
  outDir: string;
  /** Hash of what must match for a resume (the config with steps and warm-up zeroed). */
  hash: string;
  /** The config's flattened settings, to name the one that differs. */
  settings: Settings;
  steps: number;
  resume?: boolean;
  force?: boolean;
  ignore: readonly string[];
  labels: Record<string, string>;
}

/**
 * An existing checkpoint in `outDir`: a finished one is reused, an unfinished one needs `resume`
 * and the same settings (the differing one is named); with `force` its files are removed. Returns
 * whether the harness resumes from it.
 */
export function encoderCheckpointResume(r: EncoderCheckpointRules): boolean {
  if (checkpointExists(r.outDir) && !r.force) {
    const ck = loadCheckpoint<Record<string, unknown>, { trainer?: EncoderTrainState; step: number }>(r.outDir);
    if (ck.state.trainer?.configHash !== r.hash) {
      checkResume(r.outDir, flattenSettings({ ...ck.config }), r.settings, { ignore: r.ignore, hint: 'use another --out or --force', labels: r.labels });
      throw new DbridgeError(`${r.outDir} holds an encoder trained with another config or world (or by an older dbridge); use another --out or --force`);
    }
    if (ck.state.step >= r.steps) return true;
    if (!r.resume) throw new DbridgeError(`${r.outDir} holds an encoder trained for ${ck.state.step} of the ${r.steps} steps asked for; pass --resume to continue it or --force to start over`);
    return true;
  }
  if (r.force) for (const f of ['state.json', 'weights.safetensors', 'optimizer.safetensors', 'eval.json']) rmSync(join(r.outDir, f), { force: true });
  return Boolean(r.resume);
}

/**
 * The encoder's optimiser: AdamW over every weight but the temperature (clipped together); the
 * temperature has its own Adam and learning-rate multiplier, or is fixed (not trainable) when
 * `train.fixedTemperature` is set.
 */
export function contrastiveOptimizer(params: ParamStore, train: WorldTrainConfig): AdamGroups {
  if (train.fixedTemperature !== null) {
    tf.tidy(() => params.get('logit_scale').assign(tf.scalar(Math.log(1 / train.fixedTemperature!))));
    params.get('logit_scale').trainable = false;
  }
  const rest = params.names().filter((k) => k !== 'logit_scale');
  return new AdamGroups([
    { name: 'main', adam: new Adam(params, { lr: train.lr, weightDecay: train.weightDecay, clipGradNorm: train.clipGradNorm }, rest), lrMult: 1 },
    ...(train.fixedTemperature === null ? [{ name: 'scale', adam: new Adam(params, { lr: train.lr }, ['logit_scale']), lrMult: train.logitScaleLrMult }] : []),
  ]);
}
