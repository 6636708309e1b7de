// The one import of TensorFlow.js in the project: every module takes `tf` from here, so the
// backend chosen by `initBackend` (lib/backend.ts) is the one all code runs on.
import * as tf from '@tensorflow/tfjs';
export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Rank, Variable, NamedTensorMap } from '@tensorflow/tfjs';
