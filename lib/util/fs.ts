// File helpers: atomic writes (write a sibling temp file, then rename) so an interrupted run never
// leaves a half-written result, and JSON reading with errors that name the file.
import { mkdirSync, renameSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DbridgeError } from './errors.ts';

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  ensureDir(dirname(path));
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T = unknown>(path: string, what = 'JSON file'): T {
  if (!existsSync(path)) throw new DbridgeError(`${what} not found: ${path}`);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new DbridgeError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function requireFile(path: string, what: string): void {
  if (!existsSync(path)) throw new DbridgeError(`${what} not found: ${path}`);
}
