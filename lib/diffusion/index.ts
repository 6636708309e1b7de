// Diffusion (public API). The DDPM on text embeddings of Diffusion Bridge and everything around
// it: schedules, objectives, loss, DDIM bridging and augmentation, ancestral sampling, the
// DiffusionModel with its checkpoint folder, named configs, the trainer and host-array helpers.
//
// Typical use:
//   const model = DiffusionModel.load('runs/diffusion');                  // or DiffusionModel.create(namedConfig('smoke', {length: 512}).model)
//   const y = await bridgeEmbeddings(model, imageRaw, n, 512, imageMean, { M: 600, steps: 5 });
//   const aug = await augmentEmbeddings(model, textRaw, n, 512, textMean, { A: 400, steps: 5, seed: 0 });
//   await trainDiffusion(model, preprocessRows(textRaw, n, 512, textMean), n, { steps: 1000, outDir: 'runs/d' });
// Defaults (docs/spec.md, Decisions; variant `official`): T = 1000 cosine (s = 0.008), pred_x0 with
// SNR loss weights and radius re-normalisation (C = 5), DDIM eta 0 with 5 steps, raw weights at
// inference; variant `paper`: pred_noise, no re-normalisation, 12 steps, EMA weights.
export * from './schedule.ts';
export * from './timesteps.ts';
export * from './objectives.ts';
export * from './core.ts';
export * from './loss.ts';
export * from './sampling.ts';
export * from './model.ts';
export * from './configs.ts';
export * from './ema.ts';
export * from './train.ts';
export * from './host.ts';
export { writeCheckpointAtomically, recoverPartialCheckpoint } from '../train/checkpoint-files.ts';
export type { Denoiser, DenoiserConfig, Unet1DConfig, ResMLPConfig } from './denoisers/types.ts';
export { createDenoiser, denoiserPreset, DENOISER_PRESETS, denoiserParamCount, loadDenoiserWeights, unet1dFromTorchStateDict } from './denoisers/index.ts';
