// The folder of a pre-trained decoder LM (lib/decoder/pretrain.ts): config.json of kind
// 'dbridge-lm' (the Gpt2Config, the compact vocabulary, how it was trained) and weights.safetensors
// (names gpt.*), from which createDecoder starts a captioning decoder (lm: { pretrained: dir }).
import { loadCheckpoint } from '../nn/checkpoint.ts';
import type { HostArray } from '../io/dtype.ts';
import { DbridgeError } from '../util/errors.ts';
import { validateGpt2Config, type Gpt2Config } from './gpt2.ts';

export const LM_KIND = 'dbridge-lm';

export interface PretrainedLmConfig {
  kind: typeof LM_KIND;
  version: 1;
  lm: Gpt2Config;
  /** Compact vocabulary: sorted GPT-2 ids (model id i = GPT-2 id vocab[i]). */
  vocab: number[];
  /** What it was trained on and how (for records). */
  pretraining: { captions: number; tokens: number; steps: number; batchSize: number; seqLen: number; lr: number; finalLoss: number; seconds: number };
}

/** A pre-trained LM folder: its config (Gpt2Config + vocabulary) and weights (gpt.*). */
export function loadPretrainedLm(dir: string): { config: PretrainedLmConfig; weights: Map<string, HostArray> } {
  const ck = loadCheckpoint<PretrainedLmConfig>(dir);
  if (ck.config?.kind !== LM_KIND) throw new DbridgeError(`${dir} is not a pre-trained LM folder (config.json kind '${String(ck.config?.kind)}', expected '${LM_KIND}')`);
  validateGpt2Config(ck.config.lm);
  if (!Array.isArray(ck.config.vocab) || ck.config.vocab.length !== ck.config.lm.vocabSize) throw new DbridgeError(`${dir}: the vocabulary has ${ck.config.vocab?.length} ids, the LM ${ck.config.lm.vocabSize} rows`);
  return { config: ck.config, weights: ck.weights };
}
