// Scenes of the built-in world (world v3, in the spirit of ShapeWorld, Kuhnle & Copestake 2017):
// 1-5 non-overlapping objects in one of 16 scene types. Each object has a class (32 silhouettes,
// objects.ts), a colour, a size class (small / medium / large, far apart), a finish (plain,
// striped, spotted, checkered, outlined, shiny), a position and a small rotation. Also visual
// detail that only the encoder's pre-training ("web") captions mention and COCO-like captions never
// do: colour shades, a tilt, drop shadows, the finish's second colour, and a picture-wide style
// (frame, grain, faded colours, vignette). And the geometric facts captions may state (regions,
// pairwise relations), each with a margin so that a stated fact is clearly true in the picture.
import type { Rng } from '../util/rng.ts';
import { type Colour, type DomainName, type SceneType, COLOUR_RGB, DOMAIN_SPECS, SCENE_SPECS, classWeights } from './domains.ts';
import { type ObjectClass } from './objects.ts';

export const SIZE_CLASSES = ['small', 'medium', 'large'] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number];

export const FINISHES = ['plain', 'striped', 'spotted', 'checkered', 'outlined', 'shiny'] as const;
export type Finish = (typeof FINISHES)[number];
const FINISH_WEIGHTS: Record<Finish, number> = { plain: 0.5, striped: 0.1, spotted: 0.1, checkered: 0.08, outlined: 0.1, shiny: 0.12 };

export type Shade = 'normal' | 'light' | 'dark';
/** Colours that come in light and dark shades (the rest are always 'normal'). */
export const SHADED_COLOURS: ReadonlySet<Colour> = new Set(['red', 'green', 'blue', 'purple', 'pink', 'teal']);

export interface WorldObject {
  cls: ObjectClass;
  colour: Colour;
  size: SizeClass;
  finish: Finish;
  /** Centre, as a fraction of the image side (x to the right, y downwards). */
  x: number;
  y: number;
  /** Radius as a fraction of the image side. */
  r: number;
  /** Rotation in radians; |rot| > TILT is "tilted" (web captions only). */
  rot: number;
  /** Light or dark shade of the colour (web captions only). */
  shade: Shade;
  /** Second colour of a striped / spotted / checkered finish (web captions only). */
  accent: 'white' | 'black';
  /** A drop shadow under the object (web captions only). */
  shadow: boolean;
  /** The drawn colour (the named colour, shaded, with a little jitter). */
  rgb: [number, number, number];
}

export interface PictureStyle {
  frame: boolean;
  grainy: boolean;
  faded: boolean;
  vignette: boolean;
}

export interface Scene {
  domain: DomainName;
  background: SceneType;
  objects: WorldObject[];
  /** Seed of the background texture and pixel noise. */
  textureSeed: number;
  /** Picture-wide style, mentioned only by pre-training captions. */
  style: PictureStyle;
}

/** Radius ranges (fraction of the image side) of the size classes; far apart, so a size word is never in doubt. */
export const RADIUS: Record<SizeClass, [number, number]> = { small: [0.07, 0.085], medium: [0.105, 0.125], large: [0.15, 0.18] };
/** Rotation beyond which web captions call an object tilted (radians). */
export const TILT = 0.3;

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

/** Whether an object of `colour` stands out in a scene of type `bg`. */
export function visibleOn(colour: Colour, bg: SceneType): boolean {
  return !SCENE_SPECS[bg].hides.includes(colour);
}

function sampleObject(rng: Rng, domain: DomainName, bg: SceneType, size: SizeClass): Omit<WorldObject, 'x' | 'y'> {
  const spec = DOMAIN_SPECS[domain];
  const cls = weighted(rng, classWeights(spec));
  let colour = weighted(rng, spec.colourWeights);
  while (!visibleOn(colour, bg)) colour = weighted(rng, spec.colourWeights);
  const [r0, r1] = RADIUS[size];
  const r = r0 + (r1 - r0) * rng.uniform();
  const tilted = rng.uniform() < 0.25;
  const rot = tilted ? (rng.uniform() < 0.5 ? -1 : 1) * (0.4 + 0.25 * rng.uniform()) : (rng.uniform() * 2 - 1) * 0.12;
  const u = rng.uniform();
  const shade: Shade = !SHADED_COLOURS.has(colour) ? 'normal' : u < 0.4 ? 'normal' : u < 0.7 ? 'light' : 'dark';
  const shaded = COLOUR_RGB[colour].map((c) => (shade === 'light' ? c + (255 - c) * 0.38 : shade === 'dark' ? c * 0.66 : c));
  const rgb = shaded.map((c) => Math.max(0, Math.min(255, Math.round(c + (rng.uniform() * 2 - 1) * 10)))) as [number, number, number];
  const finish = weighted(rng, FINISH_WEIGHTS);
  const accent = colour === 'white' || colour === 'yellow' || colour === 'pink' || shade === 'light' ? 'black' : colour === 'black' ? 'white' : rng.uniform() < 0.6 ? 'white' : 'black';
  return { cls, colour, size, finish, r, rot, shade, accent, shadow: rng.uniform() < 0.35, rgb };
}

