// Embeddings (public API): L2 normalisation, modality means, preprocessing (docs/spec.md §1.1), modality-gap
// statistics and the on-disk layout of embedded data.
export * from './normalize.ts';
export * from './means.ts';
export * from './preprocess.ts';
export * from './gap.ts';
export * from './layout.ts';
