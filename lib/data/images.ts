// Image files to RGBImage (8-bit RGB, row-major). PNG is decoded with pngjs (any bit depth and colour
// type; 16-bit is rescaled to 8-bit); JPEG, WebP, GIF, TIFF and the rest with sharp (the decoder
// @huggingface/transformers uses in Node). Follows PIL's `Image.open(f).convert('RGB')`, what CLIP's
// preprocessing does: alpha is dropped (not composited), grey is replicated to three channels, and
// EXIF orientation is NOT applied. Divergence: sharp converts an embedded ICC profile (e.g. CMYK
// JPEGs) to sRGB where PIL would not; such files are rare in MSCOCO/Flickr30K.
import { existsSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { DbridgeError } from '../util/errors.ts';
import type { RGBImage } from '../encoders/types.ts';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_MAGIC.every((v, i) => b[i] === v);
}

/** Packs interleaved 8-bit pixels with 1-4 channels (grey, grey+alpha, RGB, RGBA) into RGB. */
export function toRGB(data: ArrayLike<number>, width: number, height: number, channels: number): RGBImage {
  if (![1, 2, 3, 4].includes(channels)) throw new DbridgeError(`image with ${channels} channels is not supported (1-4)`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new DbridgeError(`image size ${width}x${height} is not valid`);
  }
  const n = width * height;
  if (data.length < n * channels) throw new DbridgeError(`image data has ${data.length} bytes, ${width}x${height}x${channels} needs ${n * channels}`);
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const s = p * channels;
    if (channels <= 2) {
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = data[s];
    } else {
      out[3 * p] = data[s];
      out[3 * p + 1] = data[s + 1];
      out[3 * p + 2] = data[s + 2];
    }
  }
  return { width, height, data: out };
}

/** Decodes PNG bytes. */
export function decodePng(bytes: Uint8Array, name = '<buffer>'): RGBImage {
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DbridgeError(`${name}: cannot decode PNG: ${(e as Error).message}`);
  }
  return toRGB(png.data, png.width, png.height, 4); // pngjs always gives 8-bit RGBA
}

type SharpFn = (input: Buffer, opts?: { failOn?: string }) => {
  raw(): { toBuffer(o: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number; channels: number } }> };
};
let sharpFn: SharpFn | null = null;

async function loadSharp(): Promise<SharpFn> {
  if (sharpFn) return sharpFn;
  try {
    const mod = (await import('sharp')) as unknown as { default: SharpFn };
    sharpFn = mod.default;
    return sharpFn;
  } catch (e) {
    throw new DbridgeError(`decoding non-PNG images needs the 'sharp' package (installed with @huggingface/transformers): ${(e as Error).message}`);
  }
}

/** Decodes image bytes of any format sharp reads (PNG goes through pngjs). */
export async function decodeImage(bytes: Uint8Array, name = '<buffer>'): Promise<RGBImage> {
  if (isPng(bytes)) return decodePng(bytes, name);
  const sharp = await loadSharp();
  let res: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // sharp's default failOn ('warning'): a truncated or corrupt file is an error naming it, as PIL's loader raises.
    res = await sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new DbridgeError(`${name}: cannot decode image: ${(e as Error).message}`);
  }
  return toRGB(res.data, res.info.width, res.info.height, res.info.channels);
}

/** Reads an image file into 8-bit RGB. */
export async function readImage(path: string): Promise<RGBImage> {
  if (!existsSync(path)) throw new DbridgeError(`image not found: ${path}`);
  return decodeImage(new Uint8Array(readFileSync(path)), path);
}

/** Encodes an RGBImage as PNG bytes (for fixtures and tests). */
export function encodePng(img: RGBImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  for (let p = 0; p < img.width * img.height; p++) {
    png.data[4 * p] = img.data[3 * p];
    png.data[4 * p + 1] = img.data[3 * p + 1];
    png.data[4 * p + 2] = img.data[3 * p + 2];
    png.data[4 * p + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}
