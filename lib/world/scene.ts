// Scenes of the built-in world (in the spirit of ShapeWorld, Kuhnle & Copestake 2017): 1-3
// non-overlapping objects, each with a shape, colour, size class, position and small rotation,
// on a textured background. Also the geometric facts captions may state (regions, pairwise
// relations), each with a margin so that a stated fact is clearly true in the picture.
import type { Rng } from '../util/rng.ts';
import {
  type Background, type Colour, type DomainName, type Shape,
  COLOUR_RGB, DOMAIN_SPECS, SHAPES,
} from './domains.ts';

export type SizeClass = 'small' | 'large';

/**
 * Background patterns and object shades: visual detail that the encoder's pre-training ("web")
 * captions mention and the COCO-like captioning splits never do, as web captions describe far more
 * of an image than COCO annotators. The image tower learns them; the captioning texts carry none of
 * them. This is what leaves image embeddings with variance the text side lacks (see docs/world.md).
 */
export const PATTERNS = ['plain', 'stripes', 'dots', 'grid'] as const;
export type Pattern = (typeof PATTERNS)[number];
export type Shade = 'normal' | 'light' | 'dark';
/** Colours that come in light and dark shades (the rest are always 'normal'). */
export const SHADED_COLOURS: ReadonlySet<Colour> = new Set(['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'pink']);

export interface WorldObject {
  shape: Shape;
  colour: Colour;
  size: SizeClass;
  /** Centre, as a fraction of the image side (x to the right, y downwards). */
  x: number;
  y: number;
  /** Radius as a fraction of the image side. */
  r: number;
  /** Rotation in radians (small: squares stay squares, diamonds stay diamonds). */
  rot: number;
  /** Light or dark shade of the colour (pre-training captions may say "light red"). */
  shade: Shade;
  /** The drawn colour (the named colour, shaded, with a little jitter). */
  rgb: [number, number, number];
}

export interface Scene {
  domain: DomainName;
  background: Background;
  objects: WorldObject[];
  /** Seed of the background texture and pixel noise. */
  textureSeed: number;
  /** Faint pattern over the background. */
  pattern: Pattern;
  /** Picture-wide style, also mentioned only by pre-training captions: a 1-pixel frame, strong pixel grain, faded colours. */
  style: { frame: boolean; grainy: boolean; faded: boolean };
}

/** Radius ranges (fraction of the image side) of the two size classes; far apart, so "small"/"large" are never in doubt. */
export const RADIUS: Record<SizeClass, [number, number]> = { small: [0.095, 0.12], large: [0.17, 0.21] };

function weighted<T extends string>(rng: Rng, weights: Partial<Record<T, number>>): T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let u = rng.uniform() * total;
  for (const [k, w] of entries) {
    u -= w;
    if (u < 0) return k;
  }
  return entries[entries.length - 1][0];
}

export function pickWeighted<T extends string>(rng: Rng, weights: Partial<Record<T, number>>): T {
  return weighted(rng, weights);
}

const DARK: ReadonlySet<Background> = new Set(['dark grey', 'dark blue', 'dark green']);

/** Whether an object of `colour` would stand out on `bg` (no black on dark, no white/grey on light). */
export function visibleOn(colour: Colour, bg: Background): boolean {
  if (DARK.has(bg)) return colour !== 'black' && colour !== 'brown' && !(colour === 'blue' && bg === 'dark blue') && !(colour === 'green' && bg === 'dark green');
  return colour !== 'white' && !(colour === 'grey' && bg === 'light grey');
}

/** Samples one scene of `domain`. */
export function sampleScene(rng: Rng, domain: DomainName): Scene {
  const spec = DOMAIN_SPECS[domain];
  const background = weighted(rng, spec.backgroundWeights);
  const u = rng.uniform();
  const n = u < spec.countWeights[0] ? 1 : u < spec.countWeights[0] + spec.countWeights[1] ? 2 : 3;
  for (;;) {
    const objects: WorldObject[] = [];
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const shape = weighted(rng, spec.shapeWeights);
      let colour = weighted(rng, spec.colourWeights);
      for (let t = 0; t < 20 && !visibleOn(colour, background); t++) colour = weighted(rng, spec.colourWeights);
      if (!visibleOn(colour, background)) { ok = false; break; }
      const size: SizeClass = rng.uniform() < spec.largeProb ? 'large' : 'small';
      const [r0, r1] = RADIUS[size];
      const r = r0 + (r1 - r0) * rng.uniform();
      let placed = false;
      for (let t = 0; t < 60 && !placed; t++) {
        const margin = r + 0.03;
        const x = margin + (1 - 2 * margin) * rng.uniform();
        const y = margin + (1 - 2 * margin) * rng.uniform();
        // at least 0.05 of clear space between any two objects (no overlap, no touching)
        if (objects.every((o) => Math.hypot(o.x - x, o.y - y) > o.r + r + 0.05)) {
          const rot = (rng.uniform() * 2 - 1) * 0.17;
          const u = rng.uniform();
          // dark yellow / dark orange would look olive / brown: those two only come light
          const shade: Shade = !SHADED_COLOURS.has(colour) ? 'normal' : u < 0.4 ? 'normal' : u < 0.7 ? 'light'
            : colour === 'yellow' || colour === 'orange' ? 'normal' : 'dark';
          const shaded = COLOUR_RGB[colour].map((c) => (shade === 'light' ? c + (255 - c) * 0.4 : shade === 'dark' ? c * 0.68 : c));
          const rgb = shaded.map((c) => Math.max(0, Math.min(255, Math.round(c + (rng.uniform() * 2 - 1) * 12)))) as [number, number, number];
          objects.push({ shape, colour, size, x, y, r, rot, shade, rgb });
          placed = true;
        }
      }
      if (!placed) ok = false;
    }
    if (ok) {
      return {
        domain, background, objects, textureSeed: rng.nextU32(), pattern: PATTERNS[rng.int(PATTERNS.length)],
        style: { frame: rng.uniform() < 0.5, grainy: rng.uniform() < 0.5, faded: rng.uniform() < 0.5 },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Facts a caption may state. Every predicate uses margins: when a fact is borderline it is false,
// so a caption that states it is clearly true.

export type HRegion = 'left' | 'center' | 'right';
export type VRegion = 'top' | 'middle' | 'bottom';

export function hRegion(o: WorldObject): HRegion | null {
  if (o.x < 0.36) return 'left';
  if (o.x > 0.64) return 'right';
  if (o.x > 0.42 && o.x < 0.58) return 'center';
  return null;
}

export function vRegion(o: WorldObject): VRegion | null {
  if (o.y < 0.36) return 'top';
  if (o.y > 0.64) return 'bottom';
  if (o.y > 0.42 && o.y < 0.58) return 'middle';
  return null;
}

/** a is clearly to the left of b. */
export function leftOf(a: WorldObject, b: WorldObject): boolean {
  return b.x - a.x > Math.max(a.r, b.r) + 0.04;
}

/** a is clearly above b. */
export function above(a: WorldObject, b: WorldObject): boolean {
  return b.y - a.y > Math.max(a.r, b.r) + 0.04;
}

/** a and b are close together (gap between their outlines under 0.14 of the image). */
export function nextTo(a: WorldObject, b: WorldObject): boolean {
  return Math.hypot(a.x - b.x, a.y - b.y) - a.r - b.r < 0.14;
}

/** a is clearly bigger than b (different size classes). */
export function biggerThan(a: WorldObject, b: WorldObject): boolean {
  return a.size === 'large' && b.size === 'small';
}

export type Relation = 'left' | 'right' | 'above' | 'below' | 'next' | 'bigger' | 'smaller';

/** Every relation that holds from a to b. */
export function relations(a: WorldObject, b: WorldObject): Relation[] {
  const out: Relation[] = [];
  if (leftOf(a, b)) out.push('left');
  if (leftOf(b, a)) out.push('right');
  if (above(a, b)) out.push('above');
  if (above(b, a)) out.push('below');
  if (nextTo(a, b)) out.push('next');
  if (biggerThan(a, b)) out.push('bigger');
  if (biggerThan(b, a)) out.push('smaller');
  return out;
}

/** Objects of the scene matching a partial description (used to state exact counts). */
export function countMatching(scene: Scene, d: { shape?: Shape; colour?: Colour; size?: SizeClass }): number {
  return scene.objects.filter((o) => (!d.shape || o.shape === d.shape) && (!d.colour || o.colour === d.colour) && (!d.size || o.size === d.size)).length;
}

export { SHAPES };
