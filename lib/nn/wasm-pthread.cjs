// Pthread worker script for tfjs-backend-wasm's threaded SIMD build in Node (see wasm-threads.ts).
// tfjs ships this script only as a string (wasmWorkerContents) meant for a blob: URL; Node's
// worker_threads need a file, so this file evaluates that string in the worker's global scope,
// with the CommonJS `require` and `__filename` it expects. Its template literal turned "\n"
// escapes into newlines; they are escaped back as tfjs's own init() does.
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
globalThis.require = require;
globalThis.__filename = __filename;
(0, eval)(wasmWorkerContents.replace(/\n/g, '\\n'));
