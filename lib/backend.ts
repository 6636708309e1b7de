// Tensor backend selection. Order for `auto`: `tensorflow` (tfjs-node-gpu, then tfjs-node) when
// installed, `webgpu` (Dawn through the `webgpu` package) when it finds an adapter, `wasm`
// (the default on CPU machines), `cpu` last. `--backend NAME` or DBRIDGE_BACKEND forces one.
// A backend that is asked for (or installed) and fails to initialise is an error, never a
// silent fallback. The chosen backend is printed (unless quiet) and recorded in results.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tf } from './tf.ts';
import { DbridgeError } from './util/errors.ts';
import { registerWasmKernels } from './nn/kernels.ts';
import { registerFastWasmKernels } from './nn/wasm-fast.ts';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

let active: string | null = null;
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

async function webgpuAdapter(): Promise<boolean> {
  if (!resolvable('webgpu') || !resolvable('@tensorflow/tfjs-backend-webgpu')) return false;
  const wg = await import('webgpu');
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    Object.assign(globalThis, wg.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: wg.create([]) }, configurable: true, writable: true });
  }
  const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
  return (await gpu.requestAdapter()) != null;
}

async function initWebgpu(): Promise<void> {
  if (!(await webgpuAdapter())) {
    throw new DbridgeError('backend webgpu: no WebGPU adapter (needs the `webgpu` package and a Vulkan-capable GPU driver; see docs/realdata.md, "GPU set-up")');
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new DbridgeError("backend webgpu: tf.setBackend('webgpu') failed");
}

async function initWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(join(dir, 'dist') + '/');
  registerWasmKernels();
  registerFastWasmKernels(); // zero-copy Identity and Slice (bit-identical; see lib/nn/wasm-fast.ts)
  if (!(await tf.setBackend('wasm'))) throw new DbridgeError("backend wasm: tf.setBackend('wasm') failed");
}

async function initCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new DbridgeError("backend cpu: tf.setBackend('cpu') failed");
}

/**
 * Initialises the tensor backend once per process and returns its name. Later calls with the
 * same (or no) name return the active backend; asking for a different one is an error.
 */
export async function initBackend(requested?: string, opts: { quiet?: boolean } = {}): Promise<string> {
  const name = (requested ?? process.env.DBRIDGE_BACKEND ?? 'auto') as BackendName;
  if (!BACKENDS.includes(name)) throw new DbridgeError(`unknown backend '${name}' (choose from ${BACKENDS.join(', ')})`);
  if (active) {
    if (name !== 'auto' && name !== active) throw new DbridgeError(`backend ${active} is already active; cannot switch to ${name} in the same process`);
    return active;
  }
  switch (name) {
    case 'tensorflow': await initTensorflow(); break;
    case 'webgpu': await initWebgpu(); break;
    case 'wasm': await initWasm(); break;
    case 'cpu': await initCpu(); break;
    case 'auto':
      if (resolvable('@tensorflow/tfjs-node-gpu') || resolvable('@tensorflow/tfjs-node')) await initTensorflow();
      else if (process.env.DBRIDGE_TRY_WEBGPU === '1' && (await webgpuAdapter())) await initWebgpu();
      else await initWasm();
      break;
  }
  await tf.ready();
  active = tf.getBackend();
  if (!opts.quiet && process.env.DBRIDGE_QUIET !== '1') process.stderr.write(`dbridge: tensor backend ${active}\n`);
  return active;
}

/** The active backend's name; throws if initBackend has not run. */
export function backendName(): string {
  if (!active) throw new Error('initBackend() has not been called');
  return active;
}
