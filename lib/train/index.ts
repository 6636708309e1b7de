// The training harness (public API): runTraining drives a TrainProblem (a loss, host batches,
// how to cut them) with accumulation, clipping, the optimiser, EMA, checkpoints, exact resume,
// progress and data-parallel worker threads. See harness.ts.
export * from './types.ts';
export * from './harness.ts';
export { partition, type Part } from './partition.ts';
export { partGrads, coupledGrads, addInto, type Grads } from './grads.ts';
export { WorkerPool } from './pool.ts';
export { writeCheckpointAtomically, recoverPartialCheckpoint } from './checkpoint-files.ts';
