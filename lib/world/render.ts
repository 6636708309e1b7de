// Renders a world scene to a small RGB image: a background with a mild low-frequency texture and
// pixel noise, and flat-coloured shapes anti-aliased by 4x4 supersampling of an inside test in
// each object's rotated frame. Pure JS, deterministic from the scene (its textureSeed).
import { Rng } from '../util/rng.ts';
import type { RGBImage } from '../encoders/types.ts';
import { BACKGROUND_RGB, type Shape } from './domains.ts';
import type { Scene, WorldObject } from './scene.ts';

/** Five-pointed star outline in unit-radius coordinates (y down, one point up). */
const STAR: [number, number][] = Array.from({ length: 10 }, (_, i) => {
  const a = -Math.PI / 2 + (i * Math.PI) / 5;
  const rad = i % 2 === 0 ? 1.08 : 0.45;
  return [rad * Math.cos(a), rad * Math.sin(a)];
});

function inPolygon(px: number, py: number, poly: readonly [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether the unit-frame point (u, v) lies inside `shape` (outlines scaled to similar areas). */
export function insideShape(shape: Shape, u: number, v: number): boolean {
  switch (shape) {
    case 'circle': return u * u + v * v <= 1;
    case 'square': return Math.abs(u) <= 0.86 && Math.abs(v) <= 0.86;
    case 'triangle': {
      // equilateral, point up, circumradius 1.2, centroid at the origin
      const R = 1.2;
      if (v > 0.5 * R) return false;
      const h = (v + R) / (1.5 * R); // 0 at the apex, 1 at the base
      return h >= 0 && Math.abs(u) <= h * R * 0.866;
    }
    case 'diamond': return Math.abs(u) + Math.abs(v) <= 1.12;
    case 'star': return inPolygon(u, v, STAR);
    case 'cross': {
      const au = Math.abs(u), av = Math.abs(v);
      return (au <= 0.34 && av <= 1) || (av <= 0.34 && au <= 1);
    }
  }
}

const SS = 4; // supersampling factor per axis

/** Renders `scene` at `size` x `size` pixels. */
export function renderScene(scene: Scene, size: number): RGBImage {
  const rng = new Rng(scene.textureSeed | 0);
  const data = new Uint8Array(size * size * 3);
  const base = BACKGROUND_RGB[scene.background].map((c) => c + (rng.uniform() * 2 - 1) * 8);
  // low-frequency texture: three random plane waves, amplitude a few grey levels
  const waves = Array.from({ length: 3 }, () => ({
    fx: (rng.uniform() * 2 - 1) * 3, fy: (rng.uniform() * 2 - 1) * 3, ph: rng.uniform() * 2 * Math.PI, amp: 2 + rng.uniform() * 4,
  }));
  const img = new Float32Array(size * size * 3);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / size, y = (py + 0.5) / size;
      let t = 0;
      for (const w of waves) t += w.amp * Math.sin(2 * Math.PI * (w.fx * x + w.fy * y) + w.ph);
      const p = (py * size + px) * 3;
      for (let c = 0; c < 3; c++) img[p + c] = base[c] + t;
    }
  }
  drawPattern(img, size, scene);
  const faded = scene.style?.faded ?? false;
  for (const o of scene.objects) drawObject(img, size, o, faded ? base : null);
  if (scene.style?.frame) {
    const light = base[0] + base[1] + base[2] > 3 * 128;
    for (let k = 0; k < size; k++) {
      for (const [px, py] of [[k, 0], [k, size - 1], [0, k], [size - 1, k]]) {
        const p = (py * size + px) * 3;
        for (let c = 0; c < 3; c++) img[p + c] = light ? 40 : 225;
      }
    }
  }
  const grain = scene.style?.grainy ? 11 : 3;
  for (let i = 0; i < img.length; i++) {
    const v = img[i] + rng.normal() * grain;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return { width: size, height: size, data };
}

/** A faint background pattern (darker on light backgrounds, lighter on dark ones), in pixel units. */
function drawPattern(img: Float32Array, size: number, scene: Scene): void {
  if (scene.pattern === 'plain') return;
  const base = BACKGROUND_RGB[scene.background];
  const sign = base[0] + base[1] + base[2] > 3 * 128 ? -1 : 1;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let a = 0;
      if (scene.pattern === 'stripes') a = ((px + py) % 6) < 2 ? 16 : 0;
      else if (scene.pattern === 'dots') a = px % 5 === 2 && py % 5 === 2 ? 30 : 0;
      else if (scene.pattern === 'grid') a = px % 8 === 0 || py % 8 === 0 ? 18 : 0;
      if (a === 0) continue;
      const p = (py * size + px) * 3;
      for (let c = 0; c < 3; c++) img[p + c] += sign * a;
    }
  }
}

/** Draws one object; with `fadeTo`, its colour is blended 35% towards that background colour. */
function drawObject(img: Float32Array, size: number, o: WorldObject, fadeTo: number[] | null): void {
  const rgb = fadeTo ? o.rgb.map((c, i) => c * 0.65 + fadeTo[i] * 0.35) : o.rgb;
  const cos = Math.cos(o.rot), sin = Math.sin(o.rot);
  const reach = o.r * 1.25;
  const x0 = Math.max(0, Math.floor((o.x - reach) * size)), x1 = Math.min(size - 1, Math.ceil((o.x + reach) * size));
  const y0 = Math.max(0, Math.floor((o.y - reach) * size)), y1 = Math.min(size - 1, Math.ceil((o.y + reach) * size));
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let hits = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const dx = (px + (sx + 0.5) / SS) / size - o.x, dy = (py + (sy + 0.5) / SS) / size - o.y;
          const u = (cos * dx + sin * dy) / o.r, v = (-sin * dx + cos * dy) / o.r;
          if (insideShape(o.shape, u, v)) hits++;
        }
      }
      if (hits === 0) continue;
      const a = hits / (SS * SS);
      const p = (py * size + px) * 3;
      for (let c = 0; c < 3; c++) img[p + c] = img[p + c] * (1 - a) + rgb[c] * a;
    }
  }
}
