// Stable hashing of configs and file contents, used to name cached stages and checkpoints.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** JSON with object keys sorted at every level, so equal configs hash equally. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !(ArrayBuffer.isView(v))) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Short hash of a config object (16 hex characters). */
export function configHash(value: unknown): string {
  return sha256(stableStringify(value)).slice(0, 16);
}

export function fileHash(path: string): string {
  return sha256(readFileSync(path));
}
