// Renders a world scene to a small RGB image (64 x 64 at the default scales): the scene type's
// background (plain studio colours, wood grain, floor tiles, bricks, a room, a road, landscapes with
// a horizon, sky gradients, a starry night), drop shadows, then each object's silhouette
// (objects.ts) with its finish (stripes, spots, checks, an outline, a shiny highlight), anti-aliased
// by 2 x 2 supersampling of a per-class mask; then the picture style (faded colours, vignette, frame, grain) and pixel
// noise. Pure JS, deterministic from the scene (its textureSeed).
import { Rng } from '../util/rng.ts';
import type { RGBImage } from '../encoders/types.ts';
import type { SceneType } from './domains.ts';
import { SILHOUETTES } from './objects.ts';
import type { Scene, WorldObject } from './scene.ts';

type RGB = [number, number, number];
const SS = 2; // supersampling factor per axis

/** A background painter: writes the colour at (x, y) in [0, 1]^2 (pixel px, py) to out[p..p+2]. */
type Painter = (x: number, y: number, px: number, py: number, out: Float32Array, p: number) => void;

function put(out: Float32Array, p: number, c: readonly number[]): void {
  out[p] = c[0]; out[p + 1] = c[1]; out[p + 2] = c[2];
}

/** out[p..] = a + (b - a) * t, without allocating. */
function putMix(out: Float32Array, p: number, a: readonly number[], b: readonly number[], t: number): void {
  out[p] = a[0] + (b[0] - a[0]) * t; out[p + 1] = a[1] + (b[1] - a[1]) * t; out[p + 2] = a[2] + (b[2] - a[2]) * t;
}

