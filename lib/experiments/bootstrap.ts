// Paired bootstrap over test images for the summary's claims: CIDEr-D's corpus score is the mean
// of its per-image scores, so the difference of two runs' CIDEr is a mean of per-image differences,
// and resampling images gives its spread. Seeded; 2000 resamples.
import { readJson } from '../util/fs.ts';
import { Rng } from '../util/rng.ts';

export interface PairedDiff {
  /** mean(b) - mean(a), x100 like the tables. */
  diff: number;
  /** 95% bootstrap interval of diff. */
  lo: number;
  hi: number;
  /** Fraction of resamples with diff > 0. */
  pPositive: number;
  images: number;
}

export function perImageMetric(file: string, metric: string): Map<string | number, number> {
  const rows = readJson<{ image_id: string | number; scores: Record<string, number | null> }[]>(file, 'per-image scores');
  return new Map(rows.map((r) => [r.image_id, (r.scores[metric] ?? NaN) * 100]));
}

export function pairedBootstrap(a: Map<string | number, number>, b: Map<string | number, number>, seed = 0, resamples = 2000): PairedDiff {
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
  return { diff: mean, lo: stats[Math.floor(0.025 * resamples)], hi: stats[Math.floor(0.975 * resamples)], pPositive: stats.filter((x) => x > 0).length / resamples, images: n };
}
