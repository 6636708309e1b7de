// The built-in world (issues 4, 11): scenes, renderer, caption writer, splits, domains, scales and reference statistics.
export * from './domains.ts';
export * from './scene.ts';
export * from './render.ts';
export * from './captions.ts';
export * from './scales.ts';
export * from './splits.ts';
export * from './generate.ts';
export * from './reference.ts';
export * from './objects.ts';
export * from './calibration.ts';