function backgroundPainter(type: SceneType, rng: Rng, size: number): Painter {
  const j = () => (rng.uniform() * 2 - 1) * 8;
  const tone = (c: RGB): RGB => [c[0] + j(), c[1] + j(), c[2] + j()];
  const horizon = 0.3 + 0.1 * rng.uniform();
  const u = size / 64; // pattern scale: patterns keep their look at any image size
  switch (type) {
    case 'white': { const c = tone([238, 238, 235]); return (_x, _y, _px, _py, o, p) => put(o, p, c); }
    case 'grey': { const c = tone([150, 150, 152]); return (_x, _y, _px, _py, o, p) => put(o, p, c); }
    case 'black': { const c = tone([24, 24, 26]); return (_x, _y, _px, _py, o, p) => put(o, p, c); }
    case 'table': {
      const c = tone([168, 112, 62]), d: RGB = [120, 74, 36], ph = rng.uniform() * 6;
      return (x, y, _px, _py, o, p) => putMix(o, p, c, d, 0.25 + 0.25 * Math.sin(y * 38 + 2.5 * Math.sin(x * 5 + ph)));
    }
    case 'floor': {
      const a = tone([222, 222, 218]), b = tone([175, 175, 180]), t = 8 * u;
      return (_x, _y, px, py, o, p) => put(o, p, (Math.floor(px / t) + Math.floor(py / t)) % 2 === 0 ? a : b);
    }
    case 'wall': {
      const brick = tone([165, 70, 50]), mortar: RGB = [200, 196, 188], bh = 6 * u, bw = 12 * u;
      const jit = Array.from({ length: 64 }, () => (rng.uniform() * 2 - 1) * 14);
      return (_x, _y, px, py, o, p) => {
        const row = Math.floor(py / bh), off = row % 2 ? bw / 2 : 0;
        if (py % bh < u || (px + off) % bw < u) return put(o, p, mortar);
        const k = jit[(row * 7 + Math.floor((px + off) / bw)) & 63];
        o[p] = brick[0] + k; o[p + 1] = brick[1] + k * 0.5; o[p + 2] = brick[2] + k * 0.4;
      };
    }
    case 'room': {
      const wall = tone([205, 195, 225]), floor = tone([150, 98, 55]), plank: RGB = [110, 70, 38], h = 0.58 + 0.08 * rng.uniform();
      return (_x, y, px, _py, o, p) => (y < h ? put(o, p, wall) : putMix(o, p, floor, plank, px % (10 * u) < u ? 0.6 : 0));
    }
    case 'road': {
      const c = tone([70, 70, 74]), line: RGB = [235, 235, 225];
      return (x, y, _px, _py, o, p) => put(o, p, Math.abs(y - 0.5) < 0.018 && (x * 8) % 1 < 0.55 ? line : c);
    }
    case 'city': {
      const sky = tone([175, 200, 225]), bld = tone([70, 72, 88]), win: RGB = [235, 215, 120];
      const tops = Array.from({ length: 9 }, () => 0.25 + 0.3 * rng.uniform());
      return (x, y, px, py, o, p) => {
        const k = Math.min(8, Math.floor(x * 9));
        if (y < tops[k]) return put(o, p, sky);
        return put(o, p, px % (4 * u) < u && py % (5 * u) < 2 * u && (k + py) % 3 !== 0 ? win : bld);
      };
    }
    case 'forest': {
      const dark = tone([30, 70, 40]), leaf: RGB = [55, 105, 55], trunk: RGB = [75, 50, 30];
      const ph = rng.uniform() * 6;
      return (x, y, px, _py, o, p) => {
        if (px % (11 * u) < 2 * u && y > 0.25) return put(o, p, trunk);
        putMix(o, p, dark, leaf, 0.5 + 0.5 * Math.sin(x * 31 + ph) * Math.sin(y * 23));
      };
    }
    case 'mountains': {
      const sky = tone([160, 195, 235]), rock = tone([120, 120, 140]), snowcap: RGB = [240, 240, 245], meadow = tone([95, 150, 70]), ph = rng.uniform() * 6;
      return (x, y, _px, _py, o, p) => {
        const ridge = 0.32 + 0.12 * Math.abs(Math.sin(x * 5 + ph)) + 0.05 * Math.sin(x * 17);
        if (y < ridge) return put(o, p, sky);
        if (y > 0.68) return put(o, p, meadow);
        return put(o, p, y < ridge + 0.06 ? snowcap : rock);
      };
    }
    case 'kitchen': {
      const m = tone([232, 232, 230]), vein: RGB = [170, 170, 178], ph = rng.uniform() * 6;
      return (x, y, _px, _py, o, p) => putMix(o, p, m, vein, Math.abs(Math.sin(x * 13 + 4 * Math.sin(y * 7 + ph))) < 0.06 ? 0.7 : 0);
    }
    case 'carpet': {
      const red = tone([150, 30, 40]), gold: RGB = [200, 150, 60], g = 10 * u;
      return (_x, _y, px, py, o, p) => { const a = Math.abs((px % g) - g / 2) + Math.abs((py % g) - g / 2); put(o, p, a > g / 2 - 0.8 * u && a < g / 2 + 0.8 * u ? gold : red); };
    }
    case 'bed': {
      const b = tone([70, 110, 190]), fold: RGB = [45, 75, 140];
      return (x, y, _px, _py, o, p) => putMix(o, p, b, fold, 0.5 + 0.5 * Math.sin(x * 11 + Math.sin(y * 9) * 3));
    }
    case 'chalkboard': {
      const g = tone([40, 80, 60]), frame: RGB = [140, 95, 50], chalk: RGB = [180, 190, 185];
      return (x, y, _px, _py, o, p) => put(o, p, x < 0.05 || x > 0.95 || y < 0.05 || y > 0.95 ? frame : Math.abs(Math.sin(x * 23 + y * 5)) < 0.02 ? chalk : g);
    }
    case 'paper': {
      const pw = tone([248, 246, 236]), line: RGB = [150, 180, 230], margin: RGB = [230, 120, 120];
      return (x, _y, _px, py, o, p) => put(o, p, Math.abs(x - 0.12) < 0.008 ? margin : py % (6 * u) < u ? line : pw);
    }
    case 'stage': {
      const floor = tone([110, 72, 40]), cur = tone([165, 25, 35]), fold: RGB = [110, 15, 25];
      return (x, y, _px, _py, o, p) => (y > 0.72 ? put(o, p, floor) : putMix(o, p, cur, fold, 0.5 + 0.5 * Math.sin(x * 60)));
    }
    case 'pool': {
      const w = tone([70, 185, 215]), tile: RGB = [210, 240, 245], g = 12 * u;
      return (x, y, px, py, o, p) => put(o, p, (px % g < u || py % g < u) && Math.sin(x * 20 + y * 17) > -0.3 ? tile : w);
    }
    case 'underwater': {
      const top = tone([40, 120, 170]), bottom = tone([15, 50, 95]), bubble: RGB = [170, 220, 240];
      const bubbles = new Set(Array.from({ length: 24 }, () => rng.int(size * size)));
      return (_x, y, px, py, o, p) => (bubbles.has(py * size + px) ? put(o, p, bubble) : putMix(o, p, top, bottom, y));
    }
    case 'space': {
      const dark = tone([8, 6, 18]), star: RGB = [220, 220, 240], planet = tone([200, 120, 60]);
      const stars = new Set(Array.from({ length: 40 }, () => rng.int(size * size)));
      const cx = rng.uniform(), cy = rng.uniform() < 0.5 ? 0.05 : 0.95;
      return (x, y, px, py, o, p) => put(o, p, (x - cx) ** 2 + (y - cy) ** 2 < 0.02 ? planet : stars.has(py * size + px) ? star : dark);
    }
    case 'grass': {
      const sky = tone([150, 200, 240]), g = tone([70, 150, 55]), dark: RGB = [40, 110, 35];
      return (x, y, _px, _py, o, p) => (y < horizon ? put(o, p, sky) : putMix(o, p, g, dark, 0.5 + 0.5 * Math.sin(x * 90 + y * 13)));
    }
    case 'beach': {
      const sky = tone([150, 200, 240]), sea: RGB = [40, 110, 190], sand = tone([226, 200, 150]);
      return (_x, y, _px, _py, o, p) => put(o, p, y < horizon ? sky : y < horizon + 0.12 ? sea : sand);
    }
    case 'water': {
      const sky = tone([170, 205, 235]), w = tone([40, 95, 170]), crest: RGB = [110, 160, 215];
      return (x, y, _px, _py, o, p) => put(o, p, y < horizon ? sky : Math.sin(x * 40 + Math.sin(y * 30) * 2) > 0.85 ? crest : w);
    }
    case 'snow': {
      const sky = tone([190, 200, 215]), s = tone([245, 247, 252]), shade: RGB = [200, 210, 230];
      return (x, y, _px, _py, o, p) => (y < horizon ? put(o, p, sky) : putMix(o, p, s, shade, 0.3 + 0.3 * Math.sin(x * 7 + y * 3)));
    }
    case 'desert': {
      const sky = tone([240, 200, 120]), sand = tone([215, 165, 95]), dune: RGB = [175, 120, 60];
      return (x, y, _px, _py, o, p) => (y < horizon ? put(o, p, sky) : putMix(o, p, sand, dune, 0.35 + 0.35 * Math.sin(x * 9 + y * 22)));
    }
    case 'sky': {
      const top = tone([70, 130, 215]), bottom = tone([170, 210, 245]);
      return (_x, y, _px, _py, o, p) => putMix(o, p, top, bottom, y);
    }
    case 'night': {
      const top = tone([10, 14, 40]), bottom = tone([30, 36, 80]), star: RGB = [230, 230, 200];
      const stars = new Set(Array.from({ length: 30 }, () => rng.int(size * size)));
      return (_x, y, px, py, o, p) => (stars.has(py * size + px) ? put(o, p, star) : putMix(o, p, top, bottom, y));
    }
    case 'sunset': {
      const top = tone([120, 70, 150]), mid = tone([240, 120, 90]), bottom = tone([250, 190, 90]);
      return (_x, y, _px, _py, o, p) => (y < 0.5 ? putMix(o, p, top, mid, y * 2) : putMix(o, p, mid, bottom, (y - 0.5) * 2));
    }
  }
}