/** Samples one scene of `domain`: scene type, 1-5 objects placed without overlap, picture style. */
export function sampleScene(rng: Rng, domain: DomainName): Scene {
  const spec = DOMAIN_SPECS[domain];
  const background = weighted(rng, spec.sceneWeights);
  const u = rng.uniform();
  let n = 1, acc = spec.countWeights[0];
  while (u >= acc && n < 5) acc += spec.countWeights[n++];
  for (let attempt = 0; ; attempt++) {
    // more objects leave less room: after failed attempts, sizes shrink
    const sizes = Array.from({ length: n }, () => {
      const s = SIZE_CLASSES[Number(weighted(rng, { 0: spec.sizeWeights[0], 1: spec.sizeWeights[1], 2: spec.sizeWeights[2] }))];
      return attempt > 3 && s === 'large' ? 'medium' : attempt > 8 ? 'small' : s;
    });
    const objects: WorldObject[] = [];
    for (const size of sizes) {
      const o = sampleObject(rng, domain, background, size);
      for (let t = 0; t < 80; t++) {
        const margin = o.r * 1.1 + 0.025;
        const x = margin + (1 - 2 * margin) * rng.uniform();
        const y = margin + (1 - 2 * margin) * rng.uniform();
        // clear space between any two objects (no overlap, no touching)
        if (objects.every((p) => Math.hypot(p.x - x, p.y - y) > 1.1 * (p.r + o.r) + 0.04)) {
          objects.push({ ...o, x, y });
          break;
        }
      }
    }
    if (objects.length === n) {
      return {
        domain, background, objects, textureSeed: rng.nextU32(),
        style: { frame: rng.uniform() < 0.3, grainy: rng.uniform() < 0.4, faded: rng.uniform() < 0.3, vignette: rng.uniform() < 0.3 },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Facts a caption may state. Every predicate uses margins: when a fact is borderline it is false,
// so a caption that states it is clearly true.

export type HRegion = 'left' | 'center' | 'right';
export type VRegion = 'top' | 'middle' | 'bottom';

export function hRegion(o: Pick<WorldObject, 'x'>): HRegion | null {
  if (o.x < 0.36) return 'left';
  if (o.x > 0.64) return 'right';
  if (o.x > 0.42 && o.x < 0.58) return 'center';
  return null;
}

export function vRegion(o: Pick<WorldObject, 'y'>): VRegion | null {
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

/** a and b are close together (gap between their outlines under 0.12 of the image). */
export function nextTo(a: WorldObject, b: WorldObject): boolean {
  return Math.hypot(a.x - b.x, a.y - b.y) - a.r - b.r < 0.12;
}

const SIZE_RANK: Record<SizeClass, number> = { small: 0, medium: 1, large: 2 };

/** a is clearly bigger than b (a larger size class). */
export function biggerThan(a: WorldObject, b: WorldObject): boolean {
  return SIZE_RANK[a.size] > SIZE_RANK[b.size];
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
export function countMatching(scene: Scene, d: { cls?: ObjectClass; colour?: Colour; size?: SizeClass; finish?: Finish }): number {
  return scene.objects.filter((o) => (!d.cls || o.cls === d.cls) && (!d.colour || o.colour === d.colour) && (!d.size || o.size === d.size) && (!d.finish || o.finish === d.finish)).length;
}

/**
 * How much an object draws the eye: size first, then a patterned finish and a place near the
 * centre. Caption writers mention salient objects first and most often, as COCO annotators do.
 */
export function salience(o: WorldObject): number {
  const size = { small: 0.45, medium: 1, large: 2.1 }[o.size];
  const finish = o.finish === 'plain' ? 1 : 1.3;
  const central = 1.25 - Math.hypot(o.x - 0.5, o.y - 0.5);
  return size * finish * central;
}
