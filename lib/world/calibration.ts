// What the built-in world is calibrated against (issue 11): each statistic, its value for MSCOCO /
// CLIP ViT-B/32 with the source, and the world's target; and a report that puts a measured world
// beside them (tools/bench/world.ts, docs/world.md's calibration table). Declared once here.
import type { GapStatistics } from '../embeddings/gap.ts';
import type { GapPanel } from '../embeddings/panel.ts';
import type { RetrievalReport } from './encoder.ts';
import type { ReferenceStatistics } from './reference.ts';

export interface CalibrationTarget {
  id: string;
  statistic: string;
  /** MSCOCO / CLIP's value, as published. */
  clip: string;
  source: string;
  /** Inclusive bounds of the target (null: unbounded on that side). */
  min: number | null;
  max: number | null;
}

export const CALIBRATION_TARGETS: CalibrationTarget[] = [
  { id: 'randomCaption.CIDEr', statistic: 'random train caption, CIDEr (test)', clip: '~5', source: 'issue 11 (MSCOCO)', min: null, max: 8 },
  { id: 'frequentCaption.Bleu_4', statistic: 'most frequent train caption, BLEU-4 (test)', clip: '-', source: 'issue 11', min: null, max: 10 },
  { id: 'frequentCaption.CIDEr', statistic: 'most frequent train caption, CIDEr (test)', clip: '-', source: 'issue 11', min: null, max: 8 },
  { id: 'verbatim', statistic: 'test captions verbatim in train, %', clip: '~0', source: 'issue 11 (MSCOCO)', min: null, max: 3 },
  { id: 'sixthAnnotator.CIDEr', statistic: 'a sixth annotator, CIDEr (test)', clip: '85.4 (human, c5)', source: 'MSCOCO caption leaderboard', min: 80, max: 110 },
  { id: 'a', statistic: 'paired image-text cosine after preprocessing (Table 1 a, val)', clip: '0.306', source: 'Diffusion Bridge Table 1', min: 0.256, max: 0.356 },
  { id: 'c', statistic: 'paired text-text cosine after preprocessing (Table 1 c, val)', clip: '0.652', source: 'Diffusion Bridge Table 1', min: 0.602, max: 0.702 },
  { id: 'e', statistic: 'unpaired text-text cosine after preprocessing (Table 1 e, val)', clip: '0.003', source: 'Diffusion Bridge Table 1', min: -0.05, max: 0.05 },
  { id: 'rawPaired', statistic: 'raw paired image-text cosine (val)', clip: '~0.3', source: 'Hessel et al. 2021 (CLIPScore rescales by 2.5 for this)', min: 0.2, max: 0.4 },
  { id: 'centroid', statistic: 'distance of the L2-normalised modality centroids (val)', clip: '0.82', source: 'Liang et al. 2022', min: 0.7, max: 0.9 },
  { id: 'i2tR1', statistic: 'image-to-text R@1, 500 test images, %', clip: '50.1 (5k images)', source: 'Radford et al. 2021', min: 30, max: null },
  { id: 'textPR', statistic: 'participation ratio of the text embeddings (val)', clip: 'full rank 512', source: 'issue 11', min: 30, max: null },
  { id: 'imagePR', statistic: 'participation ratio of the image embeddings (val)', clip: 'full rank 512', source: 'issue 11', min: 30, max: null },
];

export interface CalibrationRow extends CalibrationTarget {
  /** The world's value per domain or a single value; null when it was not measured. */
  world: number | Record<string, number> | null;
  met: boolean | null;
}

const within = (t: CalibrationTarget, x: number) => (t.min === null || x >= t.min) && (t.max === null || x <= t.max);

/** The world's values beside the targets; reference statistics per domain, geometry of the main domain's val split. */
export function calibrationReport(m: {
  gap?: (GapStatistics & { panel?: GapPanel }) | null;
  retrieval?: RetrievalReport | null;
  references?: Record<string, ReferenceStatistics>;
}): CalibrationRow[] {
  const refs = m.references ?? {};
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? null : +(100 * x).toFixed(2));
  const perDomain = (f: (r: ReferenceStatistics) => number | null | undefined) => {
    const out: Record<string, number> = {};
    for (const [d, r] of Object.entries(refs)) { const v = pct(f(r)); if (v !== null) out[d] = v; }
    return Object.keys(out).length ? out : null;
  };
  const g = m.gap, panel = g?.panel;
  const values: Record<string, number | Record<string, number> | null> = {
    'randomCaption.CIDEr': perDomain((r) => r.randomCaption.corpus.CIDEr),
    'frequentCaption.Bleu_4': perDomain((r) => r.frequentCaption.corpus.Bleu_4),
    'frequentCaption.CIDEr': perDomain((r) => r.frequentCaption.corpus.CIDEr),
    verbatim: perDomain((r) => r.verbatim.fraction),
    'sixthAnnotator.CIDEr': perDomain((r) => r.sixthAnnotator?.corpus.CIDEr),
    a: g ? g.preprocessed.pairedImageText : null,
    c: g ? g.preprocessed.pairedTextText : null,
    e: g ? g.preprocessed.unpairedTextText : null,
    rawPaired: g ? g.raw.pairedImageText : null,
    centroid: g ? g.centroid.raw.distance : null,
    i2tR1: m.retrieval ? pct(m.retrieval.i2t.r1) : null,
    textPR: panel ? panel.text.raw.participationRatio : null,
    imagePR: panel ? panel.rows[0].imageParticipationRatio : null,
  };
  return CALIBRATION_TARGETS.map((t) => {
    const v = values[t.id];
    const xs = v === null ? [] : typeof v === 'number' ? [v] : Object.values(v);
    return { ...t, world: v, met: xs.length ? xs.every((x) => within(t, x)) : null };
  });
}

/** A calibration value as table text: one number, or one per domain ("a 5.0, b 4.7"). */
export function formatCalibrationValue(v: CalibrationRow['world']): string {
  const f = (x: number) => (Math.abs(x) >= 10 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
  if (v === null) return 'not measured';
  if (typeof v === 'number') return f(v);
  return Object.entries(v).map(([d, x]) => `${d} ${f(x)}`).join(', ');
}

/** The target's bounds as text ("<= 8", "0.256-0.356", "within ±0.05", ">= 30"). */
export function formatCalibrationTarget(t: CalibrationTarget): string {
  if (t.min !== null && t.max !== null) return t.min === -t.max ? `within ±${t.max}` : `${t.min}-${t.max}`;
  return t.min !== null ? `>= ${t.min}` : `<= ${t.max}`;
}

/**
 * The calibration table as Markdown (docs/world.md quotes it): each statistic, CLIP's value and
 * source, the world's value, the target and whether it is met; `note` heads it (run, commit, date).
 */
export function calibrationMarkdown(rows: CalibrationRow[], note: string): string {
  const met = (m: boolean | null) => (m === null ? 'not measured' : m ? 'met' : '**not met**');
  const lines = [
    note, '',
    '| statistic | MSCOCO / CLIP | source | world | target | |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.statistic} | ${r.clip} | ${r.source} | ${formatCalibrationValue(r.world)} | ${formatCalibrationTarget(r)} | ${met(r.met)} |`),
  ];
  const n = rows.filter((r) => r.met).length, m = rows.filter((r) => r.met !== null).length;
  lines.push('', `${n} of ${m} measured targets met.`);
  return lines.join('\n') + '\n';
}
