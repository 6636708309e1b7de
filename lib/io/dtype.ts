// Element types shared by the .npy and .safetensors readers/writers, and float16/bfloat16 conversion.

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int32' | 'int64' | 'uint8' | 'bool';
export type TypedData = Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

export const BYTES: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int32: 4, int64: 8, uint8: 1, bool: 1,
};

/** An n-d array read from or written to disk (row-major). */
export interface HostArray {
  dtype: DType;
  shape: number[];
  data: TypedData;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Copies raw little-endian bytes into a typed array of `dtype` (copy avoids alignment issues). */
export function fromBytes(bytes: Uint8Array, dtype: DType, count: number): TypedData {
  const n = count * BYTES[dtype];
  const buf = new ArrayBuffer(n);
  new Uint8Array(buf).set(bytes.subarray(0, n));
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'float16': case 'bfloat16': return new Uint16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint8': case 'bool': return new Uint8Array(buf);
  }
}

export function toBytes(data: TypedData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float16ToFloat32(h: number): number {
  const s = (h & 0x8000) >> 15, e = (h & 0x7c00) >> 10, f = h & 0x03ff;
  if (e === 0) return (s ? -1 : 1) * Math.pow(2, -14) * (f / 1024);
  if (e === 0x1f) return f ? NaN : (s ? -Infinity : Infinity);
  return (s ? -1 : 1) * Math.pow(2, e - 15) * (1 + f / 1024);
}

export function float32ToFloat16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return half;
}

export function bfloat16ToFloat32(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/** Any float/int host array as float32 (int64 must fit in a double). */
export function toFloat32(a: HostArray): Float32Array {
  const d = a.data;
  if (a.dtype === 'float32') return d as Float32Array;
  const out = new Float32Array(d.length);
  if (a.dtype === 'float16') for (let i = 0; i < d.length; i++) out[i] = float16ToFloat32((d as Uint16Array)[i]);
  else if (a.dtype === 'bfloat16') for (let i = 0; i < d.length; i++) out[i] = bfloat16ToFloat32((d as Uint16Array)[i]);
  else if (a.dtype === 'int64') for (let i = 0; i < d.length; i++) out[i] = Number((d as BigInt64Array)[i]);
  else for (let i = 0; i < d.length; i++) out[i] = (d as Float64Array | Int32Array | Uint8Array)[i];
  return out;
}

/** Any host array as float64. */
export function toFloat64(a: HostArray): Float64Array {
  const d = a.data;
  if (a.dtype === 'float64') return d as Float64Array;
  if (a.dtype === 'float16' || a.dtype === 'bfloat16') return Float64Array.from(toFloat32(a));
  if (a.dtype === 'int64') return Float64Array.from(d as BigInt64Array, (x) => Number(x));
  return Float64Array.from(d as Float32Array | Int32Array | Uint8Array);
}

/** Integer host array (int32/int64/uint8) as plain numbers. */
export function toIntArray(a: HostArray): number[] {
  if (a.dtype === 'int64') return Array.from(a.data as BigInt64Array, (x) => Number(x));
  return Array.from(a.data as Int32Array | Uint8Array | Float32Array | Float64Array);
}
