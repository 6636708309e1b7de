// The official Unet1D weights of the diffusion fixtures (test/fixtures/diffusion), in the torch
// state-dict convention: the small config from its torch-written safetensors file, the paper config
// rebuilt from its synthetic-weights spec (make_fixtures.py; kept out of the tree for size).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import type { HostArray } from '../../lib/io/dtype.ts';
import { FIXTURES } from '../helpers.ts';
import { syntheticState } from './synthetic-weights.ts';

const DIR = join(FIXTURES, 'diffusion');

/** The manifest entry (file name) that describes a config's weights. */
export function weightsEntry(name: string): string {
  return existsSync(join(DIR, `unet1d_${name}.synthetic.json`)) ? `unet1d_${name}.synthetic.json` : `unet1d_${name}.safetensors`;
}

export function officialState(name: string): Map<string, HostArray> {
  const entry = weightsEntry(name);
  return entry.endsWith('.synthetic.json') ? syntheticState(join(DIR, entry)) : readSafetensors(join(DIR, entry)).tensors;
}
