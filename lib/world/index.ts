// The built-in world (issue 4): scenes, renderer, caption writer, splits, domains and scales.
export * from './domains.ts';
export * from './scene.ts';
export * from './render.ts';
export * from './captions.ts';
export * from './scales.ts';
export * from './splits.ts';
export * from './generate.ts';
