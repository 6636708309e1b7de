import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy, writeNpy, encodeNpy, readEmbeddingMatrix } from '../lib/io/npy.ts';
import { readSafetensors, writeSafetensors } from '../lib/io/safetensors.ts';
import { float16ToFloat32, float32ToFloat16 } from '../lib/io/dtype.ts';
import { DbridgeError } from '../lib/util/errors.ts';
import { tmpDir, FIXTURES } from './helpers.ts';

test('npy round trip for every dtype', () => {
  const dir = tmpDir();
  const cases = [
    { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
    { dtype: 'float64' as const, shape: [3], data: Float64Array.from([1e-300, 2, Math.PI]) },
    { dtype: 'int32' as const, shape: [2, 1], data: Int32Array.from([-7, 9]) },
    { dtype: 'int64' as const, shape: [2], data: BigInt64Array.from([5n, -3n]) },
    { dtype: 'float16' as const, shape: [2], data: Uint16Array.from([float32ToFloat16(1.5), float32ToFloat16(-0.25)]) },
  ];
  for (const c of cases) {
    const p = join(dir, `${c.dtype}.npy`);
    writeNpy(p, c);
    const r = readNpy(p);
    assert.equal(r.dtype, c.dtype);
    assert.deepEqual(r.shape, c.shape);
    assert.deepEqual(Array.from(r.data as ArrayLike<unknown>), Array.from(c.data as ArrayLike<unknown>));
  }
});

test('npy reads a file written by numpy (reference fixture)', () => {
  const a = readNpy(join(FIXTURES, 'diffusion', 'schedule_cosine_T1000.npy'));
  assert.equal(a.dtype, 'float64');
  assert.deepEqual(a.shape, [1000]);
  assert.ok(Math.abs((a.data as Float64Array)[0] - 0.999959) < 1e-6);
});

test('npy rejects truncated, corrupt and non-finite input with clear errors', () => {
  const dir = tmpDir();
  const good = encodeNpy({ dtype: 'float32', shape: [4, 2], data: new Float32Array(8) });
  writeFileSync(join(dir, 'trunc.npy'), good.subarray(0, good.length - 5));
  assert.throws(() => readNpy(join(dir, 'trunc.npy')), (e: Error) => e instanceof DbridgeError && /truncated/.test(e.message));
  writeFileSync(join(dir, 'junk.npy'), 'hello world, not numpy');
  assert.throws(() => readNpy(join(dir, 'junk.npy')), /magic/);
  assert.throws(() => readNpy(join(dir, 'missing.npy')), /not found/);
  const nan = new Float32Array(8); nan[5] = NaN;
  writeNpy(join(dir, 'nan.npy'), { dtype: 'float32', shape: [4, 2], data: nan });
  assert.throws(() => readEmbeddingMatrix(join(dir, 'nan.npy')), /row 2, column 1 is NaN/);
  writeNpy(join(dir, 'ok.npy'), { dtype: 'float32', shape: [4, 2], data: new Float32Array(8) });
  assert.throws(() => readEmbeddingMatrix(join(dir, 'ok.npy'), { dim: 512 }), /dimension is 2, expected 512/);
  writeNpy(join(dir, 'three.npy'), { dtype: 'float32', shape: [2, 2, 2], data: new Float32Array(8) });
  assert.throws(() => readEmbeddingMatrix(join(dir, 'three.npy')), /2-D/);
});

test('safetensors round trip and reading the official fixture', () => {
  const dir = tmpDir();
  const p = join(dir, 'w.safetensors');
  writeSafetensors(p, { b: { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) }, a: { dtype: 'int64', shape: [1], data: BigInt64Array.from([3n]) } }, { note: 'x' });
  const r = readSafetensors(p);
  assert.deepEqual([...r.tensors.keys()], ['a', 'b']);
  assert.equal(r.metadata.note, 'x');
  assert.deepEqual(Array.from(r.tensors.get('b')!.data as Float32Array), [1, 2]);
  const off = readSafetensors(join(FIXTURES, 'diffusion', 'unet1d_small.safetensors'));
  assert.equal(off.tensors.size, 138);
  writeFileSync(join(dir, 'bad.safetensors'), new Uint8Array([1, 2, 3]));
  assert.throws(() => readSafetensors(join(dir, 'bad.safetensors')), /not a valid .safetensors/);
});

test('float16 conversion', () => {
  for (const v of [0, 1, -2, 0.5, 65504, 1e-5, -3.140625]) {
    const back = float16ToFloat32(float32ToFloat16(v));
    assert.ok(Math.abs(back - v) <= Math.abs(v) * 1e-3 + 1e-7, `${v} -> ${back}`);
  }
});
