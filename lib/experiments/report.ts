// Result files of the runner: results/<dataset>-<scale>/<table>.json (rows with stable ids, ours
// beside the paper's, the full resolved config and provenance), <table>.csv, and the markdown
// sections that make summary.md. Caption metrics are shown x100 like the paper. A metric that was
// not computed faithfully is null with a reason (e.g. SPICE without its jar), never a substitute.
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import type { Provenance } from '../util/provenance.ts';

export interface ResultRow {
  id: string;
  label: string;
  /** Our values by key (caption metrics x100; cosines as is). null = not available. */
  ours: Record<string, number | null>;
  /** The paper's values by key, or null when the paper has no such row. */
  paper: Record<string, number | null> | null;
  /** Anything else worth keeping per row (treatments, M, timings). */
  details?: Record<string, unknown>;
}

export interface ResultTable {
  table: string;
  title: string;
  dataset: string;
  scale: string;
  variant: string;
  seed: number;
  backend: string;
  provenance: Provenance;
  /** Column keys in display order. */
  columns: string[];
  /** Column key -> display label (e.g. METEOR_approx -> 'METEOR≈'). */
  columnLabels?: Record<string, string>;
  rows: ResultRow[];
  notes: string[];
  config: unknown;
  /** Extra sections (e.g. reported-only baselines, cross-domain direction). */
  extra?: Record<string, unknown>;
  /**
   * Columns whose paper value is a different metric from ours: column -> the paper's metric (e.g.
   * METEOR_approx -> METEOR). Marked with a dagger in markdown and named so in the CSV header.
   */
  paperMetricOf?: Record<string, string>;
  /** Markdown appended after the notes (e.g. Table 1's gap panel). */
  appendix?: string;
}

/** Columns holding counts (printed as integers). */
const COUNT_COLUMNS = new Set(['distinctCaptions', 'denoiser_params', 'rank']);

function fmt(v: number | null | undefined, digits: number, count = false): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v) && (count || Math.abs(v) >= 1000)) return Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : String(v);
  return v.toFixed(digits);
}

export function tableToCsv(t: ResultTable): string {
  const header = ['row', 'label', ...t.columns, ...t.columns.map((c) => `paper_${t.paperMetricOf?.[c] ?? c}`)];
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [header.join(',')];
  for (const r of t.rows) {
    lines.push([
      r.id, r.label,
      ...t.columns.map((c) => (r.ours[c] === null || r.ours[c] === undefined ? '' : String(r.ours[c]))),
      ...t.columns.map((c) => (r.paper?.[c] === null || r.paper?.[c] === undefined ? '' : String(r.paper[c]))),
    ].map((x) => esc(String(x))).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Markdown: one table with "ours (paper)" in each cell. */
export function tableToMarkdown(t: ResultTable, digits = 1): string {
  const labels = t.columns.map((c) => t.columnLabels?.[c] ?? c);
  const lines = [`### ${t.title}`, '', `| row | ${labels.join(' | ')} |`, `|---|${t.columns.map(() => '---').join('|')}|`];
  // a column the paper never reports (e.g. distinct captions) shows ours alone
  const paperHas = new Set(t.columns.filter((c) => t.rows.some((r) => r.paper?.[c] !== null && r.paper?.[c] !== undefined)));
  for (const r of t.rows) {
    const cells = t.columns.map((c) => {
      const ours = fmt(r.ours[c], digits, COUNT_COLUMNS.has(c));
      const p = r.paper?.[c];
      const paper = r.paper && paperHas.has(c) ? fmt(p, digits, COUNT_COLUMNS.has(c)) + (t.paperMetricOf?.[c] && p !== null && p !== undefined ? '†' : '') : null;
      return paper === null ? ours : `${ours} (${paper})`;
    });
    lines.push(`| ${r.label} | ${cells.join(' | ')} |`);
  }
  lines.push('', 'Cells: ours (paper). – = not reported / not available.');
  for (const [c, theirs] of Object.entries(t.paperMetricOf ?? {})) {
    lines.push('', `† The paper's value in column ${t.columnLabels?.[c] ?? c} is ${theirs}, a different metric from ours (${c}): shown for orientation, not comparable.`);
  }
  for (const n of t.notes) lines.push('', `- ${n}`);
  if (t.appendix) lines.push('', t.appendix);
  return lines.join('\n') + '\n';
}

export function writeResultTable(outDir: string, t: ResultTable): void {
  writeJsonAtomic(join(outDir, `${t.table}.json`), t);
  writeFileAtomic(join(outDir, `${t.table}.csv`), tableToCsv(t));
  writeFileAtomic(join(outDir, `${t.table}.md`), tableToMarkdown(t, t.table === 'table1' ? 3 : t.table === 'cost' ? 4 : 1));
}
