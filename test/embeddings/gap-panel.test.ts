// The gap panel's statistics on hand-made inputs whose answers are known in closed form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symmetricEigenvalues, spectrum } from '../../lib/embeddings/spectrum.ts';
import { rbfMmd } from '../../lib/embeddings/mmd.ts';
import { crossModalRetrieval } from '../../lib/embeddings/retrieval.ts';
import { relativeModalityGap } from '../../lib/embeddings/gap.ts';
import { gapPanel } from '../../lib/embeddings/panel.ts';
import { preprocessRows } from '../../lib/embeddings/preprocess.ts';
import { Rng } from '../../lib/util/rng.ts';

/** A random orthonormal basis (rows) of R^n by Gram-Schmidt. */
function orthonormal(n: number, rng: Rng): Float64Array[] {
  const q: Float64Array[] = [];
  while (q.length < n) {
    const v = Float64Array.from(rng.normals(n));
    for (const u of q) { let s = 0; for (let j = 0; j < n; j++) s += v[j] * u[j]; for (let j = 0; j < n; j++) v[j] -= s * u[j]; }
    const norm = Math.hypot(...v);
    if (norm < 1e-6) continue;
    q.push(v.map((x) => x / norm));
  }
  return q;
}

test('symmetric eigenvalues of Q diag(lambda) Q^T come back', () => {
  const n = 12, rng = new Rng(1);
  const lambda = [7, 3, 3, 1, 0.5, 0.25, 0, 0, -1, -2, 10, 4];
  const q = orthonormal(n, rng);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let k = 0; k < n; k++) s += q[k][i] * lambda[k] * q[k][j]; a[i * n + j] = s; }
  const got = Array.from(symmetricEigenvalues(a, n));
  const want = [...lambda].sort((x, y) => x - y);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-9, `eigenvalue ${i}: ${g} vs ${want[i]}`));
  assert.deepEqual(Array.from(symmetricEigenvalues(Float64Array.from([2, 0, 0, 5]), 2)), [2, 5]);
});

test('spectrum: rows in a k-dimensional subspace have rank k; an isotropic cloud has participation ratio near its dimension', () => {
  const d = 32, k = 6, n = 400, rng = new Rng(2);
  const basis = orthonormal(d, rng).slice(0, k);
  const rows = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.normals(k);
    for (let j = 0; j < d; j++) { let s = 0; for (let b = 0; b < k; b++) s += c[b] * basis[b][j]; rows[i * d + j] = s; }
  }
  const s = spectrum(rows, n, d);
  assert.equal(s.rank, k);
  assert.ok(s.participationRatio > 0.85 * k && s.participationRatio <= k + 1e-9, `PR ${s.participationRatio}`);
  assert.ok(s.dims99 <= k && s.dims90 <= k);
  // a larger rank-deficient cloud (whose tridiagonal form has near-zero blocks) converges and finds its rank
  const D2 = 128, K2 = 40, N2 = 400;
  const B2 = Array.from({ length: K2 }, () => rng.normals(D2));
  const x2 = new Float32Array(N2 * D2);
  for (let i = 0; i < N2; i++) { const c = rng.normals(K2); for (let j = 0; j < D2; j++) { let v = 0; for (let b = 0; b < K2; b++) v += c[b] * B2[b][j]; x2[i * D2 + j] = v; } }
  assert.equal(spectrum(x2, N2, D2).rank, K2);
  // a line (all rows +-one direction): rank 1, participation ratio 1
  const line = new Float32Array(n * d);
  for (let i = 0; i < n; i++) line[i * d] = i % 2 ? 1 : -1;
  const l = spectrum(line, n, d);
  assert.equal(l.rank, 1);
  assert.ok(Math.abs(l.participationRatio - 1) < 1e-9);
});

