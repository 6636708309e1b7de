// Maximum mean discrepancy with a Gaussian (RBF) kernel between two sets of L2-normalised
// embeddings (Gretton et al., JMLR 2012): the unbiased estimate
//   MMD^2_u = mean_{i != j} k(x_i, x_j) + mean_{i != j} k(y_i, y_j) - 2 mean_{i, j} k(x_i, y_j),
// k(x, y) = exp(-|x - y|^2 / (2 sigma^2)). sigma is the median pairwise distance of the reference
// set X (the median heuristic) unless given, so that several sets compared against one reference
// share one kernel and their MMDs are comparable. 0 for sets from one distribution (in expectation;
// the unbiased estimate can be slightly negative), up to 2 for disjoint ones. Rows are subsampled
// (seeded) to at most `maxRows` per set: the cost is O(maxRows^2 d).
import { DbridgeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkMatrix, l2NormalizeRows } from './normalize.ts';

export interface MmdResult {
  mmd2: number;
  sigma: number;
  rowsX: number;
  rowsY: number;
}

function sampleUnit(data: Float32Array, d: number, max: number, rng: Rng): { u: Float32Array; n: number } {
  const n = data.length / d;
  const rows = n <= max ? null : rng.permutation(n).slice(0, max).sort((a, b) => a - b);
  const picked = rows ? new Float32Array(rows.length * d) : data;
  if (rows) rows.forEach((r, i) => picked.set(data.subarray(r * d, (r + 1) * d), i * d));
  const m = rows ? rows.length : n;
  return { u: l2NormalizeRows(picked, m, d), n: m };
}

function sqDist(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) { const t = a[i * d + k] - b[j * d + k]; s += t * t; }
  return s;
}

/** Median pairwise Euclidean distance among the rows of x [n, d] (all pairs). */
export function medianDistance(x: Float32Array, n: number, d: number): number {
  const ds: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) ds.push(sqDist(x, i, x, j, d));
  if (ds.length === 0) throw new DbridgeError('medianDistance: needs at least 2 rows');
  ds.sort((a, b) => a - b);
  const m = ds.length >> 1;
  return Math.sqrt(ds.length % 2 ? ds[m] : (ds[m - 1] + ds[m]) / 2);
}

/** Unbiased RBF-MMD^2 between the L2-normalised rows of x [nx, d] and y [ny, d]. */
export function rbfMmd(x: Float32Array, y: Float32Array, d: number, opts: { sigma?: number; maxRows?: number; seed?: number } = {}): MmdResult {
  checkMatrix(x, x.length / d, d, 'MMD set X');
  checkMatrix(y, y.length / d, d, 'MMD set Y');
  const rng = new Rng(opts.seed ?? 0).fork('mmd');
  const max = opts.maxRows ?? 500;
  const X = sampleUnit(x, d, max, rng.fork('x')), Y = sampleUnit(y, d, max, rng.fork('y'));
  if (X.n < 2 || Y.n < 2) throw new DbridgeError(`MMD needs at least 2 rows in each set, got ${X.n} and ${Y.n}`);
  const sigma = opts.sigma ?? medianDistance(X.u, X.n, d);
  if (!(sigma > 0)) throw new DbridgeError(`MMD kernel width must be positive, got ${sigma}`);
  const g = 1 / (2 * sigma * sigma);
  let kxx = 0, kyy = 0, kxy = 0;
  for (let i = 0; i < X.n; i++) for (let j = i + 1; j < X.n; j++) kxx += Math.exp(-g * sqDist(X.u, i, X.u, j, d));
  for (let i = 0; i < Y.n; i++) for (let j = i + 1; j < Y.n; j++) kyy += Math.exp(-g * sqDist(Y.u, i, Y.u, j, d));
  for (let i = 0; i < X.n; i++) for (let j = 0; j < Y.n; j++) kxy += Math.exp(-g * sqDist(X.u, i, Y.u, j, d));
  const mmd2 = (2 * kxx) / (X.n * (X.n - 1)) + (2 * kyy) / (Y.n * (Y.n - 1)) - (2 * kxy) / (X.n * Y.n);
  return { mmd2, sigma, rowsX: X.n, rowsY: Y.n };
}
