// How a batch is cut: into parts of `microBatch` rows (the last may be smaller), in row order,
// and the parts dealt to `workers` in contiguous runs (worker w takes parts
// [floor(wP/k), floor((w+1)P/k)) of the P parts). Each part's gradient is computed on its own and
// the gradients are summed in part order, on one thread or across workers alike, so the numbers
// depend on the cut (batch size, microBatch) and never on how many workers computed it.
// microBatch 0 means one part per worker: the whole batch on one thread, ceil(B / k) rows per part
// with k workers (then, and only then, the numbers depend on k).
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
  const mb = microBatch > 0 ? microBatch : Math.ceil(rows / workers);
  const bounds: [number, number][] = [];
  for (let s = 0; s < rows; s += mb) bounds.push([s, Math.min(rows, s + mb)]);
  const P = bounds.length;
  const parts: Part[] = [];
  for (let w = 0; w < workers; w++) {
    for (let i = Math.floor((w * P) / workers); i < Math.floor(((w + 1) * P) / workers); i++) parts.push({ index: i, worker: w, start: bounds[i][0], end: bounds[i][1] });
  }
  return parts;
}