test('RBF-MMD: two point masses give 2 - 2 exp(-|a-b|^2 / 2 sigma^2); one distribution gives about 0', () => {
  const d = 4;
  const x = new Float32Array(10 * d), y = new Float32Array(10 * d);
  for (let i = 0; i < 10; i++) { x[i * d] = 1; y[i * d + 1] = 1; }
  const r = rbfMmd(x, y, d, { sigma: 1 });
  assert.ok(Math.abs(r.mmd2 - (2 - 2 * Math.exp(-1))) < 1e-9, `${r.mmd2}`);
  const rng = new Rng(3);
  const a = rng.normals(300 * 16), b = rng.normals(300 * 16);
  const same = rbfMmd(a, b, 16);
  assert.ok(Math.abs(same.mmd2) < 0.01, `same distribution ${same.mmd2}`);
  // shifting one set away makes it clearly positive, and the shared kernel width is reported
  const shifted = Float32Array.from(b, (v, i) => (i % 16 === 0 ? v + 3 : v));
  assert.ok(rbfMmd(a, shifted, 16, { sigma: same.sigma }).mmd2 > 0.1);
});

test('cross-modal retrieval: recall by hand on four images', () => {
  const d = 4;
  // image i is the unit vector e_i; caption rows: two per image, the second of image 3 points at image 0
  const image = new Float32Array(16);
  for (let i = 0; i < 4; i++) image[i * d + i] = 1;
  const caps = [[0, 0], [0, 0], [1, 1], [1, 1], [2, 2], [2, 2], [3, 3], [3, 0]];
  const text = new Float32Array(caps.length * d);
  caps.forEach(([, dir], t) => { text[t * d + dir] = 1; text[t * d + ((dir + 1) % d)] = 0.1 * (t % 2); });
  const owner = caps.map(([im]) => im);
  const r = crossModalRetrieval(image, text, owner, d);
  // every image has an own caption pointing at it: i2t R@1 = 1; caption 7 (image 3, pointing at 0) is missed at R@1
  assert.equal(r.i2t.r1, 1);
  assert.equal(r.t2i.r1, 7 / 8);
  assert.equal(r.t2i.r5, 1);
  assert.equal(r.chance.t2i_r1, 1 / 4);
});

test('relative modality gap: by hand, and 0-like when pairs coincide', () => {
  const d = 2;
  // two images e1, e2; each caption rotated 90 degrees from its image: paired cos 0 -> m = 0.5;
  // images orthogonal: dI = 0.5; captions e2, -e1 orthogonal: dT = 0.5 -> RMG = 0.5 / (0.5 + 0.5) = 0.5
  const image = Float32Array.from([1, 0, 0, 1]);
  const text = Float32Array.from([0, 1, -1, 0]);
  assert.ok(Math.abs(relativeModalityGap(text, image, [0, 1], d) - 0.5) < 1e-12);
  // captions equal to their images: m clamps to 1e-3, RMG = 1e-3 / (1e-3 + 0.5)
  assert.ok(Math.abs(relativeModalityGap(image, image, [0, 1], d) - 1e-3 / (1e-3 + 0.5)) < 1e-12);
});

