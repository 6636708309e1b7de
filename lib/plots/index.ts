// Plots (public API): the reproduction's figures as Vega-Lite specs (figures.ts), the modality-gap
// UMAP and contact sheets (umap.ts), and rendering/showing them (vega.ts).
export * from './figures.ts';
export * from './umap.ts';
export * from './vega.ts';
