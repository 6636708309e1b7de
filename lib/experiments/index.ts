// Experiments (public API): configs, the cached pipeline, the tables as data, runners and reports.
export * from './config.ts';
export * from './cache.ts';
export * from './tables.ts';
export * from './reported.ts';
export * from './report.ts';
export * from './data.ts';
export * from './pipeline.ts';
export * from './table1.ts';
export * from './run.ts';
export * from './notebook.ts';
export * from './figures.ts';
export * from './umap.ts';
export * from './teaching.ts';
export * from './examples.ts';
export * from './bootstrap.ts';