// Silhouettes are rasterised once per class into a mask over [-MASK_EXTENT, MASK_EXTENT]^2 of the
// unit frame (about 0.2 pixel per cell for the largest objects at 64 x 64): a lookup is far cheaper
// than evaluating the class's union of primitives at every subsample.
const MASK_RES = 160, MASK_EXTENT = 1.25;
const masks = new Map<string, Uint8Array>();

function mask(cls: WorldObject['cls']): Uint8Array {
  let m = masks.get(cls);
  if (!m) {
    m = new Uint8Array(MASK_RES * MASK_RES);
    const inside = SILHOUETTES[cls], step = (2 * MASK_EXTENT) / MASK_RES;
    for (let j = 0; j < MASK_RES; j++) for (let i = 0; i < MASK_RES; i++) {
      m[j * MASK_RES + i] = inside(-MASK_EXTENT + (i + 0.5) * step, -MASK_EXTENT + (j + 0.5) * step) ? 1 : 0;
    }
    masks.set(cls, m);
  }
  return m;
}

/** Fraction (0..1) of the pixel (px, py) covered by `o`'s silhouette, scaled by `grow`, offset by (dx, dy). */
function coverage(o: WorldObject, m: Uint8Array, cos: number, sin: number, size: number, px: number, py: number, grow = 1, dx = 0, dy = 0): number {
  const k = MASK_RES / (2 * MASK_EXTENT) / (o.r * grow), c = MASK_RES / 2;
  let hits = 0;
  for (let sy = 0; sy < SS; sy++) {
    const ey = (py + (sy + 0.5) / SS) / size - o.y - dy;
    for (let sx = 0; sx < SS; sx++) {
      const ex = (px + (sx + 0.5) / SS) / size - o.x - dx;
      const i = Math.floor((cos * ex + sin * ey) * k + c), j = Math.floor((-sin * ex + cos * ey) * k + c);
      if (i >= 0 && j >= 0 && i < MASK_RES && j < MASK_RES && m[j * MASK_RES + i]) hits++;
    }
  }
  return hits / (SS * SS);
}

