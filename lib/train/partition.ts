// How a batch is cut: into `workers` contiguous shards (worker w gets rows [floor(wB/k),
// floor((w+1)B/k))), each cut into micro-batches of at most `microBatch` rows (0 = the whole
// shard). Parts are numbered in row order; their gradients are summed in that order. Because the
// cut depends only on (B, workers, microBatch), a run with k workers and one part per worker
// computes exactly what a 1-worker run with micro-batches equal to those shards computes.
import { DbridgeError } from '../util/errors.ts';

export interface Part {
  /** Index of the part in the step (row order). */
  index: number;
  worker: number;
  start: number;
  end: number;
}

export function partition(rows: number, workers: number, microBatch: number): Part[] {
  if (!Number.isInteger(rows) || rows < 1) throw new DbridgeError(`a batch needs at least one row, got ${rows}`);
  if (!Number.isInteger(workers) || workers < 1) throw new DbridgeError(`workers must be a positive integer, got ${workers}`);
  if (!Number.isInteger(microBatch) || microBatch < 0) throw new DbridgeError(`microBatch must be a non-negative integer, got ${microBatch}`);
  const parts: Part[] = [];
  for (let w = 0; w < workers; w++) {
    const s0 = Math.floor((w * rows) / workers), s1 = Math.floor(((w + 1) * rows) / workers);
    const mb = microBatch > 0 ? microBatch : s1 - s0;
    for (let s = s0; s < s1; s += mb) parts.push({ index: parts.length, worker: w, start: s, end: Math.min(s1, s + mb) });
  }
  return parts;
}

