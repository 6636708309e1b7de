// The caption decoder: prefix mapper + GPT-2, ClipCap's ClipCaptionModel (Mokady et al.; the
// Diffusion Bridge code's decoder.py): input = [mapper(e) ; wte(caption tokens)], full fine-tuning of
// GPT-2 (no frozen part). A checkpoint folder holds config.json (DecoderConfig) and
// weights.safetensors: the LM under `gpt.` (HF hub key names, Conv1D layout), the mapper under
// `mapper.`, and non-trainable buffers under `buffer.` (the text mean the decoder was trained with,
// so test treatments can use it). Divergence: an optional compact vocabulary (tokenizer.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { ParamStore } from '../nn/index.ts';
import { loadCheckpoint, saveCheckpoint } from '../nn/checkpoint.ts';
import type { HostArray } from '../io/dtype.ts';
import { toFloat32 } from '../io/dtype.ts';
import { DbridgeError } from '../util/errors.ts';
import { readJson } from '../util/fs.ts';
import { Rng } from '../util/rng.ts';
import { Gpt2, GPT2_SMALL, GPT2_TINY, readHfGpt2, sliceVocab, validateGpt2Config, type Gpt2Config } from './gpt2.ts';
import { PrefixMapper, prefixPositions, validateMapperConfig, type MapperConfig, type MapperVariant } from './mapper.ts';
import { Vocab, FULL_STOP_IDS, GPT2_VOCAB_SIZE } from './tokenizer.ts';
import { DEFAULT_NOISE_VARIANCE, checkTrainTreatment, removesTextMean, type TrainTreatment } from './treatments.ts';
import { loadPretrainedLm } from './lm-checkpoint.ts';

export const DECODER_KIND = 'dbridge-caption-decoder';

export interface DecoderConfig {
  kind: typeof DECODER_KIND;
  version: 1;
  lm: Gpt2Config;
  /** Where the LM weights came from: 'scratch' or the HF folder it was initialised from. */
  lmSource: string;
  mapper: MapperConfig;
  /** Compact vocabulary (sorted GPT-2 ids) or null for the full GPT-2 vocabulary. */
  vocab: number[] | null;
  /** Training treatment of the input embeddings. */
  treatment: TrainTreatment;
  noiseVariance: number;
  /** Caption token cap used in training (ClipCap: min(mean + 10 std, max) of the lengths). */
  maxSeqLen: number;
  /** Whether weights.safetensors holds buffer.text_mean. */
  hasTextMean: boolean;
}

export class CaptionDecoder {
  readonly vocab: Vocab;
  constructor(
    readonly config: DecoderConfig,
    readonly params: ParamStore,
    readonly lm: Gpt2,
    readonly mapper: PrefixMapper,
    readonly textMean: Float32Array | null,
  ) {
    this.vocab = new Vocab(config.vocab);
  }

  get inputDim(): number { return this.config.mapper.inputDim; }
  get prefixPositions(): number { return prefixPositions(this.config.mapper); }

  /** Model ids that end a caption: the full stops in the vocabulary. */
  stopIds(): number[] {
    return FULL_STOP_IDS.map((g) => this.vocab.modelId(g)).filter((m) => m >= 0);
  }

  /** Prefix embeddings [B, P, W] of (treated) embeddings [B, D]. */
  prefix(e: tf.Tensor): tf.Tensor {
    return this.mapper.apply(e);
  }

  async weightsToHost(): Promise<Map<string, HostArray>> {
    const w = await this.params.toHost();
    if (this.textMean) w.set('buffer.text_mean', { dtype: 'float32', shape: [this.textMean.length], data: this.textMean });
    return w;
  }

  async save(dir: string, state: Record<string, unknown> & { step: number } = { step: 0 }): Promise<void> {
    saveCheckpoint(dir, { config: this.config, weights: await this.weightsToHost(), state });
  }

  dispose(): void {
    this.lm.endInference();
    this.params.dispose();
  }
}

/**
 * The LM a decoder starts from: 'tiny' / 'small' / a config (from scratch), { hfDir } (a Hugging Face
 * GPT-2), or { pretrained } (a folder of lib/decoder/pretrain.ts: the world's LM pre-trained on web
 * captions, with its own compact vocabulary, which the decoder then uses).
 */
export type LmSpec = 'tiny' | 'small' | { hfDir: string } | { pretrained: string } | Gpt2Config;