/**
 * How much of the finish's accent colour covers pixel (px, py) of `o` (0 = its own colour):
 * stripes, spots and checks in the object's frame, in pixels; a shiny object's white highlight.
 */
function accentAt(o: WorldObject, cos: number, sin: number, size: number, px: number, py: number): number {
  const s = size / 64;
  const ex = (px + 0.5) / size - o.x, ey = (py + 0.5) / size - o.y;
  const u = (cos * ex + sin * ey) * size, v = (-sin * ex + cos * ey) * size; // object frame, pixels
  switch (o.finish) {
    case 'plain': case 'outlined': return 0;
    case 'striped': return Math.floor((u + v + 64) / (2.5 * s)) % 2 === 0 ? 0.8 : 0;
    case 'spotted': {
      const g = 5 * s, du = ((u % g) + g) % g - g / 2, dv = ((v % g) + g) % g - g / 2;
      return du * du + dv * dv < (1.3 * s) ** 2 ? 0.85 : 0;
    }
    case 'checkered': return (Math.floor((u + 64) / (3 * s)) + Math.floor((v + 64) / (3 * s))) % 2 === 0 ? 0.75 : 0;
    case 'shiny': return Math.max(0, 0.75 - Math.hypot(u / (o.r * size) + 0.35, v / (o.r * size) + 0.4)) * 0.9;
  }
}

