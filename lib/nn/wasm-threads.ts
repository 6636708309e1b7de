// Starts tfjs-backend-wasm's threaded SIMD build in Node, so XNNPACK's kernels (convolutions,
// matMuls) run on several threads. tfjs 4.22 never does this in Node: its WASM_HAS_MULTITHREAD_SUPPORT
// flag is false under Node, and its init() hands Emscripten `blob:` URLs for the pthread worker
// script and the main script, which Node's worker_threads cannot load. Here the same Emscripten
// module is started with file paths instead: the worker script is wasm-pthread.cjs (it evaluates
// the worker code tfjs ships as a string), the main script is the package's own
// wasm-out/tfjs-backend-wasm-threaded-simd.js, and the binary is its threaded-simd .wasm. The
// module is then handed to tfjs's own BackendWasm, registered under the name 'wasm' (every wasm
// kernel is registered by name, so all of them run unchanged).
//
// One more obstacle: the C++ side caps XNNPACK's pool at emscripten_num_logical_cores() / 2
// ("x86 processors have 2 threads per core"), read once when the module starts; on a 2-core
// machine without SMT that is 1. Node's binding of that function is os.cpus().length, so
// os.cpus is doubled while the module starts, and the pool size is then set exactly with
// setThreadsCount (at most 8: the 8 workers Emscripten pre-creates). Those workers are unref'd
// (unrefWasmThreads), so they do not keep a finished process alive.
//
// Results do not depend on the thread count: XNNPACK splits the *outputs* of a kernel into tiles,
// each computed by one thread in the same order as on one thread (test/nn/wasm-threads.test.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../tf.ts';

const require = createRequire(import.meta.url);

/** Most XNNPACK threads the module can use (Emscripten pre-creates 8 pthread workers). */
export const MAX_WASM_THREADS = 8;

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: unknown;
  PThread?: { unusedWorkers: { unref(): void }[]; runningWorkers: { unref(): void }[] };
}

/**
 * Registers the threaded SIMD wasm module as the 'wasm' backend with `threads` XNNPACK threads
 * (the backend still has to be selected with tf.setBackend('wasm')). Call before the first
 * tf.setBackend('wasm'); the stock (single-threaded) registration is replaced.
 */
export async function registerThreadedWasm(threads: number): Promise<void> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm threads must be an integer in [1, ${MAX_WASM_THREADS}], got ${threads}`);
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm') as unknown as {
    BackendWasm: new (m: EmscriptenModule) => tf.KernelBackend;
    setThreadsCount(n: number): void;
  };
  const pkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const binary = join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.wasm');
  const workerScript = join(dirname(fileURLToPath(import.meta.url)), 'wasm-pthread.cjs');
  const factory = require(mainScript) as (cfg: Record<string, unknown>) => Promise<EmscriptenModule>;
  const os = require('node:os') as typeof import('node:os');
  const cpus = os.cpus;
  let mod: EmscriptenModule;
  try {
    // the module's static initialiser reads the core count once (see the header)
    os.cpus = () => { const c = cpus(); return [...c, ...c]; };
    mod = await factory({
      locateFile: (path: string, prefix: string) => path.endsWith('.worker.js') ? workerScript : path.endsWith('.wasm') ? binary : prefix + path,
      mainScriptUrlOrBlob: mainScript,
    });
  } finally {
    os.cpus = cpus;
  }
  threaded = mod;
  // the bridge tfjs's init() builds (backend_wasm.ts)
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  };
  wasm.setThreadsCount(threads);
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new wasm.BackendWasm(mod), 2);
}

let threaded: EmscriptenModule | null = null;

/**
 * Emscripten's pthread workers are ordinary, referenced Node workers (and attaching a message
 * listener, as starting a thread does, references one again), which would keep a finished
 * process alive: call this once the backend is set (its thread pool then exists).
 */
export function unrefWasmThreads(): void {
  for (const w of [...(threaded?.PThread?.unusedWorkers ?? []), ...(threaded?.PThread?.runningWorkers ?? [])]) w.unref();
}

/** XNNPACK threads of the active wasm backend (1 for the stock build). */
export function wasmThreads(): number {
  const b = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount(): number } } };
  return b.wasm?.tfjs?.getThreadsCount() ?? 1;
}
