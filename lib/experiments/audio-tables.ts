// The audio table (issue 16), declared once as data like the paper's tables (tables.ts): three
// panels on the test split of the main audio domain, one row per method, every method with the same
// encoder, the same text-only decoder recipe and the same diffusion network and training budget.
//   captioning  the caption metrics (pycocoevalcap semantics) and the share of distinct captions
//   gap         the modality gap before and after each bridge (as Table 1 for images)
//   retrieval   text <-> audio Recall@1/5/10 before and after each bridge
// The seeds' own reported figures (abstracts; no code or tables were published) are declared here
// too and shown beside ours where a figure of the same kind exists.
import type { MetricKey, ReferenceRun } from './tables.ts';
import type { AudioCaptionRun } from './audio-pipeline.ts';

export const AUDIO_CAPTION_METRICS: MetricKey[] = ['Bleu_1', 'Bleu_4', 'METEOR', 'ROUGE_L', 'CIDEr', 'SPICE'];

/** Which family a row belongs to (the summary compares the families' best rows; references are not methods). */
export type AudioFamily = 'baseline' | 'diffusion-bridge' | 'diffusion-link' | 'diffgap' | 'reference';

export type AudioCaptionRow = (AudioCaptionRun | ReferenceRun) & { family: AudioFamily };

export const AUDIO_CAPTIONING = {
  id: 'audio_captioning',
  title: 'Audio captioning: text-only decoders, same encoder, decoder and diffusion budget for every row',
  metrics: AUDIO_CAPTION_METRICS,
  runs: [
    { row: 'Plain', label: 'Plain (mean removal)', family: 'baseline', train: 'plain', test: 'mean-removed' },
    { row: 'NoiseInjection', label: 'Noise injection (CapDec: N(0, 0.016), raw audio)', family: 'baseline', train: 'capdec', test: 'raw' },
    { row: 'C3', label: 'C3 (mean removal + noise)', family: 'baseline', train: 'c3', test: 'mean-removed' },
    { row: 'DeCap', label: 'DeCap (memory projection, tau 0.01)', family: 'baseline', train: 'plain', test: 'decap' },
    { row: 'DiffusionBridge-bridging', label: 'Diffusion Bridge, bridging only', family: 'diffusion-bridge', train: 'plain', test: 'bridged' },
    { row: 'DiffusionBridge', label: 'Diffusion Bridge (bridging + augmented decoder)', family: 'diffusion-bridge', train: 'augmented', test: 'bridged' },
    { row: 'DiffusionLink', label: 'Diffusion-Link (paired ResMLP bridge)', family: 'diffusion-link', train: 'plain', test: 'diffusion-link' },
    { row: 'DiffGAP', label: 'DiffGAP, audio -> text (bidirectional conditional diffusion)', family: 'diffgap', train: 'plain', test: 'diffgap' },
    // reference rows (tables.ts REFERENCE_KINDS): chosen captions, no decoder, what a number means here
    { row: 'ref:random-caption', label: 'reference: a random train caption', family: 'reference', reference: 'random-caption' },
    { row: 'ref:frequent-caption', label: 'reference: the most frequent train caption', family: 'reference', reference: 'frequent-caption' },
    { row: 'ref:nearest-caption', label: 'reference: the nearest train caption (encoder retrieval)', family: 'reference', reference: 'nearest-caption' },
    { row: 'ref:human', label: 'reference: a sixth human-like caption (held out)', family: 'reference', reference: 'human' },
  ] as AudioCaptionRow[],
  notes: 'Every decoder is trained on text only; Diffusion-Link and DiffGAP are trained on the paired train embeddings (their papers\' setting), Diffusion Bridge on text only.',
};

/** What a gap-panel or retrieval row measures: the test clips' embeddings after a treatment. */
export type AudioRepresentation = 'raw' | 'mean-removed' | 'bridged' | 'diffusion-link' | 'diffgap';

