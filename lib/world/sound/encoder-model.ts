// The sound world's dual encoder (issue 16): a CLAP-like pair of towers projected to a shared D.
//   audio tower: log-mel features (features.ts) cut into tokens of `patchFrames` frames; a two-layer
//     stem (per frame: Linear(mels -> stemWidth), GELU; per token: Linear(patchFrames*stemWidth ->
//     width)), learned position embeddings, `audioLayers` pre-LN transformer blocks, mean+max
//     pooling over tokens, LayerNorm, linear projection to D (CLAP's HTSAT + projection, at toy size).
//   text tower: the image world's (lib/world/encoder-model.ts: CLIP BPE ids, transformer, mean over
//     tokens, projection), imported, not copied: the two worlds share one text-tower design.
//   logit scale: CLIP's/CLAP's, fixed at 1/0.01 by default (as the image world's encoder).
// Divergences from CLAP: a small transformer over time tokens instead of HTSAT's Swin over the
// spectrogram; the text tower is the world's small transformer instead of RoBERTa; no fusion.
import { tf } from '../../tf.ts';
import { ParamStore, geluErf, init, layerNorm, linear } from '../../nn/index.ts';
import { Rng } from '../../util/rng.ts';
import { LOGIT_SCALE_INIT, type TextTowerArch, addBlock, addTextTower, block } from '../encoder-model.ts';
import { type LogMelConfig, frameCount } from './features.ts';

export interface SoundEncoderArch extends TextTowerArch, LogMelConfig {
  /** STFT frames per audio token. */
  patchFrames: number;
  /** Width of the per-frame stem. */
  stemWidth: number;
  audioLayers: number;
}

/** Defaults measured on the 2-core CPU (docs/audio.md): the image world's widths and D, a 64 ms token. */
export const DEFAULT_SOUND_ARCH: Omit<SoundEncoderArch, 'vocab' | 'samples' | 'sampleRate'> = {
  dim: 256,
  width: 64,
  heads: 2,
  mlpRatio: 2,
  textLayers: 1,
  audioLayers: 1,
  contextLength: 32,
  nFft: 256,
  hop: 128,
  mels: 32,
  fMin: 50,
  patchFrames: 4,
  stemWidth: 32,
};

/** Number of audio tokens. */
export function audioTokens(arch: SoundEncoderArch): number {
  return Math.floor(frameCount(arch) / arch.patchFrames);
}

/** Fresh parameters (seeded): audio tower, the shared text tower design, logit scale. */
export function createSoundEncoderParams(arch: SoundEncoderArch, seed: number): ParamStore {
  const p = new ParamStore();
  const rng = new Rng(seed).fork('sound-encoder-init');
  const { width: W, stemWidth: C, mlpRatio: m, dim: D, mels: M, patchFrames: P } = arch;
  p.add('audio.stem1.w', init.normal(rng, [M, C], M ** -0.5));
  p.add('audio.stem1.b', init.zeros([C]));
  p.add('audio.stem2.w', init.normal(rng, [P * C, W], (P * C) ** -0.5));
  p.add('audio.stem2.b', init.zeros([W]));
  p.add('audio.pos', init.normal(rng, [audioTokens(arch), W], 0.02));
  for (let i = 0; i < arch.audioLayers; i++) addBlock(p, rng, `audio.block${i}`, W, m);
  p.add('audio.ln_post.g', init.ones([2 * W]));
  p.add('audio.ln_post.b', init.zeros([2 * W]));
  p.add('audio.proj', init.normal(rng, [2 * W, D], (2 * W) ** -0.5));
  addTextTower(p, rng, arch);
  p.add('logit_scale', tf.scalar(LOGIT_SCALE_INIT));
  return p;
}

/** Audio features [n, D] (not normalised) from log-mel tokens [n, T, patchFrames, mels]. */
export function audioForward(p: ParamStore, arch: SoundEncoderArch, feats: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const T = audioTokens(arch);
    const n = feats.shape[0]!;
    const s1 = geluErf(linear(feats, p.get('audio.stem1.w'), p.get('audio.stem1.b'))); // [n, T, P, C]
    let x = linear(s1.reshape([n, T, arch.patchFrames * arch.stemWidth]), p.get('audio.stem2.w'), p.get('audio.stem2.b'));
    x = tf.add(x, p.get('audio.pos'));
    for (let i = 0; i < arch.audioLayers; i++) x = block(p, `audio.block${i}`, x, arch.heads);
    const pooled = layerNorm(tf.concat([tf.mean(x, 1), tf.max(x, 1)], 1), p.get('audio.ln_post.g'), p.get('audio.ln_post.b'));
    return linear(pooled, p.get('audio.proj')) as tf.Tensor2D;
  });
}
