// Caption writer of the built-in world: five distinct captions per image written the way people
// write COCO / Flickr captions — varied sentence forms ("A red ball next to a blue box.", "There
// are two shapes on a dark background", "Two stars, one pink and one white."), synonyms ("box" /
// "square", "ball" / "circle"), different subsets of what is visible, exact counts, relations,
// positions, and a domain's own style (tidy COCO-like vs Flickr-like " ." endings and lower-case
// starts). Every statement is checked against the scene with the margins of scene.ts: a caption
// may leave things out but never states something false (counts are exact counts of the scene;
// relations, regions and sizes hold with a margin; "alone", "same colour", "different colours"
// are checked). test/world/captions.test.ts verifies this with an independent parser.
import type { Rng } from '../util/rng.ts';
import { BACKGROUND_WORDS, DOMAIN_SPECS, type CaptionStyle, type Colour, type Shape } from './domains.ts';
import {
  type Pattern, type Relation, type Scene, type WorldObject,
  countMatching, hRegion, relations, vRegion,
} from './scene.ts';

// ----------------------------------------------------------------------------------- vocabulary

/** Nouns for each shape: [singular, plural, weight, onlySmall]. */
export const SHAPE_NOUNS: Record<Shape, [string, string, number, boolean?][]> = {
  circle: [['circle', 'circles', 3], ['ball', 'balls', 2], ['dot', 'dots', 1, true], ['disc', 'discs', 0.4]],
  square: [['square', 'squares', 3], ['box', 'boxes', 2], ['block', 'blocks', 1]],
  triangle: [['triangle', 'triangles', 1]],
  diamond: [['diamond', 'diamonds', 4], ['rhombus', 'rhombuses', 0.4]],
  star: [['star', 'stars', 1]],
  cross: [['cross', 'crosses', 3], ['plus sign', 'plus signs', 1]],
};

export const GENERIC_NOUNS: [string, string, number][] = [['shape', 'shapes', 4], ['object', 'objects', 2], ['figure', 'figures', 0.5]];

export const SIZE_WORDS = { small: ['small', 'little'], large: ['large', 'big'] } as const;

export const COLOUR_WORDS: Record<Colour, string[]> = {
  red: ['red'], green: ['green'], blue: ['blue'], yellow: ['yellow'], purple: ['purple'], orange: ['orange'],
  pink: ['pink'], white: ['white'], black: ['black'], grey: ['grey', 'gray'], brown: ['brown'],
};

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four'];
const PICTURE_WORDS = ['picture', 'image', 'drawing', 'illustration'];

// ------------------------------------------------------------------------------------- helpers

function pickW<T>(rng: Rng, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((s, t) => s + weight(t), 0);
  let u = rng.uniform() * total;
  for (const t of items) {
    u -= weight(t);
    if (u < 0) return t;
  }
  return items[items.length - 1];
}

export function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}

function joinList(items: string[], rng: Rng): string {
  if (items.length === 1) return items[0];
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  const oxford = rng.uniform() < 0.3 ? ',' : '';
  return `${items.slice(0, -1).join(', ')}${oxford} and ${items[items.length - 1]}`;
}

interface Ctx {
  scene: Scene;
  rng: Rng;
  style: CaptionStyle;
}

function shapeNoun(ctx: Ctx, o: WorldObject | { shape: Shape; size?: 'small' | 'large' }, plural = false): string {
  const opts = SHAPE_NOUNS[o.shape].filter((n) => !n[3] || o.size === 'small');
  const n = pickW(ctx.rng, opts, (x) => x[2]);
  return plural ? n[1] : n[0];
}

function genericNoun(ctx: Ctx, plural = false): string {
  const n = pickW(ctx.rng, GENERIC_NOUNS, (x) => x[2]);
  return plural ? n[1] : n[0];
}

function colourWord(ctx: Ctx, c: Colour): string {
  return ctx.rng.pick(COLOUR_WORDS[c]);
}

function sizeWord(ctx: Ctx, o: WorldObject): string {
  return ctx.rng.pick(SIZE_WORDS[o.size]);
}

/** A noun phrase without article for one object: [size] [colour] noun, with the attributes chosen at random. */
function objectPhrase(ctx: Ctx, o: WorldObject, opts: { colour?: boolean; size?: boolean; generic?: boolean } = {}): string {
  const { rng, style } = ctx;
  const useColour = opts.colour ?? rng.uniform() < 0.9;
  const useSize = opts.size ?? rng.uniform() < style.sizeWord;
  let generic = opts.generic ?? rng.uniform() < 0.08;
  if (generic && !useColour && !useSize) generic = false; // "a shape" alone says almost nothing
  const words: string[] = [];
  if (useSize) words.push(sizeWord(ctx, o));
  if (useColour) words.push(colourWord(ctx, o.colour));
  words.push(generic ? genericNoun(ctx) : shapeNoun(ctx, o));
  return words.join(' ');
}

