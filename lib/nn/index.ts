// Neural-network building blocks (public API).
export * from './layers.ts';
export * from './params.ts';
export * from './optim.ts';
export * from './device-sum.ts';
export * from './checkpoint.ts';
export { registerWasmKernels } from './kernels.ts';
