// Embeddings (public API): L2 normalisation, modality means, preprocessing (docs/spec.md §1.1), modality-gap
// statistics, the gap panel (spectrum, RBF-MMD, cross-modal retrieval) and the on-disk layout of
// embedded data.
export * from './normalize.ts';
export * from './means.ts';
export * from './preprocess.ts';
export * from './gap.ts';
export * from './layout.ts';
export * from './spectrum.ts';
export * from './mmd.ts';
export * from './retrieval.ts';
export * from './panel.ts';