export interface CreateDecoderOptions {
  /** Embedding dimension D. */
  inputDim: number;
  /** 'tiny' (GPT2_TINY, from scratch), 'small' (GPT-2 small shape, from scratch), a HF folder to start from, or a config. Default 'tiny'. */
  lm?: LmSpec;
  /** Overrides of the LM config (e.g. { nLayer: 4 }) for 'tiny'/'small'/config. */
  lmOverrides?: Partial<Gpt2Config>;
  /** Mapper variant (default 'official'). */
  mapper?: MapperVariant;
  /** Prefix length / soft prompts (default 10). */
  prefixLength?: number;
  /** Mapper hidden width (default per variant, see mapper.ts). */
  mapperHidden?: number;
  /** Factor on the mapper's input (default 1; see MapperConfig.inputScale). */
  mapperInputScale?: number;
  /** Compact vocabulary (sorted unique GPT-2 ids), or null for the full one (default null). */
  vocab?: number[] | null;
  treatment: TrainTreatment;
  noiseVariance?: number;
  maxSeqLen?: number;
  textMean?: Float32Array | null;
  seed?: number;
}

/** A new decoder: fresh mapper, LM fresh or from a HF folder. */
export function createDecoder(opts: CreateDecoderOptions): CaptionDecoder {
  checkTrainTreatment(opts.treatment);
  const rng = new Rng(opts.seed ?? 0);
  const spec = opts.lm ?? 'tiny';
  let vocabIds = opts.vocab ?? null;
  const params = new ParamStore();
  let lm: Gpt2;
  let lmSource = 'scratch';
  try {
    if (typeof spec === 'object' && 'hfDir' in spec) {
      const { config, weights: w0 } = readHfGpt2(spec.hfDir);
      const weights = vocabIds ? sliceVocab(w0, vocabIds, config.vocabSize) : w0;
      const cfg: Gpt2Config = { ...config, ...(opts.lmOverrides ?? {}), vocabSize: vocabIds ? vocabIds.length : config.vocabSize };
      for (const [name, shape] of Gpt2.paramShapes(cfg)) {
        const a = weights.get(name)!;
        if (a.shape.join(',') !== shape.join(',')) throw new DbridgeError(`${spec.hfDir}: ${name} has shape [${a.shape}], the overridden config implies [${shape}]`);
        params.add('gpt.' + name, tf.tensor(a.data as Float32Array, shape));
      }
      lm = new Gpt2(cfg, params, 'gpt.');
      lmSource = spec.hfDir;
    } else if (typeof spec === 'object' && 'pretrained' in spec) {
      const { config, weights } = loadPretrainedLm(spec.pretrained);
      if (vocabIds && (vocabIds.length !== config.vocab.length || vocabIds.some((g, i) => g !== config.vocab[i]))) {
        throw new DbridgeError(`${spec.pretrained}: a decoder started from a pre-trained LM uses the LM's vocabulary (${config.vocab.length} tokens), not another one`);
      }
      // only settings that keep the weights' shapes may be overridden (dropout, epsilon)
      const over = opts.lmOverrides ?? {};
      for (const k of ['nLayer', 'nHead', 'nEmbd', 'nPositions', 'vocabSize', 'nInner'] as const) {
        if (over[k] !== undefined && over[k] !== config.lm[k]) throw new DbridgeError(`${spec.pretrained}: cannot override ${k} of a pre-trained LM (${config.lm[k]} -> ${over[k]})`);
      }
      const cfg: Gpt2Config = { ...config.lm, ...over };
      for (const [name, shape] of Gpt2.paramShapes(cfg)) {
        const a = weights.get('gpt.' + name);
        if (!a || a.shape.join(',') !== shape.join(',')) throw new DbridgeError(`${spec.pretrained}: gpt.${name} is missing or has shape [${a?.shape}], the LM config implies [${shape}]`);
        params.add('gpt.' + name, tf.tensor(toFloat32(a), shape));
      }
      lm = new Gpt2(cfg, params, 'gpt.');
      lmSource = spec.pretrained;
      vocabIds = config.vocab;
    } else {
      const base = spec === 'tiny' ? GPT2_TINY : spec === 'small' ? GPT2_SMALL : spec;
      const cfg: Gpt2Config = { ...base, ...(opts.lmOverrides ?? {}), vocabSize: vocabIds ? vocabIds.length : GPT2_VOCAB_SIZE };
      lm = Gpt2.create(cfg, params, rng.fork('gpt'), 'gpt.');
    }
    const mcfg: MapperConfig = {
      variant: opts.mapper ?? 'official', inputDim: opts.inputDim, width: lm.config.nEmbd,
      prefixLength: opts.prefixLength ?? 10, ...(opts.mapperHidden ? { hidden: opts.mapperHidden } : {}),
      ...(opts.mapperInputScale !== undefined && opts.mapperInputScale !== 1 ? { inputScale: opts.mapperInputScale } : {}),
    };
    const mapper = PrefixMapper.create(mcfg, params, rng.fork('mapper'), 'mapper.');
    const config: DecoderConfig = {
      kind: DECODER_KIND, version: 1, lm: lm.config, lmSource, mapper: mcfg, vocab: vocabIds,
      treatment: opts.treatment, noiseVariance: opts.noiseVariance ?? DEFAULT_NOISE_VARIANCE, maxSeqLen: opts.maxSeqLen ?? 40,
      hasTextMean: Boolean(opts.textMean),
    };
    return new CaptionDecoder(config, params, lm, mapper, opts.textMean ?? null);
  } catch (e) {
    params.dispose();
    throw e;
  }
}

