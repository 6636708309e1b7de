// dbridge public API: one module of named re-exports (notebooks and users import from here).
export { tf } from './tf.ts';
export { initBackend, backendName } from './backend.ts';
export { Rng } from './util/rng.ts';
