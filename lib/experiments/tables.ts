// Every table of the paper, declared once as data: which decoder (training treatment) and which
// test-time treatment make each row, which metrics it shows, and where the paper's own numbers
// are (lib/experiments/reported.json; its provenance: docs/spec.md §6).
// The runner, the CLI and the notebooks all read these declarations.

export const METRIC_KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'METEOR', 'ROUGE_L', 'CIDEr', 'SPICE'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** The paper's column order (reported.json `metrics_order`) in pycocoevalcap keys. */
export const PAPER_METRICS: MetricKey[] = ['Bleu_1', 'Bleu_4', 'METEOR', 'ROUGE_L', 'CIDEr', 'SPICE'];
export const CROSS_DOMAIN_METRICS: MetricKey[] = ['Bleu_4', 'METEOR', 'CIDEr', 'SPICE'];

/** How the decoder's training inputs are made from text embeddings (docs/spec.md §4, §7). */
export type TrainTreatment = 'plain' | 'capdec' | 'c3' | 'augmented';
/** How test image embeddings are turned into decoder inputs. */
export type TestTreatment = 'raw' | 'mean-removed' | 'decap' | 'bridged';

export interface CaptionRun {
  /** Stable row id in the result files. */
  row: string;
  label: string;
  train: TrainTreatment;
  test: TestTreatment;
  /** Bridging start step; defaults to the dataset's M (docs/spec.md, Decisions (2)). */
  M?: number;
  /** Key of the paper's row in the reported table, when it has one. */
  paper?: string;
}

export interface CaptionTable {
  id: 'table2' | 'table3' | 'table4' | 'table5';
  title: string;
  metrics: MetricKey[];
  runs: CaptionRun[];
  /** reported.json path of the paper's numbers for the in-domain dataset ('coco' / 'flickr30k'). */
  reported: Record<string, string>;
  /** Cross-domain: train on one domain, test on the other. */
  crossDomain?: boolean;
  notes: string;
}

export const TABLE2: CaptionTable = {
  id: 'table2',
  title: 'Table 2: zero-shot captioning (text-only decoders, same encoder, decoder and budget for every row)',
  metrics: PAPER_METRICS,
  reported: { coco: 'table2a_mscoco', flickr30k: 'table2b_flickr30k' },
  runs: [
    { row: 'Plain', label: 'Plain embedding (C3 mean removal)', train: 'plain', test: 'mean-removed', paper: 'table4_ablation_mscoco.plain_embed' },
    { row: 'CapDec', label: 'CapDec (noise 0.016, raw image embedding)', train: 'capdec', test: 'raw', paper: 'CapDec' },
    { row: 'C3', label: 'C3 (mean removal + noise)', train: 'c3', test: 'mean-removed', paper: 'C3' },
    { row: 'DeCap', label: 'DeCap (memory projection, tau 0.01)', train: 'plain', test: 'decap', paper: 'DeCap' },
    { row: 'DiffusionBridge-bridging', label: 'Diffusion Bridge, bridging only', train: 'plain', test: 'bridged', paper: 'table4_ablation_mscoco.plus_bridging' },
    { row: 'DiffusionBridge', label: 'Diffusion Bridge (bridging + augmented decoder)', train: 'augmented', test: 'bridged', paper: 'DiffusionBridge' },
  ],
  notes: 'ZeroCap, MAGIC, ESPER, CLIPRe, ViECap and MeaCap need other models (GPT-2 with CLIP guidance, retrieval corpora, entity detectors); their paper numbers are shown, not re-run.',
};

export const TABLE3: CaptionTable = {
  id: 'table3',
  title: 'Table 3: cross-domain captioning (decoder and diffusion model trained on the source domain text, tested on target images)',
  metrics: CROSS_DOMAIN_METRICS,
  reported: { coco: 'table3_cross_domain' },
  crossDomain: true,
  runs: [
    { row: 'DeCap', label: 'DeCap', train: 'plain', test: 'decap', paper: 'DeCap' },
    { row: 'CapDec', label: 'CapDec', train: 'capdec', test: 'raw', paper: 'CapDec' },
    { row: 'C3', label: 'C3', train: 'c3', test: 'mean-removed' },
    { row: 'DiffusionBridge', label: 'Diffusion Bridge', train: 'augmented', test: 'bridged', paper: 'DiffusionBridge' },
  ],
  notes: 'On the built-in world the two domains are its domain A (paper role: MSCOCO) and domain B (paper role: Flickr30K).',
};

export const TABLE4: CaptionTable = {
  id: 'table4',
  title: 'Table 4: component ablation',
  metrics: PAPER_METRICS,
  reported: { coco: 'table4_ablation_mscoco' },
  runs: [
    { row: 'plain', label: 'Plain embedding', train: 'plain', test: 'mean-removed', paper: 'plain_embed' },
    { row: 'bridging', label: '+ Diffusion bridging', train: 'plain', test: 'bridged', paper: 'plus_bridging' },
    { row: 'augmentation', label: '+ Diffusion-augmented decoder training', train: 'augmented', test: 'bridged', paper: 'plus_augmentation' },
  ],
  notes: 'The paper\'s rows are cumulative: bridging alone, then bridging with the augmented decoder.',
};

export const M_SWEEP = [0, 200, 400, 600, 800] as const;

export const TABLE5: CaptionTable = {
  id: 'table5',
  title: 'Table 5: the bridging start step M (bridging only, no augmentation)',
  metrics: PAPER_METRICS,
  reported: { coco: 'table5_M_sweep_mscoco' },
  runs: M_SWEEP.map((M) => ({ row: `M=${M}`, label: `M = ${M}`, train: 'plain' as const, test: 'bridged' as const, M, paper: String(M) })),
  notes: 'M = 0 makes no denoiser call: the mean-removed image embedding goes to the decoder as is (the paper\'s M=0 row equals Plain).',
};

export const CAPTION_TABLES = [TABLE2, TABLE3, TABLE4, TABLE5];

/** Table 1 rows (docs/spec.md §6): mean cosine, in the embedding space and after the decoder's projector. */
export const TABLE1_ROWS = [
  { row: 'a', paper: 'a_paired_text_image', label: 'ê_text · ê_img (paired)' },
  { row: 'b', paper: 'b_text_vs_text_plus_noise_0.016', label: 'ê_text · {ê_text + N(0, 0.016)} (paired)' },
  { row: 'c', paper: 'c_paired_text_text', label: 'ê_text · ê_text (paired: two captions of one image)' },
  { row: 'd', paper: 'd_text_vs_bridged_image', label: 'ê_text · ẽ_img (paired, bridged image)' },
  { row: 'e', paper: 'e_unpaired_text_text', label: 'ê_text · ê_text (unpaired)' },
  { row: 'f', paper: 'f_unpaired_text_vs_bridged_image', label: 'ê_text · ẽ_img (unpaired, bridged image)' },
] as const;
