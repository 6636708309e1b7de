// Paired bootstrap over test images for the summary's claims: CIDEr-D's corpus score is the mean
// of its per-image scores, so the difference of two runs' CIDEr is a mean of per-image differences,
// and resampling images gives its spread. Seeded; 2000 resamples by default. Also the two-sided
// bootstrap p-value of "no difference" and Holm's step-down adjustment (Holm 1979), for claims that
// pick the best of several settings (the M sweep): a comparison chosen as the best of m must clear
// a stricter bar than one fixed in advance.
import { readJson } from '../util/fs.ts';
import { Rng } from '../util/rng.ts';

export interface PairedDiff {
  /** mean(b) - mean(a), x100 like the tables. */
  diff: number;
  /** Bootstrap interval of diff at `level` (default 95%). */
  lo: number;
  hi: number;
  level: number;
  /** Fraction of resamples with diff > 0. */
  pPositive: number;
  /** Two-sided bootstrap p-value of diff = 0: 2 min(P(diff <= 0), P(diff > 0)), at least 1 / resamples. */
  p: number;
  images: number;
}

export function perImageMetric(file: string, metric: string): Map<string | number, number> {
  const rows = readJson<{ image_id: string | number; scores: Record<string, number | null> }[]>(file, 'per-image scores');
  return new Map(rows.map((r) => [r.image_id, (r.scores[metric] ?? NaN) * 100]));
}

export function pairedBootstrap(a: Map<string | number, number>, b: Map<string | number, number>, seed = 0, resamples = 2000, level = 0.95): PairedDiff {
  const ids = [...a.keys()].filter((k) => b.has(k));
  const d = ids.map((k) => b.get(k)! - a.get(k)!);
  const n = d.length;
  const mean = d.reduce((s, x) => s + x, 0) / Math.max(1, n);
  const rng = new Rng(seed).fork('bootstrap');
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[rng.int(n)];
    stats.push(s / Math.max(1, n));
  }
  stats.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  const pPositive = stats.filter((x) => x > 0).length / resamples;
  return {
    diff: mean, lo: stats[Math.floor(tail * resamples)], hi: stats[Math.min(resamples - 1, Math.ceil((1 - tail) * resamples) - 1)], level,
    pPositive, p: Math.min(1, Math.max(1 / resamples, 2 * Math.min(pPositive, 1 - pPositive))), images: n,
  };
}

/** Holm-adjusted p-values (same order as given): sorted ascending, p_(i) * (m - i), made monotone, capped at 1. */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ v, i }, k) => { running = Math.max(running, Math.min(1, (m - k) * v)); out[i] = running; });
  return out;
}
