// Tensor backend selection. Order for `auto`: `tensorflow` (tfjs-node-gpu, then tfjs-node) when
// installed, `webgpu` (Dawn through the `webgpu` package) when it finds an adapter, `wasm`
// (the default on CPU machines), `cpu` last. `--backend NAME` or DBRIDGE_BACKEND forces one.
// A backend that is asked for (or installed) and fails to initialise is an error, never a
// silent fallback. The chosen backend (and, on webgpu, its adapter) is printed (unless quiet) and
// recorded in results. On webgpu nothing may read the device synchronously (`dataSync` throws in
// Node): the library reads with `await t.data()` at boundaries (docs/gpu.md).
// wasm runs XNNPACK on `threads` threads (option `threads` or DBRIDGE_THREADS, default 1 = tfjs's
// stock single-threaded SIMD build), see lib/nn/wasm-threads.ts. Results do not depend on the
// thread count.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tf } from './tf.ts';
import { DbridgeError } from './util/errors.ts';
import { recordDevice } from './util/provenance.ts';
import { registerWasmKernels } from './nn/kernels.ts';
import { registerFastWasmKernels } from './nn/wasm-fast.ts';
import { MAX_WASM_THREADS, registerThreadedWasm, unrefWasmThreads, wasmThreads } from './nn/wasm-threads.ts';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

let active: string | null = null;
let device: string | null = null;
let activeThreads = 1;
const require = createRequire(import.meta.url);

function resolvable(pkg: string): boolean {
  try { require.resolve(pkg); return true; } catch { return false; }
}

async function initTensorflow(): Promise<void> {
  const pkg = resolvable('@tensorflow/tfjs-node-gpu') ? '@tensorflow/tfjs-node-gpu'
    : resolvable('@tensorflow/tfjs-node') ? '@tensorflow/tfjs-node' : null;
  if (!pkg) throw new DbridgeError('backend tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (see docs/realdata.md, "GPU set-up")');
  try {
    await import(pkg);
  } catch (e) {
    throw new DbridgeError(`backend tensorflow: loading ${pkg} failed: ${(e as Error).message}`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new DbridgeError(`backend tensorflow: ${pkg} loaded but tf.setBackend('tensorflow') failed`);
}

interface AdapterInfo { vendor?: string; architecture?: string; device?: string; description?: string }

/** The WebGPU adapter's description ("vendor device (description)"), or null when there is none. */
export async function webgpuAdapter(): Promise<string | null> {
  // imported, not resolved first, so that a bundle (tools/gpu/) that contains the package finds it
  let wg: typeof import('webgpu');
  try { wg = await import('webgpu'); } catch { return null; }
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    Object.assign(globalThis, wg.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: wg.create([]) }, configurable: true, writable: true });
  }
  const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<{ info?: AdapterInfo } | null> } } }).navigator.gpu;
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  const i = adapter.info ?? {};
  return [i.vendor, i.device].filter(Boolean).join(' ') + (i.description ? ` (${i.description})` : '') || 'unnamed adapter';
}

async function initWebgpu(): Promise<void> {
  const adapter = await webgpuAdapter();
  if (!adapter) {
    throw new DbridgeError('backend webgpu: no WebGPU adapter (needs the `webgpu` package and a Vulkan driver: a GPU vendor\'s, or Mesa lavapipe on a CPU; see docs/gpu.md)');
  }
  try { await import('@tensorflow/tfjs-backend-webgpu'); } catch (e) {
    throw new DbridgeError(`backend webgpu: @tensorflow/tfjs-backend-webgpu cannot be loaded (${(e as Error).message}); npm install it`);
  }
  if (!(await tf.setBackend('webgpu'))) throw new DbridgeError("backend webgpu: tf.setBackend('webgpu') failed");
  device = adapter;
}

