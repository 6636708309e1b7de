// The webgpu parity harness: every case runs first on wasm (the reference the rest of the suite
// checks against the official code), then on webgpu in the same process, and the host results are
// compared. The switch is one-way (tensors move from wasm to webgpu, never back), so all wasm runs
// happen in `before`. No adapter is a failure, never a skip: `npm run test:webgpu` is run by CI
// under .ci/lavapipe.sh, which provides Mesa's software Vulkan driver when there is no GPU.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initBackend, backendDevice } from '../../lib/backend.ts';
import { tf } from '../../lib/tf.ts';

process.env.DBRIDGE_QUIET = '1';

export type Host = Record<string, Float32Array | Int32Array | number | number[] | number[][] | string[]>;

export interface Case {
  name: string;
  /** Computes the case on the active backend; reads results asynchronously (webgpu has no dataSync). */
  run: () => Promise<Host>;
  /** Asserts webgpu's results agree with wasm's (and with official fixtures where there are some). */
  compare: (gpu: Host, wasm: Host) => void;
}

/** Largest |a - b| over max(|b|) of the reference: a scale-free error for gradients and activations. */
export function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return m > 0 ? d / m : d;
}

/** ||a - b|| / ||b|| (L2): for weights after Adam steps, where a few parameters whose gradient
 * is rounding noise around 0 may move by ±lr in opposite directions on the two backends. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return Math.sqrt(d / Math.max(n, 1e-30));
}

export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Reads a tensor to the host asynchronously and disposes it. */
export async function take(t: tf.Tensor): Promise<Float32Array> {
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

/**
 * Registers the cases as node:test tests: `before` runs them all on wasm, switches to webgpu
 * (failing when there is no adapter) and reports the adapter; each test runs its case on webgpu,
 * checks it leaks no tensor, and compares.
 */
export function webgpuSuite(cases: Case[]): void {
  const wasm = new Map<string, Host>();
  before(async () => {
    await initBackend('wasm', { quiet: true });
    for (const c of cases) {
      const t0 = Date.now();
      wasm.set(c.name, await c.run());
      console.log(`# wasm ${c.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    await initBackend('webgpu', { quiet: true, switch: true });
    assert.equal(tf.getBackend(), 'webgpu');
    console.log(`# webgpu adapter: ${backendDevice()}`);
  });
  for (const c of cases) {
    test(`webgpu = wasm: ${c.name}`, async () => {
      const t0 = Date.now();
      const before = tf.memory().numTensors;
      const gpu = await c.run();
      assert.equal(tf.memory().numTensors, before, `${c.name} leaked ${tf.memory().numTensors - before} tensor(s) on webgpu`);
      console.log(`# webgpu ${c.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      c.compare(gpu, wasm.get(c.name)!);
    });
  }
}