export const AUDIO_GAP_PANEL = {
  id: 'audio_gap',
  title: 'Modality gap on the test split: audio (or what a bridge makes of it) against the clips\' captions',
  columns: ['paired', 'unpaired', 'centroid', 'rmg', 'mmd2', 'separability', 'participation'],
  columnLabels: { paired: 'paired cos', unpaired: 'unpaired cos', centroid: 'centroid dist', rmg: 'RMG', mmd2: 'MMD²', separability: 'probe acc', participation: 'part. ratio' },
  rows: [
    { row: 'raw', label: 'audio, raw (L2-normalised) vs raw text', rep: 'raw' },
    { row: 'mean-removed', label: 'audio vs text, each modality\'s mean removed (Table 1 a)', rep: 'mean-removed' },
    { row: 'DiffusionBridge', label: 'Diffusion Bridge: bridged audio vs text (Table 1 d)', rep: 'bridged' },
    { row: 'DiffusionLink', label: 'Diffusion-Link: linked audio vs text', rep: 'diffusion-link' },
    { row: 'DiffGAP', label: 'DiffGAP: text generated from the audio vs text', rep: 'diffgap' },
  ] as { row: string; label: string; rep: AudioRepresentation }[],
  notes: [
    'paired / unpaired = mean cosine of each caption with its own clip\'s embedding / with another clip\'s (Table 1 a, d, f); centroid = distance between the two sets\' means of unit vectors; RMG = relative modality gap (Schrodi et al. 2025); MMD² = RBF-kernel MMD to the captions; probe acc = held-out accuracy of a logistic-regression probe telling the two sets apart (0.5: no gap a linear probe can see); part. ratio = participation ratio of the audio-side set\'s spectrum (how many directions it spreads over). lib/embeddings/panel.ts computes all but the cosines. The text side is the captions after mean removal (the decoders\' input space), except in the raw row.',
  ],
};

export const AUDIO_RETRIEVAL = {
  id: 'audio_retrieval',
  title: 'Text <-> audio retrieval on the test split before and after each bridge (Recall@k x100)',
  columns: ['a2t_r1', 'a2t_r5', 'a2t_r10', 't2a_r1', 't2a_r5', 't2a_r10'],
  columnLabels: { a2t_r1: 'A→T R@1', a2t_r5: 'A→T R@5', a2t_r10: 'A→T R@10', t2a_r1: 'T→A R@1', t2a_r5: 'T→A R@5', t2a_r10: 'T→A R@10' },
  rows: [
    { row: 'raw', label: 'encoder cosine (raw embeddings)', rep: 'raw' },
    { row: 'mean-removed', label: 'each modality\'s mean removed', rep: 'mean-removed' },
    { row: 'DiffusionBridge', label: 'Diffusion Bridge: bridged audio vs text', rep: 'bridged' },
    { row: 'DiffusionLink', label: 'Diffusion-Link: linked audio vs text', rep: 'diffusion-link' },
    { row: 'DiffGAP', label: 'DiffGAP: A→T with text generated from audio, T→A with audio generated from text', rep: 'diffgap' },
  ] as { row: string; label: string; rep: AudioRepresentation }[],
  notes: [
    'A→T: a clip counts as found at k when any of its captions ranks within the top k; T→A: a caption counts when its clip does.',
  ],
};

/**
 * The seeds' published figures (abstracts only; docs/spec.md §8). Diffusion-Link reports relative
 * gains of attaching it to the same captioning baseline; ours is the relative CIDEr gain of the
 * Diffusion-Link row over Plain in this harness, shown beside it as `gain_vs_plain`.
 */
export const SEED_REPORTED = {
  DiffusionLink: {
    source: 'Nam et al., Diffusion-Link, arXiv 2510.11330 (abstract): AudioCaps, relative gain over the same multimodal-LLM baseline',
    gain_vs_plain: 52.5,
    supervised_gain: 7.5,
    note: 'zero-shot 52.5%, fully supervised 7.5% (CIDEr per secondary summaries); their baseline is an LLM decoder with CLAP, ours the text-only tiny decoder with Plain mean removal',
  },
  DiffGAP: {
    source: 'Mo et al., DiffGAP, arXiv 2503.12131 (abstract)',
    note: 'the abstract reports no numbers; the "average 9.2% R@1" of AI summaries (newx.sg) is unverified and not shown',
  },
} as const;