test('gap panel: an offset gap is visible raw, removed by preprocessing, and perfect bridging keeps identity', () => {
  const d = 16, nV = 60, rng = new Rng(4);
  const content = Array.from({ length: nV }, () => rng.normals(d));
  const text = new Float32Array(nV * 2 * d), image = new Float32Array(nV * d);
  const owner: number[] = [];
  for (let i = 0; i < nV; i++) {
    for (let j = 0; j < d; j++) image[i * d + j] = content[i][j] + (j === 0 ? 6 : 0); // image cone along e0
    for (let c = 0; c < 2; c++) {
      const t = i * 2 + c;
      owner.push(i);
      for (let j = 0; j < d; j++) text[t * d + j] = content[i][j] + 0.3 * rng.normal() + (j === 1 ? 6 : 0); // text cone along e1
    }
  }
  const mean = (x: Float32Array, n: number) => {
    const m = new Float32Array(d);
    for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < d; j++) s += x[i * d + j] ** 2; for (let j = 0; j < d; j++) m[j] += x[i * d + j] / Math.sqrt(s) / n; }
    return m;
  };
  const tMean = mean(text, nV * 2), iMean = mean(image, nV);
  // "perfect bridging": each image replaced by its first caption, preprocessed
  const bridged = new Float32Array(nV * d);
  for (let i = 0; i < nV; i++) bridged.set(text.subarray(i * 2 * d, (i * 2 + 1) * d), i * d);
  const p = gapPanel({ text, image, d, textToImage: owner, textMean: tMean, imageMean: iMean, bridged: [{ M: 600, rows: preprocessRows(bridged, nV, d, tMean, 1) }] });
  const [raw, pre, br] = p.rows;
  assert.deepEqual(p.rows.map((r) => r.id), ['raw', 'preprocessed', 'bridged:M=600']);
  assert.ok(raw.centroidDistance > 0.8 && pre.centroidDistance < 0.3, `centroid ${raw.centroidDistance} -> ${pre.centroidDistance}`);
  assert.ok(raw.separability > 0.95, `raw separability ${raw.separability}`);
  assert.ok(pre.relativeModalityGap < raw.relativeModalityGap);
  assert.ok(br.i2tR1 === 1 && br.i2tR5 === 1, `bridged R@1 ${br.i2tR1}`);
  assert.ok(br.mmd2 < pre.mmd2 + 0.05 && br.relativeModalityGap < pre.relativeModalityGap);
  assert.equal(p.text.raw.rank, d);
  assert.ok(p.chance.i2tR1 === 1 / nV);
});

test('dbridge gap: the panel from an embeddings folder, a row per --bridged M=FILE, bad forms refused', async () => {
  const { writeNpy } = await import('../../lib/io/npy.ts');
  const { writeJsonAtomic, readJson } = await import('../../lib/util/fs.ts');
  const { tmpDir } = await import('../helpers.ts');
  const { main } = await import('../../lib/cli/main.ts');
  const { join } = await import('node:path');
  const d = 8, nV = 30, rng = new Rng(6), dir = tmpDir();
  const image = rng.normals(nV * d), text = new Float32Array(nV * 2 * d);
  for (let t = 0; t < nV * 2; t++) for (let j = 0; j < d; j++) text[t * d + j] = image[(t >> 1) * d + j] + 0.2 * rng.normal();
  writeNpy(join(dir, 'val', 'text.npy'), { dtype: 'float32', shape: [nV * 2, d], data: text });
  writeNpy(join(dir, 'val', 'image.npy'), { dtype: 'float32', shape: [nV, d], data: image });
  writeJsonAtomic(join(dir, 'val', 'index.json'), {
    split: 'val', images: Array.from({ length: nV }, (_, i) => ({ image_id: i, file: `${i}.png`, text_rows: [2 * i, 2 * i + 1] })),
    texts: Array.from({ length: nV * 2 }, (_, t) => ({ image_id: t >> 1, caption: 'c' })),
  });
  writeNpy(join(dir, 'b600.npy'), { dtype: 'float32', shape: [nV, d], data: image });
  writeNpy(join(dir, 'short.npy'), { dtype: 'float32', shape: [3, d], data: image.subarray(0, 3 * d) });
  const out = join(dir, 'gap.json');
  const run = async (argv: string[]) => main(['gap', ...argv]);
  const log = console.log; console.log = () => {};
  try {
    await run(['--embeddings', dir, '--bridged', `600=${join(dir, 'b600.npy')}`, '--out', out]);
    const j = readJson<{ panel: { rows: { id: string; i2tR1: number }[]; text: { raw: { rank: number } } } }>(out);
    assert.deepEqual(j.panel.rows.map((r) => r.id), ['raw', 'preprocessed', 'bridged:M=600']);
    assert.ok(j.panel.rows[0].i2tR1 > 0.5, 'captions near their images are found');
    assert.equal(j.panel.text.raw.rank, d);
    await assert.rejects(run(['--embeddings', dir, '--bridged', 'b600.npy']), /--bridged: 'b600.npy' is not M=FILE.npy/);
    await assert.rejects(run(['--embeddings', dir, '--bridged', `600=${join(dir, 'short.npy')}`]), /has 3 rows, split 'val' has 30 images/);
  } finally { console.log = log; }
});
