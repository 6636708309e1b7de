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
/**
 * How test image embeddings are turned into decoder inputs. 'oracle-bridged': bridging with the
 * exact posterior mean over the train texts in place of the network (lib/experiments/oracle.ts).
 */
export type TestTreatment = 'raw' | 'mean-removed' | 'decap' | 'bridged' | 'oracle-bridged';

/**
 * Reference rows: captions chosen, not generated, scored by the same scorer on the same images, to
 * say what a number means. random-caption: a random train caption per image; frequent-caption: the
 * most frequent train caption for every image; nearest-caption: the train caption whose embedding
 * is nearest the raw image embedding (a CLIPRe analogue); human: a sixth human-like caption of each
 * image held out of the references (the world's `heldout` field; unavailable on real data).
 */
export const REFERENCE_KINDS = ['random-caption', 'frequent-caption', 'nearest-caption', 'human'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

export interface ReferenceRun {
  row: string;
  label: string;
  reference: ReferenceKind;
  paper?: string;
}

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

/** A row of a captioning table: a decoder run or a reference row. */
export type TableRun = CaptionRun | ReferenceRun;

export function isReferenceRun(r: TableRun): r is ReferenceRun {
  return (r as ReferenceRun).reference !== undefined;
}

export interface CaptionTable {
  id: 'table2' | 'table3' | 'table4' | 'table5';
  title: string;
  metrics: MetricKey[];
  runs: TableRun[];
  /** reported.json path of the paper's numbers for the in-domain dataset ('coco' / 'flickr30k'). */
  reported: Record<string, string>;
  /** Cross-domain: train on one domain, test on the other. */
  crossDomain?: boolean;
  notes: string;
}

/** The reference rows of Tables 2 and 5 (same ids in both). */
export const REFERENCE_RUNS: ReferenceRun[] = [
  { row: 'ref:random-caption', label: 'reference: a random train caption per image', reference: 'random-caption' },
  { row: 'ref:frequent-caption', label: 'reference: the most frequent train caption for every image', reference: 'frequent-caption' },
  { row: 'ref:nearest-caption', label: 'reference: the train caption nearest the raw image (CLIPRe analogue)', reference: 'nearest-caption', paper: 'CLIPRe' },
  { row: 'ref:human', label: 'reference: a held-out sixth caption (human-like annotator)', reference: 'human' },
];

export const TABLE2: CaptionTable = {
  id: 'table2',
  title: 'Table 2: zero-shot captioning (text-only decoders, same encoder, decoder and budget for every row)',
  metrics: PAPER_METRICS,
  reported: { coco: 'table2a_mscoco', flickr30k: 'table2b_flickr30k' },
  runs: [
    { row: 'Plain', label: 'Plain embedding (C3 mean removal)', train: 'plain', test: 'mean-removed', paper: 'table4_ablation_mscoco.plain_embed' },
    { row: 'CapDec', label: 'CapDec (noise 0.016, raw image embedding)', train: 'capdec', test: 'raw', paper: 'CapDec' },
    { row: 'C3', label: 'C3 (mean removal + noise)', train: 'c3', test: 'mean-removed', paper: 'C3' },
    { row: 'DeCap', label: "DeCap's memory projection (tau 0.01) into the Plain decoder", train: 'plain', test: 'decap', paper: 'DeCap' },
    { row: 'DiffusionBridge-bridging', label: 'Diffusion Bridge, bridging only', train: 'plain', test: 'bridged', paper: 'table4_ablation_mscoco.plus_bridging' },
    { row: 'DiffusionBridge', label: 'Diffusion Bridge (bridging + augmented decoder)', train: 'augmented', test: 'bridged', paper: 'DiffusionBridge' },
    ...REFERENCE_RUNS,
    { row: 'oracle:posterior-bridge', label: 'oracle: exact posterior-mean bridge over the train texts, augmented decoder', train: 'augmented', test: 'oracle-bridged' },
  ],
  notes: 'The DeCap row is DeCap\'s test-time projection (a softmax-weighted mean of train text embeddings, tau 0.01) fed to the same Plain decoder as every other row, not DeCap\'s own decoder. ' +
    'ZeroCap, MAGIC, ESPER, CLIPRe, ViECap and MeaCap need other models (GPT-2 with CLIP guidance, retrieval corpora, entity detectors); their paper numbers are shown, not re-run. ' +
    'Rows ref:* are captions chosen, not generated (a random train caption, the most frequent one, the train caption nearest the raw image, a held-out sixth caption); ' +
    'oracle:posterior-bridge replaces the denoiser by the exact posterior mean of x0 over all train texts on the same DDIM grid: what a perfectly trained denoiser (the minimum-MSE one for these texts) would give, which need not caption best (it averages many texts at large t).',
};

export const TABLE3: CaptionTable = {
  id: 'table3',
  title: 'Table 3: cross-domain captioning (decoder and diffusion model trained on the source domain text, tested on target images)',
  metrics: CROSS_DOMAIN_METRICS,
  reported: { coco: 'table3_cross_domain' },
  crossDomain: true,
  runs: [
    { row: 'DeCap', label: "DeCap's projection into the Plain decoder", train: 'plain', test: 'decap', paper: 'DeCap' },
    { row: 'CapDec', label: 'CapDec', train: 'capdec', test: 'raw', paper: 'CapDec' },
    { row: 'DiffusionBridge', label: 'Diffusion Bridge', train: 'augmented', test: 'bridged', paper: 'DiffusionBridge' },
  ],
  notes: 'On the built-in world the two domains are its domain A (paper role: MSCOCO) and domain B (paper role: Flickr30K). ' +
    'The rows are the paper\'s re-runnable ones (its Table 3 has no C3 row; a C3 row would cost one more decoder per domain in the 15-minute main job).',
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
  runs: [
    ...M_SWEEP.map((M) => ({ row: `M=${M}`, label: `M = ${M}`, train: 'plain' as const, test: 'bridged' as const, M, paper: String(M) })),
    ...REFERENCE_RUNS.map(({ paper: _, ...r }) => r), // the M sweep's reported table has no CLIPRe row
    ...M_SWEEP.filter((M) => M > 0).map((M) => ({ row: `oracle:posterior-bridge:M=${M}`, label: `oracle posterior-mean bridge, M = ${M} (augmented decoder)`, train: 'augmented' as const, test: 'oracle-bridged' as const, M })),
  ],
  notes: 'M = 0 makes no denoiser call: the mean-removed image embedding goes to the decoder as is (the paper\'s M=0 row equals Plain). ' +
    'The oracle rows bridge with the exact posterior mean of x0 over all train texts in place of the network (same DDIM grid) and are read by the augmented decoder: how much any denoiser could gain at each M.',
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
