// NumPy .npy (format 1.0/2.0/3.0) reader and writer: little-endian, C order; float32, float64,
// float16, int32, int64, uint8, bool. Every malformed file gives an error naming the file and
// what is wrong (magic, header, dtype, Fortran order, truncation).
import { readFileSync, existsSync } from 'node:fs';
import { DbridgeError } from '../util/errors.ts';
import { requireFile, writeFileAtomic } from '../util/fs.ts';
import { type DType, type HostArray, type TypedData, BYTES, numel, fromBytes, toBytes, toFloat32 } from './dtype.ts';

const DESCR_TO_DTYPE: Record<string, DType> = {
  '<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '<i4': 'int32', '<i8': 'int64',
  '|u1': 'uint8', '<u1': 'uint8', '|b1': 'bool',
};
const DTYPE_TO_DESCR: Partial<Record<DType, string>> = {
  float32: '<f4', float64: '<f8', float16: '<f2', int32: '<i4', int64: '<i8', uint8: '|u1', bool: '|b1',
};

export function parseNpy(bytes: Uint8Array, name = '<buffer>'): HostArray {
  const bad = (why: string) => new DbridgeError(`${name} is not a valid .npy file: ${why}`);
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') {
    throw bad('missing the \\x93NUMPY magic string');
  }
  const major = bytes[6];
  let headerLen: number, offset: number;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) { headerLen = dv.getUint16(8, true); offset = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad('truncated header');
    headerLen = dv.getUint32(8, true); offset = 12;
  } else throw bad(`unsupported format version ${major}`);
  if (offset + headerLen > bytes.length) throw bad('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(offset, offset + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`unreadable header ${header.trim()}`);
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) throw bad(`unsupported dtype '${descr}' (supported: ${Object.keys(DESCR_TO_DTYPE).join(', ')}; big-endian is not)`);
  if (fortran === 'True') throw bad('Fortran order is not supported; save with np.ascontiguousarray');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`bad shape (${shapeText})`);
  const count = numel(shape);
  const start = offset + headerLen;
  const need = count * BYTES[dtype];
  if (bytes.length - start < need) {
    throw bad(`truncated: shape [${shape.join(', ')}] ${dtype} needs ${need} data bytes, file has ${bytes.length - start}`);
  }
  return { dtype, shape, data: fromBytes(bytes.subarray(start), dtype, count) };
}

export function readNpy(path: string): HostArray {
  requireFile(path, '.npy file');
  return parseNpy(new Uint8Array(readFileSync(path)), path);
}

export function encodeNpy(a: { dtype: DType; shape: readonly number[]; data: TypedData }): Uint8Array {
  const descr = DTYPE_TO_DESCR[a.dtype];
  if (!descr) throw new DbridgeError(`cannot write dtype ${a.dtype} to .npy`);
  if (a.data.length !== numel(a.shape)) {
    throw new DbridgeError(`npy write: data has ${a.data.length} elements but shape [${a.shape.join(', ')}] needs ${numel(a.shape)}`);
  }
  const shapeText = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + a.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(toBytes(a.data), 10 + header.length);
  return out;
}

/** Writes atomically (temp file + rename). */
export function writeNpy(path: string, a: { dtype: DType; shape: readonly number[]; data: TypedData }): void {
  writeFileAtomic(path, encodeNpy(a));
}

/** A float matrix [N, D] as float32, validated: 2-D (or `allow1d`), expected D, finite. */
export function readEmbeddingMatrix(path: string, opts: { dim?: number } = {}): { data: Float32Array; n: number; d: number } {
  const a = readNpy(path);
  if (!['float32', 'float64', 'float16'].includes(a.dtype)) {
    throw new DbridgeError(`${path}: embeddings must be float32, float64 or float16, got ${a.dtype}`);
  }
  let shape = a.shape;
  if (shape.length === 3 && shape[1] === 1) shape = [shape[0], shape[2]]; // official (N, 1, D) layout
  if (shape.length !== 2) throw new DbridgeError(`${path}: embeddings must be a 2-D array [N, D], got shape [${a.shape.join(', ')}]`);
  const [n, d] = shape;
  if (opts.dim !== undefined && d !== opts.dim) {
    throw new DbridgeError(`${path}: embedding dimension is ${d}, expected ${opts.dim}`);
  }
  const data = toFloat32(a);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new DbridgeError(`${path}: row ${Math.floor(i / d)}, column ${i % d} is ${data[i]}; embeddings must be finite`);
    }
  }
  return { data, n, d };
}
