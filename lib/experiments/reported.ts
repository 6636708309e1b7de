// The paper's numbers (lib/experiments/reported.json, transcribed from the paper's tables; provenance
// in docs/spec.md §6), looked up by table and row, in
// pycocoevalcap metric keys and x100 like the paper.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetricKey } from './tables.ts';

type Reported = Record<string, unknown>;
let cache: Reported | null = null;

export function reported(): Reported {
  if (!cache) cache = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'reported.json'), 'utf8')) as Reported;
  return cache;
}

const PAPER_ORDER: MetricKey[] = ['Bleu_1', 'Bleu_4', 'METEOR', 'ROUGE_L', 'CIDEr', 'SPICE'];
const CROSS_ORDER: MetricKey[] = ['Bleu_4', 'METEOR', 'CIDEr', 'SPICE'];

function toMetrics(values: (number | null)[], order: MetricKey[]): Partial<Record<MetricKey, number | null>> {
  const out: Partial<Record<MetricKey, number | null>> = {};
  order.forEach((k, i) => { out[k] = values[i] ?? null; });
  return out;
}

/**
 * The paper's row: `tableKey` is a reported.json key (e.g. 'table2a_mscoco'); `row` is a row key
 * inside it, or 'otherTable.row' to borrow a row from another table (Plain comes from Table 4).
 * For the cross-domain table pass `direction` ('coco_to_flickr30k' | 'flickr30k_to_coco').
 */
export function paperRow(tableKey: string, row: string, direction?: string): Partial<Record<MetricKey, number | null>> | null {
  const r = reported();
  let table = r[tableKey] as Record<string, unknown> | undefined;
  let rowKey = row;
  if (row.includes('.') && !(row in (table ?? {}))) {
    const [t, k] = row.split('.');
    table = r[t] as Record<string, unknown> | undefined;
    rowKey = k;
  }
  if (!table) return null;
  if (direction) {
    const d = table[direction] as Record<string, (number | null)[]> | undefined;
    const v = d?.[rowKey];
    return v ? toMetrics(v, CROSS_ORDER) : null;
  }
  const v = table[rowKey] as (number | null)[] | undefined;
  return Array.isArray(v) ? toMetrics(v, PAPER_ORDER) : null;
}

/** Table 1's reported cosines {embedding, projector} for a row key such as 'a_paired_text_image'. */
export function paperCosine(row: string): { embedding: number; projector: number } | null {
  const t = reported().table1_cosine as Record<string, { embedding: number; projector: number }>;
  return t[row] ?? null;
}