/** The wasm thread count asked for: the option, else DBRIDGE_THREADS, else the cores (at most 8). */
export function wantedThreads(option?: number): number {
  const raw = option ?? (process.env.DBRIDGE_THREADS ? Number(process.env.DBRIDGE_THREADS) : 1);
  if (!Number.isInteger(raw) || raw < 1 || raw > MAX_WASM_THREADS) {
    throw new DbridgeError(`threads must be an integer in [1, ${MAX_WASM_THREADS}], got ${option ?? process.env.DBRIDGE_THREADS} (${option !== undefined ? '--threads' : 'DBRIDGE_THREADS'})`);
  }
  return raw;
}

async function initWasm(threads: number): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(join(dir, 'dist') + '/');
  if (threads > 1) {
    try {
      await registerThreadedWasm(threads);
    } catch (e) {
      throw new DbridgeError(`backend wasm: starting the threaded build with ${threads} threads failed (${(e as Error).message}); pass --threads 1 (or DBRIDGE_THREADS=1) for the single-threaded build`);
    }
  }
  registerWasmKernels();
  registerFastWasmKernels(); // zero-copy Identity and Slice (bit-identical; see lib/nn/wasm-fast.ts)
  if (!(await tf.setBackend('wasm'))) throw new DbridgeError("backend wasm: tf.setBackend('wasm') failed");
  if (threads > 1) unrefWasmThreads();
}

async function initCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new DbridgeError("backend cpu: tf.setBackend('cpu') failed");
}

/**
 * Initialises the tensor backend once per process and returns its name. Later calls with the
 * same (or no) name return the active backend; asking for a different one is an error, except
 * with `switch: true` (backend comparisons in tests and the GPU check): tensors then move to the
 * new backend when next used, which works from a CPU backend to webgpu but not back (moving data
 * off webgpu needs a synchronous read).
 */
export async function initBackend(requested?: string, opts: { quiet?: boolean; switch?: boolean; threads?: number } = {}): Promise<string> {
  const name = (requested ?? process.env.DBRIDGE_BACKEND ?? 'auto') as BackendName;
  if (!BACKENDS.includes(name)) throw new DbridgeError(`unknown backend '${name}' (choose from ${BACKENDS.join(', ')})`);
  if (active) {
    if (name === 'auto' || name === active) return active;
    if (!opts.switch) throw new DbridgeError(`backend ${active} is already active; cannot switch to ${name} in the same process`);
    if (active === 'webgpu') throw new DbridgeError(`cannot switch from webgpu to ${name}: tensors cannot move off webgpu synchronously`);
    active = null;
    device = null;
  }
  switch (name) {
    case 'tensorflow': await initTensorflow(); break;
    case 'webgpu': await initWebgpu(); break;
    case 'wasm': await initWasm(wantedThreads(opts.threads)); break;
    case 'cpu': await initCpu(); break;
    case 'auto':
      if (resolvable('@tensorflow/tfjs-node-gpu') || resolvable('@tensorflow/tfjs-node')) await initTensorflow();
      else if (process.env.DBRIDGE_TRY_WEBGPU === '1' && (await webgpuAdapter()) !== null) await initWebgpu();
      else await initWasm(wantedThreads(opts.threads));
      break;
  }
  await tf.ready();
  active = tf.getBackend();
  recordDevice(device);
  activeThreads = active === 'wasm' ? wasmThreads() : 1;
  const detail = device ? ` (adapter: ${device})` : active === 'wasm' ? ` (${activeThreads} thread${activeThreads > 1 ? 's' : ''})` : '';
  if (!opts.quiet && process.env.DBRIDGE_QUIET !== '1') process.stderr.write(`dbridge: tensor backend ${active}${detail}\n`);
  return active;
}

/** The active backend's device (the WebGPU adapter), or null on CPU backends. */
export function backendDevice(): string | null {
  return device;
}

/** XNNPACK threads of the active wasm backend (1 on other backends). */
export function backendThreads(): number {
  backendName();
  return activeThreads;
}

/** The active backend's name, or null before initBackend has run. */
export function activeBackend(): string | null {
  return active;
}

/** The active backend's name; throws if initBackend has not run. */
export function backendName(): string {
  if (!active) throw new Error('initBackend() has not been called');
  return active;
}
