// tfjs-wasm's threaded SIMD build started in Node (lib/nn/wasm-threads.ts): it runs with the
// thread count asked for, and the numbers do not depend on it (a Unet1D forward and its gradients
// hash the same on 1 and 2 threads). Each thread count needs its own process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./wasm-threads-child.ts', import.meta.url));
const run = (threads: number) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', script], {
  env: { ...process.env, DBRIDGE_THREADS: String(threads), DBRIDGE_QUIET: '1' }, encoding: 'utf8',
})) as { threads: number; forward: string; grads: string };

test('wasm on 2 threads: same forward and gradients as on 1 thread, bit for bit', () => {
  const one = run(1), two = run(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(two.forward, one.forward);
  assert.equal(two.grads, one.grads);
});
