// dbridge public API: named re-exports, one namespace per part (as in the design: embeddings,
// diffusion, decoder, metrics, data, encoders, experiments), plus the few calls notebooks use.
export { tf } from './tf.ts';
export { initBackend, backendName, backendDevice } from './backend.ts';
export { Rng } from './util/rng.ts';
export { DbridgeError } from './util/errors.ts';
export * as io from './io/index.ts';
export * as nn from './nn/index.ts';
export * as embeddings from './embeddings/index.ts';
export * as diffusion from './diffusion/index.ts';
export * as decoder from './decoder/index.ts';
export * as metrics from './metrics/index.ts';
export * as world from './world/index.ts';
export * as experiments from './experiments/index.ts';
export { notebookSession, notebookScale, runTable, showTable, showScale, showMarkdown } from './experiments/notebook.ts';
export { audioSession, runAudioPanel, audioSessionClaims, soundExamples, methodCaptions } from './experiments/audio-notebook.ts';
export * as sound from './world/sound/index.ts';
export * as bridges from './bridges/index.ts';
export { tableToMarkdown } from './experiments/report.ts';
export * as plots from './plots/index.ts';
export { saveFigure, showFigure, figureBundle, vegaLiteToSvg, svgToPng, VEGALITE_MIME } from './plots/vega.ts';
