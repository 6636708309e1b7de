// The figures of the reproduction as Vega-Lite specs built from result tables: the M sweep
// (Table 5), the ablation bars (Table 4), Table 1's cosines and their per-pair distributions, and
// the UMAP of image, text and bridged-image embeddings (the paper's UMAP figure: image red, text
// blue, bridged green). Ours and the paper's are drawn side by side where the paper has numbers.
import type { ResultTable } from '../experiments/report.ts';
import type { VegaLiteSpec } from './vega.ts';

const SOURCE_COLORS = { domain: ['ours', 'paper'], range: ['#1f77b4', '#bbbbbb'] };

function longRows(t: ResultTable, metrics: string[], xOf: (id: string) => string | number) {
  const out: { x: string | number; metric: string; source: string; value: number }[] = [];
  for (const r of t.rows) for (const m of metrics) {
    const o = r.ours[m];
    if (o !== null && o !== undefined && Number.isFinite(o)) out.push({ x: xOf(r.id), metric: m, source: 'ours', value: o });
    const p = r.paper?.[m];
    if (p !== null && p !== undefined) out.push({ x: xOf(r.id), metric: m, source: 'paper', value: p });
  }
  return out;
}

export function mSweepFigure(t5: ResultTable, metrics = ['CIDEr', 'Bleu_4']): VegaLiteSpec {
  return {
    title: `M sweep: bridging only (${t5.dataset}, ${t5.scale})`,
    data: { values: longRows(t5, metrics, (id) => Number(id.replace('M=', ''))) },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 220, height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'M (start step)', scale: { domain: [0, 800] } },
        y: { field: 'value', type: 'quantitative', title: 'score x100' },
        color: { field: 'source', type: 'nominal', scale: SOURCE_COLORS, title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

export function barsFigure(t: ResultTable, metrics: string[], title: string, short?: (id: string, label: string) => string): VegaLiteSpec {
  const name = (r: { id: string; label: string }) => (short ? short(r.id, r.label) : r.label);
  const order = t.rows.map(name);
  const label = new Map(t.rows.map((r) => [r.id, name(r)]));
  return {
    title,
    data: { values: longRows(t, metrics, (id) => label.get(id) ?? id) },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 200, height: 180,
      mark: 'bar',
      encoding: {
        x: { field: 'x', type: 'nominal', sort: order, title: null, axis: { labelAngle: -30, labelLimit: 160 } },
        xOffset: { field: 'source' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'source', type: 'nominal', scale: SOURCE_COLORS, title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

export function ablationFigure(t4: ResultTable): VegaLiteSpec {
  return barsFigure(t4, ['CIDEr', 'Bleu_4'], `Component ablation (${t4.dataset}, ${t4.scale})`);
}

export function cosineFigure(t1: ResultTable): VegaLiteSpec {
  return barsFigure(t1, ['embedding', 'projector'], `Table 1: mean cosine similarity (${t1.dataset}, ${t1.scale}); rows (a)-(f) as in the paper`, (id) => `(${id})`);
}

/** Histograms of per-pair cosines (Table 1's details.samples: row -> values). */
export function cosineDistributionFigure(samples: Record<string, number[]>, labels: Record<string, string>): VegaLiteSpec {
  const values = Object.entries(samples).flatMap(([row, xs]) => xs.map((v) => ({ pair: labels[row] ?? row, cosine: v })));
  return {
    title: 'Per-pair cosine similarity in the preprocessed embedding space',
    data: { values },
    width: 420, height: 200,
    mark: { type: 'area', opacity: 0.45, interpolate: 'step' },
    transform: [{ bin: { maxbins: 60 }, field: 'cosine', as: 'bin' }, { aggregate: [{ op: 'count', as: 'n' }], groupby: ['pair', 'bin'] }],
    encoding: {
      x: { field: 'bin', type: 'quantitative', title: 'cosine' },
      y: { field: 'n', type: 'quantitative', stack: null, title: 'pairs' },
      color: { field: 'pair', type: 'nominal', title: null },
    },
  };
}

export interface UmapPoint { x: number; y: number; kind: 'image' | 'text' | 'bridged image' }

export function umapFigure(points: UmapPoint[], title: string): VegaLiteSpec {
  return {
    title,
    data: { values: points },
    width: 420, height: 360,
    mark: { type: 'circle', size: 14, opacity: 0.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', axis: null },
      y: { field: 'y', type: 'quantitative', axis: null },
      color: { field: 'kind', type: 'nominal', scale: { domain: ['image', 'text', 'bridged image'], range: ['#d62728', '#1f77b4', '#2ca02c'] }, title: null },
    },
  };
}
