// The sound world (issue 16): sources, scenes, synthesis, the log-mel front end, captions,
// scales and the generator; its CLAP-like dual encoder is in encoder.ts (imported separately, like
// lib/world/encoder.ts, because it loads the tensor backend).
export * from './domains.ts';
export * from './scene.ts';
export * from './synth.ts';
export * from './features.ts';
export * from './captions.ts';
export * from './scales.ts';
export * from './generate.ts';
