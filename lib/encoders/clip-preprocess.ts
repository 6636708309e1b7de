// CLIP image preprocessing done in TypeScript, bit-exact with Pillow: the resize is a port of Pillow's
// two-pass convolution resampler (libImaging/Resample.c: precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal/Vertical_8bpc with 22-bit fixed-point coefficients and uint8 rounding
// between the passes), then HF CLIPImageProcessor's centre crop ((h - ch) // 2), rescale and normalise.
// That is what Python `transformers` (PIL backend) and OpenAI's `clip.load(...)[1]` (torchvision on PIL
// images) compute. Why not transformers.js's own processor: it resizes with sharp's affine bicubic
// interpolator, which does not widen the kernel when shrinking (no antialiasing), so MSCOCO's 640x480 ->
// 298x224 would differ visibly from the paper's preprocessing. Divergence: OpenAI's torchvision CenterCrop
// rounds the offset (round((h - ch) / 2)) where HF floors it; they differ by one pixel only when the
// excess is odd (not the case for the usual 4:3 and 3:4 images at 224).
import { DbridgeError } from '../util/errors.ts';
import type { RGBImage } from './types.ts';

const PRECISION_BITS = 32 - 8 - 2;

interface Filter { support: number; f(x: number): number }

const sinc = (x: number) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
/** Pillow's filters by resample code (1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming). */
export const PIL_FILTERS: Record<number, Filter> = {
  1: { support: 3, f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
  2: { support: 1, f: (x) => { x = Math.abs(x); return x < 1 ? 1 - x : 0; } },
  3: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  4: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  5: {
    support: 1,
    f: (x) => {
      x = Math.abs(x);
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      return (Math.sin(x) / x) * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(x)); // 0.54f, 0.46f in Pillow
    },
  },
};

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the full box [0, inSize). */
function coeffs(inSize: number, outSize: number, filter: Filter): { ksize: number; bounds: Int32Array; kk: Int32Array } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize); // Pillow's INT32 fixed-point coefficients
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    const w = new Float64Array(xmax);
    for (let x = 0; x < xmax; x++) { w[x] = filter.f((x + xmin - center + 0.5) * ss); ww += w[x]; }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      // fixed point, rounded half away from zero as (int)(±0.5 + v * 2^22)
      kk[xx * ksize + x] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

