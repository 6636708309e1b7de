// Public API of the caption metrics (pycocoevalcap semantics). The experiment runner and the
// `dbridge score` command use only what is exported here.
export { scoreCaptions, parseMetricList, METRIC_NAMES, SCORE_KEYS } from './score.ts';
export type { ScoreOptions, CaptionScores, ImageScores, MetricName, ScoreKey } from './score.ts';
export { loadReferences, loadCandidates, parseReferences, parseCandidates } from './io.ts';
export type { ImageId } from './io.ts';
export { tokenizeCaption, tokenizeAll, ptbLex } from './tokenizer.ts';
export { bleu } from './bleu.ts';
export type { BleuResult, BleuStats } from './bleu.ts';
export { rougeL } from './rouge.ts';
export type { RougeResult } from './rouge.ts';
export { cider } from './cider.ts';
export type { CiderOptions, CiderResult } from './cider.ts';
export { meteorJar } from './meteor.ts';
export type { MeteorJarOptions, MeteorResult } from './meteor.ts';
export { meteorApprox, METEOR_PARAMS } from './meteor-approx.ts';
export { spiceJar } from './spice.ts';
export type { SpiceJarOptions, SpiceResult } from './spice.ts';
export { stem } from './stemmer.ts';
