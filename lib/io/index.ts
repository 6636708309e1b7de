// File formats (public API): .npy, .safetensors and their element types.
export * from './dtype.ts';
export * from './npy.ts';
export * from './safetensors.ts';
