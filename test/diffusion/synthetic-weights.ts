// The TypeScript twin of make_fixtures.py's synthetic_state (test/fixtures/diffusion): rebuilds a
// state dict of synthetic weights from its spec file (unet1d_<config>.synthetic.json) bit for bit,
// and checks the bytes against the spec's sha256. The paper config's weights live this way so that
// the repository's working tree stays small enough to travel to a lent GPU machine (docs/gpu.md).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HostArray } from '../../lib/io/dtype.ts';

interface SyntheticSpec { seed: number; sha256: string; tensors: [string, number[], number, number][] }

/** lowbias32 (Chris Wellons): a 32-bit integer hash. */
function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Element i of tensor j: float32(lo + (hi - lo)·u), u = (lowbias32(i·0x9E3779B1 + (j+1)·0x85EBCA77 + seed·0xC2B2AE3D) >> 8) / 2^24. */
export function syntheticValues(seed: number, j: number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  const base = (Math.imul(j + 1, 0x85ebca77) + Math.imul(seed, 0xc2b2ae3d)) >>> 0;
  for (let i = 0; i < n; i++) {
    const u = (lowbias32((Math.imul(i, 0x9e3779b1) + base) >>> 0) >>> 8) / 16777216;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

/** The state dict (torch names and shapes, float32) a spec file describes; throws if the bytes do not match its sha256. */
export function syntheticState(specFile: string): Map<string, HostArray> {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as SyntheticSpec;
  const out = new Map<string, HostArray>();
  const hash = createHash('sha256');
  spec.tensors.forEach(([name, shape, lo, hi], j) => {
    const data = syntheticValues(spec.seed, j, shape.reduce((a, b) => a * b, 1), lo, hi);
    hash.update(new Uint8Array(data.buffer));
    out.set(name, { dtype: 'float32', shape, data });
  });
  const digest = hash.digest('hex');
  if (digest !== spec.sha256) throw new Error(`${specFile}: synthetic weights have sha256 ${digest}, the spec says ${spec.sha256}`);
  return out;
}
