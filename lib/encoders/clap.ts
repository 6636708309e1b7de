// CLAP (audio-text contrastive model) through @huggingface/transformers: ClapTextModelWithProjection
// and ClapAudioModelWithProjection with the folder's tokenizer and ClapFeatureExtractor, behind the
// Encoder interface (encodeText, encodeAudio), for the audio systems built on the same bridge.
// Follows the transformers.js CLAP classes and the layout of Xenova/clap-htsat-unfused
// (onnx/text_model.onnx, onnx/audio_model.onnx). Outputs are raw `text_embeds` / `audio_embeds`.
// Divergences: clips are resampled here (windowed sinc) to the extractor's sampling_rate; clips longer
// than the extractor's window (nb_max_samples, 10 s at 48 kHz) are cut to their FIRST window, where HF's
// `rand_trunc` picks a random one — so embeddings are deterministic; short clips are padded here with
// Python's 'repeatpad' semantics (padClip) because transformers.js 4.3.1 pads one copy short.
// Parity: test/fixtures/clap_tiny (a tiny random CLAP made with Python transformers).
import type { AudioClip, Encoder } from './types.ts';
import { DbridgeError } from '../util/errors.ts';
import { resample } from '../data/audiocaps.ts';
import {
  type HfLoadOptions, checkModelFolder, configureEnv, pretrainedOptions, resolveModel, takeEmbeddings, wrapLoad,
} from './hf.ts';

interface TensorLike { dims: readonly number[]; data: unknown; type?: string; dispose?: () => void }

export interface ClapTowers {
  /** Sampling rate the audio tower expects (48000 for the HTSAT CLAPs). */
  readonly sampleRate: number;
  /** Longest clip in samples before truncation (nb_max_samples). */
  readonly maxSamples: number;
  /** The extractor's padding of short clips: 'repeatpad' (CLAP's default), 'repeat', or anything else for zeros. */
  readonly padding?: string;
  text(captions: string[]): Promise<Record<string, TensorLike | undefined>>;
  /** Feature extraction + audio tower on clips already at sampleRate and at most maxSamples long. */
  audio(clips: Float32Array[]): Promise<Record<string, TensorLike | undefined>>;
  dispose?(): Promise<void> | void;
}

export class ClapEncoder implements Encoder {
  constructor(readonly id: string, readonly dim: number, private readonly towers: ClapTowers) {
    if (!Number.isInteger(dim) || dim <= 0) throw new DbridgeError(`CLAP: projection dimension must be a positive integer, got ${dim}`);
  }

  async encodeText(captions: string[]): Promise<Float32Array> {
    if (!Array.isArray(captions)) throw new DbridgeError('CLAP encodeText: captions must be an array of strings');
    if (captions.length === 0) return new Float32Array(0);
    captions.forEach((c, i) => {
      if (typeof c !== 'string') throw new DbridgeError(`CLAP encodeText: caption ${i} is not a string`);
    });
    const out = await this.towers.text(captions);
    return takeEmbeddings(out.text_embeds, captions.length, `${this.id} text tower`, this.dim);
  }

  /** Resamples and truncates each clip (see the file header), then embeds the batch. */
  prepare(clips: AudioClip[]): Float32Array[] {
    return clips.map((c, i) => {
      if (!c || !(c.samples instanceof Float32Array)) throw new DbridgeError(`CLAP encodeAudio: clip ${i} has no Float32Array samples`);
      if (!Number.isInteger(c.sampleRate) || c.sampleRate <= 0) throw new DbridgeError(`CLAP encodeAudio: clip ${i} has sample rate ${c.sampleRate}`);
      if (c.samples.length === 0) throw new DbridgeError(`CLAP encodeAudio: clip ${i} is empty`);
      for (let j = 0; j < c.samples.length; j++) {
        if (!Number.isFinite(c.samples[j])) throw new DbridgeError(`CLAP encodeAudio: clip ${i} sample ${j} is ${c.samples[j]}`);
      }
      const r = resample(c, this.towers.sampleRate).samples;
      return r.length >= this.towers.maxSamples ? r.slice(0, this.towers.maxSamples) : padClip(r, this.towers.maxSamples, this.towers.padding);
    });
  }

  async encodeAudio(clips: AudioClip[]): Promise<Float32Array> {
    if (!Array.isArray(clips)) throw new DbridgeError('CLAP encodeAudio: clips must be an array');
    if (clips.length === 0) return new Float32Array(0);
    const out = await this.towers.audio(this.prepare(clips));
    return takeEmbeddings(out.audio_embeds, clips.length, `${this.id} audio tower`, this.dim);
  }

  dispose(): void {
    void Promise.resolve(this.towers.dispose?.()).catch(() => undefined);
  }
}

/**
 * Pads a short clip to `max` samples as Python's ClapFeatureExtractor does: 'repeatpad' tiles the clip
 * floor(max/len) times then zero-pads; 'repeat' tiles floor(max/len)+1 times and cuts; otherwise zeros.
 * Done here because transformers.js 4.3.1's 'repeatpad' loop stops one copy early (it fills only up
 * to max-len), which changed the tiny fixture's audio embeddings by 0.23; with the clip already at
 * `max` samples its extractor pads nothing.
 */
