// Shared test helpers: backend set-up (wasm, as users get by default), leak checks, comparisons,
// and the path of copied reference fixtures.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { initBackend } from '../lib/backend.ts';
import { tf } from '../lib/tf.ts';

process.env.DBRIDGE_QUIET = '1';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export async function setupBackend(): Promise<string> {
  return initBackend(process.env.DBRIDGE_BACKEND ?? 'wasm', { quiet: true });
}

/** Runs fn and asserts the number of live tensors did not grow. */
export async function assertNoLeak<T>(fn: () => T | Promise<T>, what = 'function'): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  // Results that are tensors are the caller's to dispose; count them out.
  const returned = countTensors(out);
  assert.equal(after - returned, before, `${what} leaked ${after - returned - before} tensor(s)`);
  return out;
}

function countTensors(v: unknown, seen = new Set<unknown>()): number {
  if (v instanceof tf.Tensor) return seen.has(v) ? 0 : (seen.add(v), 1);
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + countTensors(x, seen), 0);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v).reduce((s: number, x) => s + countTensors(x, seen), 0);
  }
  return 0;
}

/** Largest absolute element difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = 'values'): void {
  const d = maxAbsDiff(a, b);
  assert.ok(d <= tol, `${what}: max abs diff ${d.toExponential(3)} > ${tol}`);
}

export function tmpDir(prefix = 'dbridge-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
