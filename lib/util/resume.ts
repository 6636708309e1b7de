// Resume checks: a run continued from a checkpoint must use every setting that changes the result
// (seed, batch size, learning rate, schedule, data hashes, means, ...) exactly as the checkpoint
// recorded it, or the continued run is a silent mix of two experiments. `checkResume` compares the
// checkpoint's recorded settings with the requested ones and refuses, naming the first that differs.
// Settings the checkpoint did not record (written by an older version) cannot be checked and are skipped.
import { DbridgeError } from './errors.ts';
import { stableStringify, sha256 } from './hash.ts';

export type Settings = Record<string, unknown>;

export interface ResumeCheckOptions {
  /** How the user names each setting, e.g. { batchSize: '--batch-size' } (default: the key). */
  labels?: Record<string, string>;
  /** Settings allowed to differ (e.g. the total step count, which a resumed run may raise). */
  ignore?: readonly string[];
  /** What to suggest instead (default: keep the checkpoint's value, or start over in another folder). */
  hint?: string;
}

function show(v: unknown): string {
  if (v === undefined) return 'unset';
  const s = typeof v === 'string' ? v : stableStringify(v);
  return s.length > 60 ? `${s.slice(0, 28)}...${s.slice(-28)}` : s;
}

/** The first setting whose requested value differs from the saved one, or null. */
export function firstDifference(saved: Settings, requested: Settings, ignore: readonly string[] = []): { key: string; saved: unknown; requested: unknown } | null {
  for (const key of Object.keys(requested).sort()) {
    if (ignore.includes(key) || !(key in saved)) continue;
    if (stableStringify(saved[key] ?? null) !== stableStringify(requested[key] ?? null)) return { key, saved: saved[key], requested: requested[key] };
  }
  return null;
}

/**
 * Throws a one-line DbridgeError unless every requested setting equals the checkpoint's, e.g.
 * "cannot resume out/ck: --seed is 1 but the checkpoint was trained with 0; ...".
 */
export function checkResume(dir: string, saved: Settings, requested: Settings, opts: ResumeCheckOptions = {}): void {
  const d = firstDifference(saved, requested, opts.ignore);
  if (!d) return;
  const label = opts.labels?.[d.key] ?? d.key;
  throw new DbridgeError(`cannot resume ${dir}: ${label} is ${show(d.requested)} but the checkpoint was trained with ${show(d.saved)}; ` +
    (opts.hint ?? 'resume with the checkpoint\'s value, or start a new run in another folder'));
}

/** A short content hash of numbers (training data, a mean) to record and compare on resume. */
export function dataHash(values: Float32Array | Float64Array | Int32Array | Uint8Array): string {
  return sha256(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).slice(0, 16);
}

/** Nested settings as one level with dotted keys ({ train: { lr } } -> { 'train.lr' }), arrays kept whole. */
export function flattenSettings(value: Record<string, unknown>, prefix = ''): Settings {
  const out: Settings = {};
  for (const [k, v] of Object.entries(value)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) Object.assign(out, flattenSettings(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[prefix + k] = v;
  }
  return out;
}
