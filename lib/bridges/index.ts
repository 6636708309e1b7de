// The paired audio-text bridges (issue 16) built on lib/diffusion: Diffusion-Link (a paired
// residual-MLP bridge) and DiffGAP (bidirectional conditional diffusion), with their shared paired
// data and training loop. Diffusion Bridge itself needs nothing here: it is lib/diffusion, unchanged.
export * from './pairs.ts';
export * from './diffusion-link.ts';
export * from './cond-resmlp.ts';
export * from './diffgap.ts';
