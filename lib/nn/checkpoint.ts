// Checkpoint folders: weights.safetensors (+ ema.safetensors, optimizer.safetensors when given),
// config.json (the full config the model is rebuilt from) and state.json (step, extra), each
// written atomically; state.json last, so a folder with state.json is complete. Loading refuses
// weights holding NaN or Inf (a diverged run's), which would otherwise flow silently into results.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HostArray } from '../io/dtype.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { readJson, writeJsonAtomic, ensureDir } from '../util/fs.ts';
import { DbridgeError } from '../util/errors.ts';

export interface CheckpointData<C = unknown, S = Record<string, unknown>> {
  config: C;
  weights: Map<string, HostArray>;
  ema?: Map<string, HostArray>;
  optimizer?: Map<string, HostArray>;
  state: S & { step: number };
}

export function saveCheckpoint<C, S>(dir: string, ck: CheckpointData<C, S>): void {
  ensureDir(dir);
  writeSafetensors(join(dir, 'weights.safetensors'), ck.weights, { format: 'dbridge' });
  if (ck.ema) writeSafetensors(join(dir, 'ema.safetensors'), ck.ema, { format: 'dbridge' });
  if (ck.optimizer) writeSafetensors(join(dir, 'optimizer.safetensors'), ck.optimizer, { format: 'dbridge' });
  writeJsonAtomic(join(dir, 'config.json'), ck.config);
  writeJsonAtomic(join(dir, 'state.json'), ck.state);
}

export function checkpointExists(dir: string): boolean {
  return existsSync(join(dir, 'state.json')) && existsSync(join(dir, 'weights.safetensors'));
}

export function loadCheckpoint<C = unknown, S = Record<string, unknown>>(dir: string): CheckpointData<C, S> {
  if (!existsSync(dir)) throw new DbridgeError(`checkpoint folder not found: ${dir}`);
  for (const f of ['config.json', 'weights.safetensors']) {
    if (!existsSync(join(dir, f))) throw new DbridgeError(`checkpoint ${dir} is incomplete: ${f} is missing`);
  }
  const config = readJson<C>(join(dir, 'config.json'), 'checkpoint config');
  const state = existsSync(join(dir, 'state.json')) ? readJson<S & { step: number }>(join(dir, 'state.json'), 'checkpoint state') : ({ step: 0 } as S & { step: number });
  const weights = readSafetensors(join(dir, 'weights.safetensors')).tensors;
  checkFiniteTensors(weights, join(dir, 'weights.safetensors'));
  const ema = existsSync(join(dir, 'ema.safetensors')) ? readSafetensors(join(dir, 'ema.safetensors')).tensors : undefined;
  if (ema) checkFiniteTensors(ema, join(dir, 'ema.safetensors'));
  const optimizer = existsSync(join(dir, 'optimizer.safetensors')) ? readSafetensors(join(dir, 'optimizer.safetensors')).tensors : undefined;
  return { config, weights, ema, optimizer, state };
}

/** Throws a one-line DbridgeError naming the file and tensor when a float tensor holds NaN or Inf. */
export function checkFiniteTensors(tensors: Map<string, HostArray>, file: string): void {
  for (const [name, a] of tensors) {
    if (a.dtype !== 'float32' && a.dtype !== 'float64') continue; // half-precision tensors are not checked
    const d = a.data as ArrayLike<number>;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) throw new DbridgeError(`${file}: tensor '${name}' holds ${d[i]} at index ${i}; the weights are not usable (a diverged run?)`);
    }
  }
}
