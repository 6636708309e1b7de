// Caption decoder (issue #5): GPT-2 in TensorFlow.js with Hugging Face weights and exact GPT-2 BPE,
// ClipCap / paper prefix mappers, text-only training with the paper's input treatments, greedy and
// beam decoding, test-time treatments. Public API; see docs/decoder.md.
export {
  Gpt2, GPT2_SMALL, GPT2_TINY, readHfGpt2, loadHfGpt2, gpt2ConfigFromHf, gpt2ConfigToHf, normaliseHfGpt2Weights, sliceVocab,
  disposeCache, validateGpt2Config,
  type Gpt2Config, type KvCache,
} from './gpt2.ts';
export { PrefixMapper, prefixPositions, mapperHidden, MAPPER_VARIANTS, type MapperConfig, type MapperVariant } from './mapper.ts';
export { Vocab, gpt2Encode, gpt2Decode, GPT2_VOCAB_SIZE, GPT2_EOS, FULL_STOP_IDS } from './tokenizer.ts';
export {
  TRAIN_TREATMENTS, TEST_TREATMENTS, DEFAULT_NOISE_VARIANCE, DEFAULT_DECAP_TEMPERATURE,
  applyTestTreatment, applyTrainTreatment, trainTreatmentBase, trainTreatmentNoise, trainTreatmentEval, normalizeRows,
  checkTrainTreatment, checkTestTreatment, removesTextMean,
  type TrainTreatment, type TestTreatment, type TestTreatmentOptions, type TrainTreatmentOptions,
} from './treatments.ts';
export {
  CaptionDecoder, createDecoder, loadDecoder, decoderFromWeights, decoderTextSpace, DECODER_KIND,
  type DecoderConfig, type CreateDecoderOptions, type LmSpec,
} from './model.ts';
export { GENERATE_DEFAULTS, generate, generateCaptions, greedyFromEmbeds, type GenerateOptions, type GenerateResult } from './generate.ts';
export {
  DECODER_TRAIN_DEFAULTS, trainDecoder, defaultLr, captionLoss, tokenNll, clipcapMaxSeqLen, epochOrder, readTrainLog, selectEpoch,
  type TrainDecoderOptions, type TrainDecoderResult, type EpochRecord, type CaptionScorer,
} from './train.ts';
export {
  readCaptions, readImageIds, readReferences, writeCocoResults, metricScorer, SELECT_METRICS, type SelectMetric,
} from './io.ts';
export { importClipCap, type ClipCapImportOptions } from './clipcap.ts';
export { pretrainLm, packWindows, lmLoss, type PretrainLmOptions, type PretrainLmResult } from './pretrain.ts';
export { loadPretrainedLm, LM_KIND, type PretrainedLmConfig } from './lm-checkpoint.ts';
