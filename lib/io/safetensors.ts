// .safetensors reader and writer (https://github.com/huggingface/safetensors format: u64 LE header
// length, JSON header of {name: {dtype, shape, data_offsets}} plus optional __metadata__, raw LE data).
import { readFileSync, existsSync } from 'node:fs';
import { DbridgeError } from '../util/errors.ts';
import { requireFile, writeFileAtomic } from '../util/fs.ts';
import { type DType, type HostArray, BYTES, numel, fromBytes, toBytes } from './dtype.ts';

const ST_TO_DTYPE: Record<string, DType> = {
  F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16', I32: 'int32', I64: 'int64', U8: 'uint8', BOOL: 'bool',
};
const DTYPE_TO_ST: Record<DType, string> = Object.fromEntries(
  Object.entries(ST_TO_DTYPE).map(([k, v]) => [v, k]),
) as Record<DType, string>;

export interface SafetensorsFile {
  tensors: Map<string, HostArray>;
  metadata: Record<string, string>;
}

export function parseSafetensors(bytes: Uint8Array, name = '<buffer>'): SafetensorsFile {
  const bad = (why: string) => new DbridgeError(`${name} is not a valid .safetensors file: ${why}`);
  if (bytes.length < 8) throw bad('shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > bytes.length - 8 || headerLen > 100_000_000) throw bad(`header length ${headerLen} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const tensors = new Map<string, HostArray>();
  let metadata: Record<string, string> = {};
  for (const [key, v] of Object.entries(header)) {
    if (key === '__metadata__') { metadata = (v ?? {}) as Record<string, string>; continue; }
    const info = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const dtype = ST_TO_DTYPE[info?.dtype];
    if (!dtype) throw bad(`tensor '${key}' has unsupported dtype ${info?.dtype}`);
    const [b, e] = info.data_offsets;
    const count = numel(info.shape);
    if (e - b !== count * BYTES[dtype]) throw bad(`tensor '${key}' byte range ${b}-${e} does not match shape [${info.shape}] ${dtype}`);
    if (dataStart + e > bytes.length) throw bad(`truncated: tensor '${key}' ends at byte ${dataStart + e}, file has ${bytes.length}`);
    tensors.set(key, { dtype, shape: info.shape.slice(), data: fromBytes(bytes.subarray(dataStart + b), dtype, count) });
  }
  return { tensors, metadata };
}

export function readSafetensors(path: string): SafetensorsFile {
  requireFile(path, '.safetensors file');
  return parseSafetensors(new Uint8Array(readFileSync(path)), path);
}

export function encodeSafetensors(tensors: Map<string, HostArray> | Record<string, HostArray>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [k, t] of entries) {
    if (t.data.length !== numel(t.shape)) throw new DbridgeError(`safetensors write: '${k}' has ${t.data.length} elements, shape [${t.shape}]`);
    header[k] = { dtype: DTYPE_TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (headerText.length % 8)) % 8);
  const hb = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let pos = 8 + hb.length;
  for (const [, t] of entries) { out.set(toBytes(t.data), pos); pos += t.data.byteLength; }
  return out;
}

/** Writes atomically (temp file + rename). */
export function writeSafetensors(path: string, tensors: Map<string, HostArray> | Record<string, HostArray>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