function np(ctx: Ctx, o: WorldObject, opts?: { colour?: boolean; size?: boolean; generic?: boolean }): string {
  return withArticle(objectPhrase(ctx, o, opts));
}

/**
 * Describes all objects (or `subset`), grouping identical colour+shape objects under exact counts
 * ("two red balls and a blue box"). Counts are counts over the whole scene, so they stay true
 * when only a subset is listed.
 */
function listPhrase(ctx: Ctx, subset?: WorldObject[]): string {
  const objs = subset ?? ctx.scene.objects;
  const groups = new Map<string, WorldObject[]>();
  for (const o of objs) {
    const k = `${o.colour}/${o.shape}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(o);
  }
  const parts: string[] = [];
  for (const g of groups.values()) {
    const o = g[0];
    const total = countMatching(ctx.scene, { colour: o.colour, shape: o.shape });
    if (total === 1) parts.push(np(ctx, o));
    else if (g.length === total) {
      // all of them are in the list: "two red balls" (add a size word only if all share the size)
      const sameSize = g.every((x) => x.size === o.size);
      const size = sameSize && ctx.rng.uniform() < ctx.style.sizeWord * 0.6 ? `${sizeWord(ctx, o)} ` : '';
      parts.push(`${NUMBER_WORDS[total]} ${size}${colourWord(ctx, o.colour)} ${shapeNoun(ctx, { shape: o.shape, size: sameSize ? o.size : 'large' }, true)}`);
    } else {
      for (const x of g) parts.push(np(ctx, x, { size: true }));
    }
  }
  ctx.rng.shuffle(parts);
  return joinList(parts, ctx.rng);
}

function backgroundPhrase(ctx: Ctx): string {
  const w = ctx.rng.pick(BACKGROUND_WORDS[ctx.scene.background]);
  return ctx.rng.pick([`on ${withArticle(w)} background`, `on ${withArticle(w)} background`, `against ${withArticle(w)} background`, `on ${withArticle(w)} backdrop`]);
}

/** Where an object is, when its position is clearly in a region; null otherwise. */
function locationPhrase(ctx: Ctx, o: WorldObject): string | null {
  const h = hRegion(o), v = vRegion(o);
  const pic = ctx.rng.pick(PICTURE_WORDS.slice(0, 2));
  if ((h === 'left' || h === 'right') && (v === 'top' || v === 'bottom')) {
    return ctx.rng.pick([`in the ${v} ${h} corner`, `in the ${v} ${h} corner of the ${pic}`, `at the ${v} ${h}`]);
  }
  if (h === 'center' && v === 'middle') return ctx.rng.pick(['in the center', `in the middle of the ${pic}`, `in the center of the ${pic}`]);
  if ((h === 'left' || h === 'right') && (v === 'middle' || v === null || ctx.rng.uniform() < 0.5)) {
    return ctx.rng.pick([`on the ${h}`, `on the ${h} side`, `on the ${h} side of the ${pic}`, `on the ${h} of the ${pic}`]);
  }
  if (v === 'top' || v === 'bottom') {
    return ctx.rng.pick([`at the ${v}`, `at the ${v} of the ${pic}`, `near the ${v} of the ${pic}`]);
  }
  return null;
}

const REL_WORDS: Record<Relation, string[]> = {
  left: ['to the left of', 'left of', 'on the left of'],
  right: ['to the right of', 'right of', 'on the right of'],
  above: ['above', 'over'],
  below: ['below', 'under', 'beneath'],
  next: ['next to', 'beside', 'near', 'close to'],
  bigger: ['bigger than', 'larger than'],
  smaller: ['smaller than'],
};

const VERBS_SG = ['is sitting', 'sits', 'is placed', 'is shown'];
const VERBS_PL = ['are sitting', 'sit', 'are placed', 'are shown'];

function verb(ctx: Ctx, plural: boolean): string {
  return ctx.rng.pick(plural ? VERBS_PL : VERBS_SG);
}

// ------------------------------------------------------------------------------------ templates

type Template = (ctx: Ctx) => string | null;

const FAMILIES: Record<string, { weight: number; templates: Template[] }> = {
  list: {
    weight: 3,
    templates: [
      (c) => `${listPhrase(c)} ${backgroundPhrase(c)}`,
      (c) => `${withArticle(c.rng.pick(PICTURE_WORDS))} of ${listPhrase(c)}`,
      (c) => `${withArticle(c.rng.pick(PICTURE_WORDS))} of ${listPhrase(c)} ${backgroundPhrase(c)}`,
      (c) => c.rng.uniform() < c.style.verbs
        ? `${listPhrase(c)} ${verb(c, c.scene.objects.length > 1)} ${backgroundPhrase(c)}`
        : `${listPhrase(c)}${c.scene.objects.length > 1 ? ' together' : ''} ${backgroundPhrase(c)}`,
      (c) => (c.scene.objects.length === 3 ? `${listPhrase(c, c.rng.shuffle(c.scene.objects.slice()).slice(0, 2))} ${backgroundPhrase(c)}` : null),
    ],
  },
  count: {
    weight: 2,
    templates: [
      (c) => {
        const n = c.scene.objects.length;
        if (n === 1) return null;
        return `${NUMBER_WORDS[n]} ${genericNoun(c, true)} ${backgroundPhrase(c)}`;
      },
      (c) => {
        const n = c.scene.objects.length;
        if (n === 1) return null;
        const cols = new Set(c.scene.objects.map((o) => o.colour));
        if (cols.size === 1) return `${NUMBER_WORDS[n]} ${colourWord(c, c.scene.objects[0].colour)} ${genericNoun(c, true)} ${new Set(c.scene.objects.map((o) => o.shape)).size === n && c.rng.uniform() < 0.5 ? 'of different kinds' : backgroundPhrase(c)}`;
        if (cols.size === n) return `${NUMBER_WORDS[n]} ${genericNoun(c, true)} of different colors ${backgroundPhrase(c)}`;
        // two of one colour, one of another
        const [maj] = [...cols].filter((col) => countMatching(c.scene, { colour: col }) === 2);
        const min = c.scene.objects.find((o) => o.colour !== maj)!;
        return `two ${colourWord(c, maj)} ${genericNoun(c, true)} and ${np(c, min)}`;
      },
      (c) => {
        const objs = c.scene.objects, n = objs.length;
        if (n === 1 || new Set(objs.map((o) => o.shape)).size !== 1) return null;
        const noun = shapeNoun(c, { shape: objs[0].shape, size: objs.every((o) => o.size === 'small') ? 'small' : 'large' }, true);
        const cols = [...new Set(objs.map((o) => o.colour))];
        if (cols.length === 1) return `${NUMBER_WORDS[n]} ${noun}, ${n === 2 ? 'both' : 'all'} ${colourWord(c, cols[0])}`;
        if (cols.length === n) return `${NUMBER_WORDS[n]} ${noun}, ${joinList(objs.map((o) => `one ${colourWord(c, o.colour)}`), c.rng)}`;
        return `${NUMBER_WORDS[n]} ${noun} in ${NUMBER_WORDS[cols.length]} different colors`;
      },
      (c) => {
        const n = c.scene.objects.length;
        if (n === 1) return null;
        return `${withArticle(c.rng.pick(PICTURE_WORDS))} with ${NUMBER_WORDS[n]} ${genericNoun(c, true)}: ${listPhrase(c)}`;
      },
      (c) => {
        const n = c.scene.objects.length;
        if (n === 1) return null;
        return `${NUMBER_WORDS[n]} ${genericNoun(c, true)}, ${listPhrase(c)}, ${backgroundPhrase(c)}`;
      },
    ],
  },
  relation: {
    weight: 3,
    templates: [
      (c) => relationSentence(c, 'plain'),
      (c) => relationSentence(c, 'is'),
      (c) => relationSentence(c, 'bg'),
      (c) => relationSentence(c, 'verb'),
    ],
  },
  position: {
    weight: 2,
    templates: [
      (c) => {
        const o = c.rng.pick(c.scene.objects);
        const loc = locationPhrase(c, o);
        if (!loc) return null;
        return `${np(c, o)} ${loc}`;
      },
      (c) => {
        const o = c.rng.pick(c.scene.objects);
        const loc = locationPhrase(c, o);
        if (!loc) return null;
        return `${np(c, o)} ${c.rng.uniform() < c.style.verbs ? verb(c, false) + ' ' : ''}${loc} ${backgroundPhrase(c)}`;
      },
      (c) => {
        if (c.scene.objects.length < 2) return null;
        const [a, b] = c.rng.shuffle(c.scene.objects.slice());
        const la = locationPhrase(c, a), lb = locationPhrase(c, b);
        if (!la || !lb) return null;
        return `${np(c, a)} ${la} and ${np(c, b)} ${lb}`;
      },
    ],
  },
  thereis: {
    weight: 2,
    templates: [
      (c) => {
        const o = c.rng.pick(c.scene.objects);
        const loc = locationPhrase(c, o);
        return `there is ${np(c, o)} ${loc ?? backgroundPhrase(c)}`;
      },
      (c) => {
        const n = c.scene.objects.length;
        if (n === 1) return `there is only one ${genericNoun(c)} in the ${c.rng.pick(PICTURE_WORDS)}, ${np(c, c.scene.objects[0])}`;
        return `there are ${NUMBER_WORDS[n]} ${genericNoun(c, true)} ${backgroundPhrase(c)}`;
      },
      (c) => {
        const l = listPhrase(c);
        return `there ${/^an? /.test(l) ? 'is' : 'are'} ${l} ${backgroundPhrase(c)}`;
      },
      (c) => {
        const r = relationSentence(c, 'plain');
        return r ? `there is ${r}` : null;
      },
    ],
  },
  scene: {
    weight: 1.5,
    templates: [
      (c) => `${withArticle(c.rng.pick(BACKGROUND_WORDS[c.scene.background]))} background with ${listPhrase(c)} on it`,
      (c) => `a simple ${c.rng.pick(PICTURE_WORDS)} of ${listPhrase(c)}`,
      (c) => (c.scene.objects.length > 1 ? `some ${new Set(c.scene.objects.map((o) => o.colour)).size > 1 && c.rng.uniform() < 0.5 ? 'colorful ' : ''}${genericNoun(c, true)} ${backgroundPhrase(c)}, including ${np(c, c.rng.pick(c.scene.objects))}` : null),
      (c) => `${withArticle(c.rng.pick(BACKGROUND_WORDS[c.scene.background]))} ${c.rng.pick(PICTURE_WORDS)} showing ${listPhrase(c)}`,
    ],
  },
  single: {
    weight: 2.5,
    templates: [
      (c) => (c.scene.objects.length === 1 ? `a single ${objectPhrase(c, c.scene.objects[0], { colour: true, generic: false })} ${backgroundPhrase(c)}` : null),
      (c) => (c.scene.objects.length === 1 ? `${np(c, c.scene.objects[0])} ${c.rng.uniform() < c.style.verbs ? verb(c, false) + ' ' : ''}alone ${backgroundPhrase(c)}` : null),
      (c) => (c.scene.objects.length === 1 ? `just one ${objectPhrase(c, c.scene.objects[0], { colour: true, generic: false })} in the ${c.rng.pick(PICTURE_WORDS)}` : null),
      (c) => (c.scene.objects.length === 1 ? `only ${np(c, c.scene.objects[0], { size: true })} and nothing else ${backgroundPhrase(c)}` : null),
    ],
  },
};

/** "A red ball to the left of a blue box", with a relation that holds (null when none does). */
function relationSentence(c: Ctx, form: 'plain' | 'is' | 'bg' | 'verb'): string | null {
  const objs = c.scene.objects;
  if (objs.length < 2) return null;
  const pairs: [WorldObject, WorldObject, Relation][] = [];
  for (const a of objs) for (const b of objs) if (a !== b) for (const r of relations(a, b)) pairs.push([a, b, r]);
  if (pairs.length === 0) return null;
  const [a, b, r] = c.rng.pick(pairs);
  const rel = c.rng.pick(REL_WORDS[r]);
  const sizeRel = r === 'bigger' || r === 'smaller';
  // for size relations the size words would be redundant, and "a small ball bigger than..." impossible anyway
  const A = np(c, a, sizeRel ? { size: false } : undefined), B = np(c, b, sizeRel ? { size: false } : undefined);
  switch (form) {
    case 'plain': return sizeRel ? `${A} that is ${rel} ${B}` : `${A} ${rel} ${B}`;
    case 'is': return `${A} is ${rel} ${B}`;
    case 'bg': return `${A} ${sizeRel ? 'that is ' : ''}${rel} ${B} ${backgroundPhrase(c)}`;
    case 'verb': return sizeRel ? `${A} which is ${rel} ${B}` : `${A} ${verb(c, false)} ${rel} ${B}`;
  }
}

// --------------------------------------------------------------------------------------- style

function applyStyle(text: string, ctx: Ctx): string {
  let s = text.replace(/\s+/g, ' ').trim();
  const { rng, style } = ctx;
  if (rng.uniform() >= style.lowerStart) s = s[0].toUpperCase() + s.slice(1);
  const u = rng.uniform();
  if (u < style.noStop) return s;
  if (u < style.noStop + style.spacedStop) return `${s} .`;
  return `${s}.`;
}

/** Normal form used to decide whether two captions are "the same": lower case, letters and digits only. */
export function captionKey(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

export const PATTERN_PHRASES: Record<Pattern, string[]> = {
  plain: ['plain background', 'no pattern in the background', 'unpatterned backdrop'],
  stripes: ['striped background', 'diagonal stripes in the background', 'stripes behind the shapes'],
  dots: ['dotted background', 'polka dots in the background', 'dotted pattern behind the shapes'],
  grid: ['grid background', 'grid lines in the background', 'grid pattern behind the shapes'],
};

export const SHADE_WORDS: Record<'light' | 'dark', string[]> = { light: ['light', 'pale'], dark: ['dark', 'deep'] };

/** Web-caption phrases for the picture-wide style: [when true, when false]. */
export const STYLE_PHRASES: Record<'frame' | 'grainy' | 'faded', [string[], string[]]> = {
  frame: [['framed picture', 'thin border around the image', 'with a frame'], ['no frame', 'borderless image']],
  grainy: [['grainy image', 'noisy texture', 'film grain'], ['clean render', 'smooth image, no grain']],
  faded: [['faded colors', 'washed out colors', 'muted palette'], ['vivid colors', 'bright saturated colors', 'strong colors']],
};

/**
 * Captions of the encoder's pre-training ("web") split: the captions of writeCaptions, most of
 * them extended with visual detail that web text mentions and COCO-like captions leave out — the
 * background pattern, the shades of colours and the picture's style ("..., featuring a dark red
 * ball, striped background, grainy image, faded colors").
 */
export function writePretrainCaptions(scene: Scene, rng: Rng, n = 5): string[] {
  const ctx: Ctx = { scene, rng, style: DOMAIN_SPECS[scene.domain].style };
  const base = writeCaptions(scene, rng, n);
  const keys = new Set(base.map(captionKey));
  return base.map((cap) => {
    if (rng.uniform() < 0.1) return cap;
    const details: string[] = [];
    const shaded = scene.objects.filter((o) => o.shade !== 'normal');
    if (shaded.length && rng.uniform() < 0.7) {
      const o = rng.pick(shaded);
      details.push(`${rng.pick(['with', 'featuring', 'including'])} ${withArticle(`${rng.pick(SHADE_WORDS[o.shade as 'light' | 'dark'])} ${colourWord(ctx, o.colour)} ${shapeNoun(ctx, o)}`)}`);
    }
    if (details.length === 0 || rng.uniform() < 0.6) {
      details.push(rng.pick(PATTERN_PHRASES[scene.pattern]).replace('the shapes', scene.objects.length > 1 ? 'the shapes' : 'the shape'));
    }
    for (const k of ['frame', 'grainy', 'faded'] as const) {
      if (rng.uniform() < 0.4) details.push(rng.pick(STYLE_PHRASES[k][scene.style[k] ? 0 : 1]));
    }
    rng.shuffle(details);
    const stem = cap.replace(/\s*\.$/, '');
    const out = `${stem}, ${details.join(', ')}${/\.$/.test(cap) ? '.' : ''}`;
    const k = captionKey(out);
    if (keys.has(k)) return cap;
    keys.add(k);
    return out;
  });
}

/**
 * Writes `n` distinct captions for `scene` in its domain's style. Deterministic given `rng`.
 */
export function writeCaptions(scene: Scene, rng: Rng, n = 5): string[] {
  const style = DOMAIN_SPECS[scene.domain].style;
  const ctx: Ctx = { scene, rng, style };
  const families = Object.entries(FAMILIES).map(([name, f]) => ({ name, ...f, w: f.weight * (style.families[name] ?? 1) }));
  const out: string[] = [];
  const keys = new Set<string>();
  const usedFamilies = new Map<string, number>();
  for (let attempt = 0; out.length < n && attempt < 400; attempt++) {
    // prefer families not used yet, so the five captions differ in form as COCO's do
    const fam = pickW(rng, families, (f) => f.w / (1 + 2 * (usedFamilies.get(f.name) ?? 0)));
    const t = rng.pick(fam.templates);
    const raw = t(ctx);
    if (!raw) continue;
    const words = raw.split(/\s+/).length;
    if (words < 4 || words > 22) continue;
    const cap = applyStyle(raw, ctx);
    const key = captionKey(cap);
    if (keys.has(key)) continue;
    keys.add(key);
    out.push(cap);
    usedFamilies.set(fam.name, (usedFamilies.get(fam.name) ?? 0) + 1);
  }
  if (out.length < n) throw new Error(`world captions: could not write ${n} distinct captions for a scene (${JSON.stringify(scene)})`);
  return out;
}