export function padClip(x: Float32Array, max: number, padding = 'repeatpad'): Float32Array {
  if (x.length >= max) return x.slice(0, max);
  const out = new Float32Array(max);
  const n = Math.floor(max / x.length);
  const copies = padding === 'repeatpad' ? n : padding === 'repeat' ? n + 1 : 1;
  for (let k = 0; k < copies; k++) {
    const at = k * x.length;
    if (at >= max) break;
    out.set(x.subarray(0, Math.min(x.length, max - at)), at);
  }
  return out;
}

export interface ClapOptions extends HfLoadOptions {
  towers?: ('text' | 'audio')[];
}

/**
 * Loads CLAP from a transformers.js folder (config.json with model_type 'clap', tokenizer.json,
 * preprocessor_config.json, onnx/text_model.onnx, onnx/audio_model.onnx) or a hub id such as
 * 'Xenova/clap-htsat-unfused' (with downloads allowed).
 */
export async function loadClapEncoder(dirOrId: string, opts: ClapOptions = {}): Promise<ClapEncoder> {
  const model = resolveModel(dirOrId, opts);
  const want = new Set(opts.towers ?? ['text', 'audio']);
  if (model.local) {
    checkModelFolder(model.ref, {
      onnx: [...(want.has('text') ? ['text_model'] : []), ...(want.has('audio') ? ['audio_model'] : [])],
      tokenizer: want.has('text'),
      processor: want.has('audio'),
    }, opts.dtype ?? 'fp32');
  }
  const t = await configureEnv(model, opts);
  const po = pretrainedOptions(opts);
  const config = await wrapLoad(`config of ${dirOrId}`, () => t.AutoConfig.from_pretrained(model.ref, po));
  const c = config as unknown as { model_type?: string; projection_dim?: number };
  if (c.model_type !== 'clap') {
    throw new DbridgeError(`${dirOrId}: config.json has model_type '${c.model_type}', expected 'clap' (a ClapModel folder)`);
  }
  const dim = c.projection_dim;
  if (!Number.isInteger(dim)) throw new DbridgeError(`${dirOrId}: config.json has no integer projection_dim`);

  // The feature extractor settings are needed up front (resampling happens before the tower).
  let sampleRate = 48000, maxSamples = 480000, padding = 'repeatpad';
  type Proc = ((a: Float32Array) => Promise<{ input_features: TensorLike }>) & { feature_extractor?: { config?: Record<string, unknown> }; config?: Record<string, unknown> };
  let proc: Proc | null = null;
  if (want.has('audio')) {
    proc = await wrapLoad(`CLAP feature extractor from ${dirOrId}`, async () => (await t.AutoProcessor.from_pretrained(model.ref, po)) as unknown as Proc);
    const fc = proc.feature_extractor?.config ?? proc.config ?? {};
    if (Number.isInteger(fc.sampling_rate)) sampleRate = fc.sampling_rate as number;
    if (Number.isInteger(fc.nb_max_samples)) maxSamples = fc.nb_max_samples as number;
    if (typeof fc.padding === 'string') padding = fc.padding;
    if (fc.truncation === 'fusion') {
      throw new DbridgeError(`${dirOrId}: the feature extractor uses truncation 'fusion', which transformers.js does not implement; use an unfused CLAP (e.g. clap-htsat-unfused)`);
    }
  }

  type Model = ((x: object) => Promise<Record<string, TensorLike>>) & { dispose(): Promise<unknown> };
  let textP: Promise<{ tok: (x: string[], o: object) => Record<string, unknown>; model: Model }> | null = null;
  let audioP: Promise<Model> | null = null;
  const loadText = () => (textP ??= wrapLoad(`CLAP text tower from ${dirOrId}`, async () => {
    if (!want.has('text')) throw new DbridgeError(`${dirOrId}: the text tower was not loaded`);
    await configureEnv(model, opts);
    const tok = await t.AutoTokenizer.from_pretrained(model.ref, po);
    const m = await t.ClapTextModelWithProjection.from_pretrained(model.ref, po);
    return { tok: tok as unknown as (x: string[], o: object) => Record<string, unknown>, model: m as unknown as Model };
  }));
  const loadAudio = () => (audioP ??= wrapLoad(`CLAP audio tower from ${dirOrId}`, async () => {
    if (!want.has('audio')) throw new DbridgeError(`${dirOrId}: the audio tower was not loaded`);
    await configureEnv(model, opts);
    return (await t.ClapAudioModelWithProjection.from_pretrained(model.ref, po)) as unknown as Model;
  }));

  const towers: ClapTowers = {
    sampleRate,
    maxSamples,
    padding,
    async text(captions) {
      const { tok, model: m } = await loadText();
      return m(tok(captions, { padding: true, truncation: true }));
    },
    async audio(clips) {
      const m = await loadAudio();
      const feats = [];
      for (const a of clips) feats.push((await proc!(a)).input_features);
      const batch = feats.length === 1 ? feats[0] : t.cat(feats as unknown as Parameters<typeof t.cat>[0], 0);
      return m({ input_features: batch });
    },
    async dispose() {
      if (textP) await (await textP).model.dispose();
      if (audioP) await (await audioP).dispose();
    },
  };
  return new ClapEncoder(`clap:${model.name}`, dim as number, towers);
}
