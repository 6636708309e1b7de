// The spectrum of a set of embeddings: eigenvalues of the covariance of its L2-normalised, centred
// rows, the numerical rank (numpy.linalg.matrix_rank's convention on the centred data matrix:
// singular values above s_max * max(n, d) * float32 epsilon, since the embeddings are float32) and
// the participation ratio (sum lambda)^2 / sum lambda^2, the "effective dimension" that counts how
// many directions carry the variance (d for an isotropic cloud, 1 for a line). CLIP ViT-B/32 on
// MSCOCO is full rank (512) in both modalities.
// Eigenvalues: Householder reduction to tridiagonal form, then the implicit QL algorithm with
// Wilkinson shifts (the classic tred2/tqli pair, eigenvalues only), in float64; O(d^3).
import { DbridgeError } from '../util/errors.ts';
import { checkMatrix } from './normalize.ts';

const EPS_F32 = 1.1920929e-7;

export interface Spectrum {
  rows: number;
  dim: number;
  /** Numerical rank of the centred rows. */
  rank: number;
  /** (sum lambda)^2 / sum lambda^2 of the covariance eigenvalues. */
  participationRatio: number;
  /** Fewest principal directions holding 90% / 99% of the variance. */
  dims90: number;
  dims99: number;
  /** The largest eigenvalues of the covariance, descending (at most 16). */
  top: number[];
}

/**
 * Eigenvalues of a symmetric matrix a [n, n] (row-major, float64; destroyed), ascending.
 * Householder tridiagonalisation then implicit QL.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new DbridgeError(`symmetricEigenvalues: ${a.length} values are not a ${n} x ${n} matrix`);
  const diag = new Float64Array(n), off = new Float64Array(n); // off[i] couples i and i+1
  const v = new Float64Array(n), p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // reflect a[k+1.., k] onto its first coordinate
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    diag[k] = a[k * n + k];
    const x0 = a[(k + 1) * n + k];
    const alpha = x0 > 0 ? -norm : norm;
    off[k] = alpha;
    let vn = 0;
    for (let i = k + 1; i < n; i++) { v[i] = a[i * n + k]; }
    v[k + 1] -= alpha;
    for (let i = k + 1; i < n; i++) vn += v[i] * v[i];
    if (vn === 0) continue; // already tridiagonal in this column
    vn = Math.sqrt(vn);
    for (let i = k + 1; i < n; i++) v[i] /= vn;
    // A <- H A H on the trailing block, H = I - 2 v v^T: A -= 2 (v w^T + w v^T), w = p - (v^T p) v, p = A v
    let K = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += a[i * n + j] * v[j];
      p[i] = s;
      K += v[i] * s;
    }
    for (let i = k + 1; i < n; i++) p[i] -= K * v[i];
    for (let i = k + 1; i < n; i++) {
      for (let j = k + 1; j < n; j++) a[i * n + j] -= 2 * (v[i] * p[j] + p[i] * v[j]);
    }
  }
  if (n >= 2) { diag[n - 2] = a[(n - 2) * n + n - 2]; off[n - 2] = a[(n - 1) * n + n - 2]; }
  if (n >= 1) diag[n - 1] = a[(n - 1) * n + n - 1];
  off[n - 1] = 0;
  // implicit QL on (diag, off); an off-diagonal element counts as zero below eps times the matrix
  // norm (JAMA's tql2 test), not times its neighbours alone: those are ~0 for a rank-deficient
  // covariance, where a purely relative test never converges
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(diag[i]) + Math.abs(off[i]));
  const tiny = Number.EPSILON * norm;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        if (Math.abs(off[m]) <= tiny) break;
      }
      if (m === l) break;
      if (++iter > 60) throw new DbridgeError('symmetricEigenvalues: the QL iteration did not converge');
      let g = (diag[l + 1] - diag[l]) / (2 * off[l]);
      let r = Math.hypot(g, 1);
      g = diag[m] - diag[l] + off[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, pp = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * off[i], b = c * off[i];
        r = Math.hypot(f, g);
        off[i + 1] = r;
        if (r === 0) { diag[i + 1] -= pp; off[m] = 0; deflated = true; break; }
        s = f / r; c = g / r;
        g = diag[i + 1] - pp;
        r = (diag[i] - g) * s + 2 * c * b;
        pp = s * r;
        diag[i + 1] = g + pp;
        g = c * r - b;
      }
      if (deflated) continue;
      diag[l] -= pp; off[l] = g; off[m] = 0;
    }
  }
  return diag.sort();
}

/** Covariance [d, d] (float64) of the L2-normalised rows of data [n, d], centred on their mean. */
export function unitRowCovariance(data: Float32Array, n: number, d: number): Float64Array {
  checkMatrix(data, n, d, 'covariance');
  if (n < 2) throw new DbridgeError(`spectrum: needs at least 2 rows, got ${n}`);
  const u = new Float64Array(n * d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[i * d + j] ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < d; j++) { const x = data[i * d + j] * inv; u[i * d + j] = x; mean[j] += x / n; }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) u[i * d + j] -= mean[j];
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let a = 0; a < d; a++) {
      const x = u[o + a];
      if (x === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] += x * u[o + b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) { const c = cov[a * d + b] / n; cov[a * d + b] = c; cov[b * d + a] = c; }
  return cov;
}

/** The spectrum of the L2-normalised rows of data [n, d] (see the header). */
export function spectrum(data: Float32Array, n: number, d: number): Spectrum {
  const lambda = Array.from(symmetricEigenvalues(unitRowCovariance(data, n, d), d)).map((x) => Math.max(0, x)).sort((x, y) => y - x);
  const total = lambda.reduce((s, x) => s + x, 0);
  const sq = lambda.reduce((s, x) => s + x * x, 0);
  // singular values of the centred n x d matrix are sqrt(n lambda); numpy's tolerance s_max * max(n, d) * eps
  const tol = lambda[0] * (Math.max(n, d) * EPS_F32) ** 2;
  const rank = lambda[0] > 0 ? lambda.filter((x) => x > tol).length : 0;
  const dimsFor = (q: number) => {
    let acc = 0;
    for (let k = 0; k < lambda.length; k++) { acc += lambda[k]; if (acc >= q * total) return k + 1; }
    return lambda.length;
  };
  return {
    rows: n, dim: d, rank,
    participationRatio: sq > 0 ? (total * total) / sq : 0,
    dims90: total > 0 ? dimsFor(0.9) : 0, dims99: total > 0 ? dimsFor(0.99) : 0,
    top: lambda.slice(0, 16),
  };
}
