// Import of a ClipCap-style PyTorch state dict (ClipCaptionModel with the MLP mapper: ClipCap's
// released weights, and the C3 / Diffusion Bridge decoder.py that copy it), saved as .safetensors
// (e.g. `safetensors.torch.save_file(torch.load(pt)['state_dict' or itself], 'model.safetensors')`),
// into a dbridge CaptionDecoder. Keys: `clip_project.model.0.{weight,bias}` (nn.Linear [out, in]),
// `clip_project.model.2.*`, `gpt.transformer.*` (HF Conv1D layout), `gpt.lm_head.weight` (tied,
// dropped); an optional leading `model.` (Lightning) is stripped. The GPT-2 head count is not in a
// state dict: it defaults to width / 64 (GPT-2's 64-wide heads).
import { transposeMatrix } from '../nn/index.ts';
import type { HostArray } from '../io/dtype.ts';
import { toFloat32 } from '../io/dtype.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { DbridgeError } from '../util/errors.ts';
import { Gpt2, normaliseHfGpt2Weights, type Gpt2Config } from './gpt2.ts';
import { DECODER_KIND, decoderFromWeights, type CaptionDecoder, type DecoderConfig } from './model.ts';
import { GPT2_VOCAB_SIZE } from './tokenizer.ts';
import { DEFAULT_NOISE_VARIANCE, type TrainTreatment } from './treatments.ts';

export interface ClipCapImportOptions {
  /** Attention heads (default width / 64). */
  nHead?: number;
  layerNormEpsilon?: number;
  /** The treatment the weights were trained with (recorded in the config; default 'augmented' = normalised inputs). */
  treatment?: TrainTreatment;
  textMean?: Float32Array;
}

/** Builds a decoder from a ClipCap-style state dict (a Map of host arrays, or a .safetensors path). */
export function importClipCap(source: string | Map<string, HostArray>, opts: ClipCapImportOptions = {}): CaptionDecoder {
  const name = typeof source === 'string' ? source : 'ClipCap state dict';
  const raw = typeof source === 'string' ? readSafetensors(source).tensors : source;
  const t = new Map<string, HostArray>();
  for (const [k, v] of raw) t.set(k.startsWith('model.') ? k.slice(6) : k, v);
  const get = (k: string) => {
    const a = t.get(k);
    if (!a) throw new DbridgeError(`${name}: ${k} is missing (expected a ClipCap state dict with the MLP mapper)`);
    return a;
  };
  const w1 = get('clip_project.model.0.weight'), b1 = get('clip_project.model.0.bias');
  const w2 = get('clip_project.model.2.weight'), b2 = get('clip_project.model.2.bias');
  if (t.has('clip_project.model.4.weight')) throw new DbridgeError(`${name}: mappers with more than two Linear layers are not supported`);
  const [hidden, inputDim] = w1.shape, [pw] = w2.shape;
  const gpt = new Map<string, HostArray>();
  for (const [k, v] of t) if (k.startsWith('gpt.')) gpt.set(k.slice(4), v);
  const wte = gpt.get('transformer.wte.weight') ?? gpt.get('wte.weight');
  const wpe = gpt.get('transformer.wpe.weight') ?? gpt.get('wpe.weight');
  if (!wte || !wpe) throw new DbridgeError(`${name}: gpt.transformer.wte/wpe weights are missing`);
  const [vocabSize, width] = wte.shape;
  if (vocabSize !== GPT2_VOCAB_SIZE) throw new DbridgeError(`${name}: GPT-2 vocabulary has ${vocabSize} rows, expected ${GPT2_VOCAB_SIZE}`);
  let nLayer = 0;
  for (const k of gpt.keys()) { const m = /h\.(\d+)\./.exec(k); if (m) nLayer = Math.max(nLayer, Number(m[1]) + 1); }
  if (pw % width !== 0) throw new DbridgeError(`${name}: mapper output ${pw} is not a multiple of the GPT-2 width ${width}`);
  const lm: Gpt2Config = {
    nLayer, nHead: opts.nHead ?? Math.max(1, Math.round(width / 64)), nEmbd: width, nPositions: wpe.shape[0], vocabSize,
    nInner: null, layerNormEpsilon: opts.layerNormEpsilon ?? 1e-5, dropout: 0.1,
  };
  const inner = gpt.get('transformer.h.0.mlp.c_fc.weight')?.shape[1];
  if (inner && inner !== 4 * width) lm.nInner = inner;
  const lmWeights = normaliseHfGpt2Weights(gpt, lm, name);
  const weights = new Map<string, HostArray>();
  for (const [k] of Gpt2.paramShapes(lm)) weights.set('gpt.' + k, lmWeights.get(k)!);
  weights.set('mapper.fc1.weight', { dtype: 'float32', shape: [inputDim, hidden], data: transposeMatrix(toFloat32(w1), hidden, inputDim) });
  weights.set('mapper.fc1.bias', { dtype: 'float32', shape: [hidden], data: toFloat32(b1) });
  weights.set('mapper.fc2.weight', { dtype: 'float32', shape: [hidden, pw], data: transposeMatrix(toFloat32(w2), pw, hidden) });
  weights.set('mapper.fc2.bias', { dtype: 'float32', shape: [pw], data: toFloat32(b2) });
  if (opts.textMean) weights.set('buffer.text_mean', { dtype: 'float32', shape: [opts.textMean.length], data: opts.textMean });
  const config: DecoderConfig = {
    kind: DECODER_KIND, version: 1, lm, lmSource: name,
    mapper: { variant: 'official', inputDim, width, prefixLength: pw / width, hidden },
    vocab: null, treatment: opts.treatment ?? 'augmented', noiseVariance: DEFAULT_NOISE_VARIANCE, maxSeqLen: 40,
    hasTextMean: Boolean(opts.textMean),
  };
  return decoderFromWeights(config, weights, name);
}