// Sums stay within int32 as in Pillow (255 * 2^22 * sum|k| < 2^31), so int32 arithmetic is exact here.
const clip8 = (ss: number) => {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/** Resizes an 8-bit RGB image exactly as Pillow's Image.resize((width, height), resample) does. */
export function pilResize(img: RGBImage, width: number, height: number, resample = 3): RGBImage {
  const filter = PIL_FILTERS[resample];
  if (!filter) throw new DbridgeError(`image resample mode ${resample} is not supported (1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new DbridgeError(`resize to ${width}x${height} is not valid`);
  const needH = width !== img.width, needV = height !== img.height;
  if (!needH && !needV) return { width, height, data: img.data.slice() };
  const half = 1 << (PRECISION_BITS - 1);
  const h = coeffs(img.width, width, filter);
  const v = coeffs(img.height, height, filter);
  let src = img.data, srcW = img.width, srcH = img.height;
  const vb = Int32Array.from(v.bounds);
  if (needH) {
    const yFirst = v.bounds[0];
    const yLast = v.bounds[height * 2 - 2] + v.bounds[height * 2 - 1];
    for (let i = 0; i < height; i++) vb[2 * i] -= yFirst;
    const rows = yLast - yFirst;
    const tmp = new Uint8Array(width * rows * 3);
    const hb = h.bounds, hk = h.kk, hks = h.ksize, sw = srcW, sd = src;
    for (let yy = 0; yy < rows; yy++) {
      const rowIn = (yy + yFirst) * sw * 3;
      for (let xx = 0; xx < width; xx++) {
        const xmin = hb[2 * xx], xmax = hb[2 * xx + 1], k = xx * hks;
        let s0 = half, s1 = half, s2 = half;
        let p = rowIn + xmin * 3;
        for (let x = 0; x < xmax; x++, p += 3) {
          const c = hk[k + x];
          s0 = (s0 + sd[p] * c) | 0; s1 = (s1 + sd[p + 1] * c) | 0; s2 = (s2 + sd[p + 2] * c) | 0;
        }
        const o = (yy * width + xx) * 3;
        tmp[o] = clip8(s0); tmp[o + 1] = clip8(s1); tmp[o + 2] = clip8(s2);
      }
    }
    src = tmp; srcW = width; srcH = rows;
  }
  if (!needV) return { width: srcW, height: srcH, data: src };
  const out = new Uint8Array(srcW * height * 3);
  const vk = v.kk, vks = v.ksize, sw = srcW, sd = src, stride = srcW * 3;
  for (let yy = 0; yy < height; yy++) {
    const ymin = vb[2 * yy], ymax = vb[2 * yy + 1], k = yy * vks;
    for (let xx = 0; xx < sw; xx++) {
      let s0 = half, s1 = half, s2 = half;
      let p = (ymin * sw + xx) * 3;
      for (let y = 0; y < ymax; y++, p += stride) {
        const c = vk[k + y];
        s0 = (s0 + sd[p] * c) | 0; s1 = (s1 + sd[p + 1] * c) | 0; s2 = (s2 + sd[p + 2] * c) | 0;
      }
      const o = (yy * srcW + xx) * 3;
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2);
    }
  }
  return { width: srcW, height, data: out };
}

/** HF's centre crop: offset (size - crop) // 2; an image smaller than the crop is zero-padded around its centre. */
export function centerCrop(img: RGBImage, cropH: number, cropW: number): RGBImage {
  const top = Math.floor((img.height - cropH) / 2), left = Math.floor((img.width - cropW) / 2);
  const out = new Uint8Array(cropH * cropW * 3);
  if (top >= 0 && left >= 0 && top + cropH <= img.height && left + cropW <= img.width) {
    for (let y = 0; y < cropH; y++) out.set(img.data.subarray(((y + top) * img.width + left) * 3, ((y + top) * img.width + left + cropW) * 3), y * cropW * 3);
    return { width: cropW, height: cropH, data: out };
  }
  // pad to max(crop, size) centred (top_pad = ceil(diff / 2)), then crop like HF's center_crop
  const nh = Math.max(cropH, img.height), nw = Math.max(cropW, img.width);
  const tp = Math.ceil((nh - img.height) / 2), lp = Math.ceil((nw - img.width) / 2);
  const padded = new Uint8Array(nh * nw * 3);
  for (let y = 0; y < img.height; y++) padded.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + tp) * nw + lp) * 3);
  const t2 = Math.floor(top + tp), l2 = Math.floor(left + lp);
  for (let y = 0; y < cropH; y++) out.set(padded.subarray(((y + t2) * nw + l2) * 3, ((y + t2) * nw + l2 + cropW) * 3), y * cropW * 3);
  return { width: cropW, height: cropH, data: out };
}

/** The fields of a CLIPImageProcessor preprocessor_config.json this module uses. */
export interface ClipImageConfig {
  do_resize?: boolean;
  size?: { shortest_edge?: number; height?: number; width?: number } | number;
  resample?: number;
  do_center_crop?: boolean;
  crop_size?: { height: number; width: number } | number;
  do_rescale?: boolean;
  rescale_factor?: number;
  do_normalize?: boolean;
  image_mean?: number[];
  image_std?: number[];
}

/** Output size of HF's resize with `size` (shortest_edge keeps the aspect ratio, truncating the long side). */
export function resizeTarget(w: number, h: number, size: ClipImageConfig['size']): [number, number] {
  if (typeof size === 'number') size = { shortest_edge: size };
  if (size?.shortest_edge) {
    const s = size.shortest_edge;
    const short = Math.min(w, h), long = Math.max(w, h);
    const newLong = Math.trunc((s * long) / short);
    return w <= h ? [s, newLong] : [newLong, s];
  }
  if (size?.height && size?.width) return [size.width, size.height];
  throw new DbridgeError(`preprocessor size ${JSON.stringify(size)} is not supported (shortest_edge or height/width)`);
}

/** pixel_values [n, 3, H, W] (float32) for a batch, as CLIPImageProcessor (PIL backend) computes them. */
export function clipPixelValues(images: RGBImage[], cfg: ClipImageConfig): { data: Float32Array; dims: [number, number, number, number] } {
  const f32 = Math.fround;
  const prepared = images.map((im) => {
    let x = im;
    if (cfg.do_resize ?? true) {
      const [w, h] = resizeTarget(x.width, x.height, cfg.size ?? { shortest_edge: 224 });
      x = pilResize(x, w, h, cfg.resample ?? 3);
    }
    if (cfg.do_center_crop ?? true) {
      const c = cfg.crop_size ?? { height: 224, width: 224 };
      const [ch, cw] = typeof c === 'number' ? [c, c] : [c.height, c.width];
      x = centerCrop(x, ch, cw);
    }
    return x;
  });
  const H = prepared[0].height, W = prepared[0].width;
  if (prepared.some((p) => p.height !== H || p.width !== W)) throw new DbridgeError('CLIP preprocessing gave images of different sizes (no centre crop configured?)');
  const scale = cfg.do_rescale ?? true ? (cfg.rescale_factor ?? 1 / 255) : 1;
  const mean = cfg.do_normalize ?? true ? (cfg.image_mean ?? [0.48145466, 0.4578275, 0.40821073]) : [0, 0, 0];
  const std = cfg.do_normalize ?? true ? (cfg.image_std ?? [0.26862954, 0.26130258, 0.27577711]) : [1, 1, 1];
  const data = new Float32Array(images.length * 3 * H * W);
  prepared.forEach((p, n) => {
    for (let c = 0; c < 3; c++) {
      const m = f32(mean[c]), s = f32(std[c]), base = (n * 3 + c) * H * W;
      for (let i = 0; i < H * W; i++) data[base + i] = f32(f32(f32(p.data[3 * i + c] * scale) - m) / s);
    }
  });
  return { data, dims: [images.length, 3, H, W] };
}