export function validateDecoderConfig(c: DecoderConfig, source: string): void {
  if (c?.kind !== DECODER_KIND) throw new DbridgeError(`${source} is not a dbridge caption decoder config (kind '${c?.kind}')`);
  validateGpt2Config(c.lm);
  validateMapperConfig(c.mapper);
  checkTrainTreatment(c.treatment);
  if (c.mapper.width !== c.lm.nEmbd) throw new DbridgeError(`${source}: mapper width ${c.mapper.width} does not match LM width ${c.lm.nEmbd}`);
  const vs = c.vocab ? c.vocab.length : GPT2_VOCAB_SIZE;
  if (vs !== c.lm.vocabSize) throw new DbridgeError(`${source}: vocabulary has ${vs} tokens, LM has ${c.lm.vocabSize} rows`);
}

/**
 * Builds a decoder from a config and host weights (names gpt.*, mapper.*, buffer.*); with
 * `weights` null, an uninitialised one of that shape (zeros and a fresh mapper: a training
 * replica whose weights are copied in afterwards) with the given `textMean`.
 */
export function decoderFromWeights(config: DecoderConfig, weights: Map<string, HostArray> | null, source = 'decoder', textMean: Float32Array | null = null): CaptionDecoder {
  validateDecoderConfig(config, source);
  const params = new ParamStore();
  try {
    for (const [name, shape] of Gpt2.paramShapes(config.lm)) params.add('gpt.' + name, tf.zeros(shape));
    const lm = new Gpt2(config.lm, params, 'gpt.');
    const rng = new Rng(0);
    const mapper = PrefixMapper.create(config.mapper, params, rng, 'mapper.');
    if (!weights) return new CaptionDecoder(config, params, lm, mapper, textMean);
    params.load(weights, { source });
    const tm = weights.get('buffer.text_mean');
    if (config.hasTextMean && !tm) throw new DbridgeError(`${source}: config says the text mean is stored but buffer.text_mean is missing`);
    return new CaptionDecoder(config, params, lm, mapper, tm ? toFloat32(tm) : null);
  } catch (e) {
    params.dispose();
    throw e;
  }
}

/**
 * Loads a decoder folder (config.json + weights.safetensors): a training output folder (its best
 * epoch), one epoch's folder, or `resume/`.
 */
export function loadDecoder(dir: string): CaptionDecoder {
  if (!existsSync(dir)) throw new DbridgeError(`decoder folder not found: ${dir}`);
  if (!existsSync(join(dir, 'config.json'))) throw new DbridgeError(`${dir} is not a decoder folder: config.json is missing`);
  const cfg = readJson<DecoderConfig>(join(dir, 'config.json'), 'decoder config');
  validateDecoderConfig(cfg, join(dir, 'config.json'));
  const ck = loadCheckpoint<DecoderConfig>(dir);
  return decoderFromWeights(cfg, ck.weights, join(dir, 'weights.safetensors'));
}

/**
 * The text space a decoder reads, for DeCap's memory projection: the text mean to remove (decoders
 * trained with plain/c3/augmented) or none (capdec).
 */
export function decoderTextSpace(d: CaptionDecoder): { textMean?: Float32Array } {
  if (!removesTextMean(d.config.treatment)) return {};
  if (!d.textMean) throw new DbridgeError(`decoder trained with '${d.config.treatment}' stores no text mean; pass textMean explicitly`);
  return { textMean: d.textMean };
}
