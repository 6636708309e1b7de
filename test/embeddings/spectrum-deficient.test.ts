// The eigenvalue solver on rank-deficient covariances (many eigenvalues at ~0, as a linear
// projection head from a narrow tower gives): it converges, and the spectrum's rank and
// participation ratio match the construction.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../lib/util/rng.ts';
import { spectrum, symmetricEigenvalues } from '../../lib/embeddings/spectrum.ts';

describe('spectrum of rank-deficient embeddings', () => {
  it('converges and finds the rank and an equal-variance participation ratio', () => {
    const rng = new Rng(7);
    const n = 600, d = 128, k = 20;
    // rows = z B with z ~ N(0, I_k) and B orthonormal-ish random k x d: rank k (plus one for the L2 normalisation's nonlinearity at most)
    const B = rng.normals(k * d);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const z = rng.normals(k);
      for (let j = 0; j < d; j++) { let s = 0; for (let t = 0; t < k; t++) s += z[t] * B[t * d + j]; data[i * d + j] = s; }
    }
    const s = spectrum(data, n, d);
    assert.ok(s.rank >= k - 1 && s.rank <= k + 1, `rank ${s.rank}`);
    assert.ok(s.participationRatio > 5 && s.participationRatio <= k, `participation ratio ${s.participationRatio}`);
  });

  it('returns a diagonal matrix\'s entries, zeros included', () => {
    const n = 40, a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = i < 30 ? 0 : i;
    assert.deepEqual(Array.from(symmetricEigenvalues(a, n)), Array.from({ length: n }, (_, i) => (i < 30 ? 0 : i)));
  });
});