/** Renders `scene` at `size` x `size` pixels. */
export function renderScene(scene: Scene, size: number): RGBImage {
  const rng = new Rng(scene.textureSeed | 0);
  const paint = backgroundPainter(scene.background, rng, size);
  const img = new Float32Array(size * size * 3);
  // low-frequency lighting: a random plane wave of a few grey levels, amp * sin(a x + b y + ph),
  // separable as amp * (sin(a x) cos(b y + ph) + cos(a x) sin(b y + ph))
  const a = (rng.uniform() * 2 - 1) * 18, b = (rng.uniform() * 2 - 1) * 18, ph = rng.uniform() * 6.28, amp = 3 + rng.uniform() * 4;
  const sx = new Float32Array(size), cx = new Float32Array(size);
  for (let px = 0; px < size; px++) { sx[px] = amp * Math.sin((a * (px + 0.5)) / size); cx[px] = amp * Math.cos((a * (px + 0.5)) / size); }
  for (let py = 0; py < size; py++) {
    const y = (py + 0.5) / size, cy = Math.cos(b * y + ph), sy = Math.sin(b * y + ph);
    for (let px = 0; px < size; px++) {
      const p = (py * size + px) * 3;
      paint((px + 0.5) / size, y, px, py, img, p);
      const t = sx[px] * cy + cx[px] * sy;
      img[p] += t; img[p + 1] += t; img[p + 2] += t;
    }
  }
  const bgMean = [0, 1, 2].map((k) => { let s = 0; for (let i = k; i < img.length; i += 3) s += img[i]; return s / (size * size); });
  for (const o of scene.objects) if (o.shadow) drawShadow(img, size, o);
  for (const o of scene.objects) drawObject(img, size, o, scene.style.faded ? bgMean : null);
  if (scene.style.vignette) {
    for (let py = 0; py < size; py++) for (let px = 0; px < size; px++) {
      const d = Math.hypot((px + 0.5) / size - 0.5, (py + 0.5) / size - 0.5);
      const f = 1 - Math.max(0, d - 0.38) * 1.6;
      const p = (py * size + px) * 3;
      for (let k = 0; k < 3; k++) img[p + k] *= f;
    }
  }
  if (scene.style.frame) {
    const light = bgMean[0] + bgMean[1] + bgMean[2] > 3 * 128;
    const w = Math.max(1, Math.round(size / 32));
    for (let py = 0; py < size; py++) for (let px = 0; px < size; px++) {
      if (px >= w && py >= w && px < size - w && py < size - w) continue;
      const p = (py * size + px) * 3;
      for (let k = 0; k < 3; k++) img[p + k] = light ? 40 : 225;
    }
  }
  const grain = scene.style.grainy ? 12 : 3;
  const data = new Uint8Array(size * size * 3);
  const noise = noiseTable(), start = rng.int(NOISE_N), stride = 1 + 2 * rng.int(NOISE_N / 2); // odd stride: a permutation
  for (let i = 0; i < img.length; i++) {
    const v = img[i] + noise[(start + i * stride) & (NOISE_N - 1)] * grain;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return { width: size, height: size, data };
}

// Pixel noise: a fixed table of standard normals read from a random start with a random odd stride
// (drawing a fresh normal for each of the 12,288 values of a 64 x 64 image was most of the
// rendering time).
const NOISE_N = 1 << 16;
let noiseCache: Float32Array | null = null;
function noiseTable(): Float32Array {
  noiseCache ??= new Rng(0x6e6f6973).normals(NOISE_N);
  return noiseCache;
}

function bounds(o: WorldObject, size: number, reach: number, off = 0): [number, number, number, number] {
  const r = o.r * reach;
  return [
    Math.max(0, Math.floor((o.x + off - r) * size)), Math.min(size - 1, Math.ceil((o.x + off + r) * size)),
    Math.max(0, Math.floor((o.y + off - r) * size)), Math.min(size - 1, Math.ceil((o.y + off + r) * size)),
  ];
}

function drawShadow(img: Float32Array, size: number, o: WorldObject): void {
  const off = o.r * 0.22, m = mask(o.cls), cos = Math.cos(o.rot), sin = Math.sin(o.rot);
  const [x0, x1, y0, y1] = bounds(o, size, 1.2, off);
  for (let py = y0; py <= y1; py++) for (let px = x0; px <= x1; px++) {
    const a = coverage(o, m, cos, sin, size, px, py, 1, off, off) * 0.45;
    if (a === 0) continue;
    const p = (py * size + px) * 3;
    for (let k = 0; k < 3; k++) img[p + k] *= 1 - a;
  }
}

/** Draws one object; with `fadeTo`, its colours are blended 35% towards that (background) colour. */
function drawObject(img: Float32Array, size: number, o: WorldObject, fadeTo: number[] | null): void {
  const base = fadeTo ? o.rgb.map((c, i) => c * 0.65 + fadeTo[i] * 0.35) : o.rgb;
  const [x0, x1, y0, y1] = bounds(o, size, 1.2);
  const m = mask(o.cls), cos = Math.cos(o.rot), sin = Math.sin(o.rot);
  const accent = o.finish === 'shiny' ? [255, 255, 255] : o.accent === 'white' ? [245, 245, 245] : [25, 25, 25];
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let a = coverage(o, m, cos, sin, size, px, py);
      if (a === 0) continue;
      // an outlined object is its silhouette minus the silhouette shrunk to 62%: a band along the edge
      if (o.finish === 'outlined') a = Math.max(0, a - coverage(o, m, cos, sin, size, px, py, 0.62));
      if (a === 0) continue;
      const t = accentAt(o, cos, sin, size, px, py);
      const p = (py * size + px) * 3;
      for (let k = 0; k < 3; k++) img[p + k] = img[p + k] * (1 - a) + (base[k] + (accent[k] - base[k]) * t) * a;
    }
  }
}
