// A deterministic stand-in encoder for the embedding-writer tests: text rows from character codes,
// image rows from pixel statistics (no model files needed).
import type { Encoder, RGBImage } from '../../lib/encoders/types.ts';

export const D = 8;

/** A deterministic stand-in encoder: text rows from character codes, image rows from pixel statistics. */
export function fakeEncoder(): Encoder & { calls: number } {
  const enc = {
    id: 'fake', dim: D, calls: 0,
    async encodeText(c: string[]) {
      enc.calls++;
      const out = new Float32Array(c.length * D);
      c.forEach((s, i) => { for (let k = 0; k < s.length; k++) out[i * D + (k % D)] += (s.charCodeAt(k) % 17) - 8; });
      return out;
    },
    async encodeImage(im: RGBImage[]) {
      enc.calls++;
      const out = new Float32Array(im.length * D);
      im.forEach((m, i) => { for (let p = 0; p < m.data.length; p++) out[i * D + (p % D)] += m.data[p] / 255; out[i * D] += m.width; });
      return out;
    },
  };
  return enc;
}

