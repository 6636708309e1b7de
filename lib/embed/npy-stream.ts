// Writes a float32 [rows, dim] .npy file piece by piece (the total row count is known up front), so
// concatenating the shards of a 600k-caption split never holds the whole matrix in memory. The file
// is written to a temp name and renamed at the end (atomic, like lib/util/fs.ts). The header is the
// same format 1.0 header lib/io/npy.ts writes.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { DbridgeError } from '../util/errors.ts';
import { ensureDir } from '../util/fs.ts';
import { dirname } from 'node:path';

export function npyHeaderF32(rows: number, dim: number): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  return out;
}

export class NpyF32Writer {
  private readonly tmp: string;
  private fd: number;
  private written = 0;

  constructor(private readonly path: string, private readonly rows: number, private readonly dim: number) {
    ensureDir(dirname(path));
    this.tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    this.fd = openSync(this.tmp, 'w');
    writeSync(this.fd, npyHeaderF32(rows, dim));
  }

  /** Appends rows (row-major, length a multiple of dim). */
  append(data: Float32Array): void {
    if (data.length % this.dim !== 0) throw new DbridgeError(`${this.path}: appended ${data.length} values, not a multiple of dim ${this.dim}`);
    const n = data.length / this.dim;
    if (this.written + n > this.rows) throw new DbridgeError(`${this.path}: more than the declared ${this.rows} rows`);
    writeSync(this.fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.written += n;
  }

  /** Closes and renames into place; throws if fewer rows than declared were written. */
  finish(): void {
    closeSync(this.fd);
    if (this.written !== this.rows) {
      rmSync(this.tmp, { force: true });
      throw new DbridgeError(`${this.path}: wrote ${this.written} rows, declared ${this.rows}`);
    }
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    try { closeSync(this.fd); } catch { /* already closed */ }
    rmSync(this.tmp, { force: true });
  }
}
