// Shared plumbing for encoders run through @huggingface/transformers (transformers.js, ONNX Runtime):
// resolving a model given as a local folder or a hub id, checking a local folder has the files the
// transformers.js layout needs (before ONNX Runtime fails with a long message), and copying output
// tensors into validated Float32Arrays. Follows transformers.js 4.x file naming (`onnx/<name><suffix>.onnx`,
// suffix by dtype: fp32 '', fp16 '_fp16', q8 '_quantized', ...).
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { DbridgeError } from '../util/errors.ts';

export type TransformersModule = typeof import('@huggingface/transformers');

/** Options shared by the CLIP and CLAP loaders. */
export interface HfLoadOptions {
  /** ONNX Runtime device: 'cpu' (default, or env DBRIDGE_ONNX_DEVICE), 'cuda', 'webgpu', 'dml' ... (see docs/realdata.md). */
  device?: string;
  /** Weight file variant: 'fp32' (default, the parity-tested one), 'fp16', 'q8', ... */
  dtype?: string;
  /** Allow downloading a hub id (default: env DBRIDGE_ALLOW_DOWNLOAD=1). Local folders never download. */
  allowDownload?: boolean;
  /** Where downloaded hub models are cached (default: transformers.js's own cache). */
  cacheDir?: string;
}

export const DTYPE_SUFFIX: Record<string, string> = {
  fp32: '', fp16: '_fp16', int8: '_int8', uint8: '_uint8', q8: '_quantized', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4',
};

let tjs: TransformersModule | null = null;

/** Imports transformers.js once (it is heavy: ONNX Runtime and sharp). */
export async function transformers(): Promise<TransformersModule> {
  if (!tjs) {
    try {
      tjs = await import('@huggingface/transformers');
    } catch (e) {
      throw new DbridgeError(`cannot load @huggingface/transformers (needed for CLIP/CLAP): ${(e as Error).message}`);
    }
  }
  return tjs;
}

export interface ResolvedModel {
  /** What to pass to from_pretrained: an absolute folder path or the hub id. */
  ref: string;
  local: boolean;
  /** Short name for encoder ids: the folder's base name or the hub id. */
  name: string;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** A local folder (if it exists) or a hub id (if downloads are allowed). */
export function resolveModel(dirOrId: string, opts: HfLoadOptions = {}): ResolvedModel {
  if (existsSync(dirOrId)) {
    if (!statSync(dirOrId).isDirectory()) throw new DbridgeError(`model ${dirOrId} is a file; pass the model folder`);
    const abs = resolve(dirOrId);
    return { ref: abs, local: true, name: basename(abs) };
  }
  if (!HUB_ID.test(dirOrId)) throw new DbridgeError(`model folder not found: ${dirOrId}`);
  const allow = opts.allowDownload ?? process.env.DBRIDGE_ALLOW_DOWNLOAD === '1';
  if (!allow) {
    throw new DbridgeError(
      `model folder not found: ${dirOrId}; to download the hub model '${dirOrId}' set DBRIDGE_ALLOW_DOWNLOAD=1 ` +
        `(or --allow-download), or download it yourself and pass its folder (see docs/realdata.md)`,
    );
  }
  return { ref: dirOrId, local: false, name: dirOrId };
}

/**
 * Checks that a local transformers.js model folder has config.json, the tokenizer and/or processor
 * files and the ONNX files for `dtype`, naming every missing file at once.
 */
export function checkModelFolder(dir: string, need: { onnx: string[]; tokenizer?: boolean; processor?: boolean }, dtype = 'fp32'): void {
  const suffix = DTYPE_SUFFIX[dtype];
  if (suffix === undefined) throw new DbridgeError(`unknown model dtype '${dtype}' (choose from ${Object.keys(DTYPE_SUFFIX).join(', ')})`);
  const missing: string[] = [];
  if (!existsSync(`${dir}/config.json`)) missing.push('config.json');
  if (need.tokenizer && !existsSync(`${dir}/tokenizer.json`)) missing.push('tokenizer.json');
  if (need.tokenizer && !existsSync(`${dir}/tokenizer_config.json`)) missing.push('tokenizer_config.json');
  if (need.processor && !existsSync(`${dir}/preprocessor_config.json`)) missing.push('preprocessor_config.json');
  for (const name of need.onnx) if (!existsSync(`${dir}/onnx/${name}${suffix}.onnx`)) missing.push(`onnx/${name}${suffix}.onnx`);
  if (missing.length) {
    throw new DbridgeError(
      `model folder ${dir} is not in the transformers.js layout: missing ${missing.join(', ')} ` +
        `(download e.g. Xenova/clip-vit-base-patch32 with its onnx/ folder; see docs/realdata.md)`,
    );
  }
}

/** Sets transformers.js's global environment for one load. Local loads never touch the network. */
export async function configureEnv(model: ResolvedModel, opts: HfLoadOptions): Promise<TransformersModule> {
  const t = await transformers();
  t.env.allowLocalModels = true;
  t.env.allowRemoteModels = !model.local;
  if (opts.cacheDir) t.env.cacheDir = opts.cacheDir;
  return t;
}

/** Options for from_pretrained calls. */
export function pretrainedOptions(opts: HfLoadOptions): Record<string, unknown> {
  const o: Record<string, unknown> = { dtype: opts.dtype ?? 'fp32' };
  const device = opts.device ?? process.env.DBRIDGE_ONNX_DEVICE;
  if (device) o.device = device;
  if (opts.cacheDir) o.cache_dir = opts.cacheDir;
  return o;
}

/** Wraps a transformers.js failure in a DbridgeError naming what was being loaded. */
export async function wrapLoad<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof DbridgeError) throw e;
    throw new DbridgeError(`loading ${what} failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

interface TensorLike { dims: readonly number[]; data: unknown; type?: string; dispose?: () => void }

/** Copies a model output [n, d] into a new Float32Array, checking its shape and that it is finite. */
export function takeEmbeddings(t: TensorLike | undefined, n: number, what: string, dim?: number): Float32Array {
  if (!t || !Array.isArray(t.dims)) throw new DbridgeError(`${what}: the model gave no output tensor (is this the right model type?)`);
  const dims = t.dims;
  if (dims.length !== 2 || dims[0] !== n || (dim !== undefined && dims[1] !== dim)) {
    throw new DbridgeError(`${what}: expected an output of shape [${n}, ${dim ?? 'D'}], got [${dims.join(', ')}]`);
  }
  if (!(t.data instanceof Float32Array)) throw new DbridgeError(`${what}: expected float32 output, got ${t.type ?? typeof t.data}`);
  const out = new Float32Array(t.data);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new DbridgeError(`${what}: output row ${Math.floor(i / dims[1])} contains ${out[i]}`);
  }
  t.dispose?.();
  return out;
}
