// The Hugging Face GPT-2 reference of test/fixtures/gpt2_tiny (make_reference.py, make.ts): its
// arrays, and the comparison of full logits rows with the stored strided columns, full-row argmax
// and log-sum-exp (shared by the wasm parity test and the webgpu one).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readNpy } from '../../lib/io/npy.ts';
import { readJson } from '../../lib/util/fs.ts';
import { FIXTURES } from '../helpers.ts';

export const GPT2_FIX = join(FIXTURES, 'gpt2_tiny');
const REF = join(GPT2_FIX, 'reference');
export const V = 50257;
export const ref = (n: string) => readNpy(join(REF, n + '.npy'));
export const cols: { stride: number; count: number; valid_flat_rows: number[] } = readJson(join(REF, 'columns.json'));

/** Compares full logits rows [R, V] with the fixture's strided columns, argmax and log-sum-exp. */
export function checkRows(name: string, rows: Float32Array, tol: number): number {
  const sub = ref(`${name}_cols`).data as Float32Array, am = ref(`${name}_argmax`).data as Int32Array, lse = ref(`${name}_lse`).data as Float32Array;
  const R = am.length;
  assert.equal(rows.length, R * V);
  let worst = 0;
  for (let r = 0; r < R; r++) {
    const row = rows.subarray(r * V, (r + 1) * V);
    for (let j = 0; j < cols.count; j++) worst = Math.max(worst, Math.abs(row[j * cols.stride] - sub[r * cols.count + j]));
    let best = 0, m = -Infinity;
    for (let v = 0; v < V; v++) if (row[v] > m) { m = row[v]; best = v; }
    assert.equal(best, am[r], `${name} row ${r}: argmax ${best} vs ${am[r]}`);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(row[v] - m);
    worst = Math.max(worst, Math.abs(m + Math.log(s) - lse[r]));
  }
  assert.ok(worst <= tol, `${name}: max abs diff ${worst.toExponential(3)} > ${tol}`);
  return worst;
}
