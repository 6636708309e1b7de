// Caption writer of the built-in world (world v3): five distinct captions per image written the way
// people write COCO / Flickr captions. Each caption is one "annotator": it mentions a salient subset
// of the objects (the most eye-catching one nearly always, others less often; scene.ts salience),
// names them with synonyms ("box" / "square" / "block"), picks which attributes to say (colour
// usually, size when it stands out, a finish when there is one), says where the scene is ("on a
// beach", "on a wooden table") and chooses a sentence form from families (a single object, a
// relation, a list, the scene first, counts, "there is", "a picture of", a position). So the five
// captions of an image overlap in content and differ in form, as human captions do; a domain's
// style sets lengths, verbs and punctuation (tidy COCO-like vs Flickr-like " ." endings).
// Every statement is checked against the scene with the margins of scene.ts: a caption may leave
// things out but never states something false (counts are exact counts of the scene; relations,
// regions and sizes hold with a margin). test/world/captions.test.ts verifies this with an
// independent parser.
// Pre-training ("web") captions add what COCO annotators leave out: colour shades, tilts, shadows,
// the finish's second colour and the picture's style (writePretrainCaptions).
import type { Rng } from '../util/rng.ts';
import { type CaptionStyle, type Colour, DOMAIN_SPECS, SCENE_SPECS } from './domains.ts';
import { type Category, CATEGORY_NOUNS, CLASS_SPECS, GENERIC_NOUNS, type ObjectClass } from './objects.ts';
import {
  type Finish, type Relation, type Scene, type SizeClass, type WorldObject, TILT,
  countMatching, hRegion, relations, salience, vRegion,
} from './scene.ts';

// ----------------------------------------------------------------------------------- vocabulary

/** Size words: [word, weight]. Medium objects are rarely given a size word. */
export const SIZE_WORDS: Record<SizeClass, [string, number][]> = {
  small: [['small', 3], ['little', 1.5], ['tiny', 1]],
  medium: [['medium-sized', 1]],
  large: [['large', 3], ['big', 2.5], ['huge', 0.6]],
};

/** Finish words: [word, weight] (plain objects get none). */
export const FINISH_WORDS: Record<Exclude<Finish, 'plain'>, [string, number][]> = {
  striped: [['striped', 4], ['stripy', 0.6]],
  spotted: [['spotted', 3], ['polka dot', 2], ['dotted', 1]],
  checkered: [['checkered', 3], ['checked', 1], ['plaid', 0.6]],
  outlined: [['hollow', 2], ['outlined', 2]],
  shiny: [['shiny', 3], ['glossy', 1.2], ['metallic', 1]],
};

export const COLOUR_WORDS: Record<Colour, [string, number][]> = {
  red: [['red', 1]], orange: [['orange', 1]], yellow: [['yellow', 1]], green: [['green', 1]],
  teal: [['teal', 2], ['turquoise', 1]], blue: [['blue', 1]], purple: [['purple', 3], ['violet', 0.6]],
  pink: [['pink', 1]], brown: [['brown', 1]], black: [['black', 1]], white: [['white', 1]], grey: [['gray', 2], ['grey', 1.5]],
};

export const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five'] as const;
export const PICTURE_WORDS = ['picture', 'photo', 'image', 'drawing', 'illustration', 'cartoon', 'cartoon drawing', 'simple drawing', 'clip art picture'] as const;

export const REL_WORDS: Record<Relation, string[]> = {
  left: ['to the left of', 'left of', 'on the left of'],
  right: ['to the right of', 'right of', 'on the right of'],
  above: ['above', 'over'],
  below: ['below', 'under', 'beneath'],
  next: ['next to', 'beside', 'near', 'close to'],
  bigger: ['bigger than', 'larger than'],
  smaller: ['smaller than'],
};

/** Participles any object may take ("a cup sitting on a table"). */
export const GENERIC_VERBS_SG = ['sitting', 'resting', 'placed', 'lying', 'shown'];
export const GENERIC_VERBS_PL = ['sitting', 'resting', 'placed', 'lying', 'gathered'];
const SKY_SCENES = new Set(['sky', 'night', 'sunset']);

// ------------------------------------------------------------------------------ annotator knobs
// Chosen with the reference statistics of lib/world/reference.ts (docs/world.md, "Calibrating the
// captions"): they set how much five captions of an image agree (a sixth annotator's CIDEr) against
// how much captions of different images share by chance (a random caption's CIDEr).

/** Exponent on the synonym weights of objects.ts (< 1 spreads annotators over more synonyms). */
const NOUN_FLATTEN = 0.5;
/** Log-normal noise on salience: how much annotators disagree about which object matters most. */
const SALIENCE_NOISE = 0.2;
/** Probability of stating an object's colour / a large object's size (small: 3/4 of it) / its finish. */
const P_COLOUR = 0.4, P_SIZE = 0.25, P_FINISH = 0.45;
/** Probability that a sentence form that may place its objects says where they are. */
const P_SCENE = 0.6;
/** Captions shorter than this (words) are redrawn: COCO's annotators were asked for at least eight. */
const MIN_WORDS = 6;

// ------------------------------------------------------------------------------------- helpers

/** One of `items`, drawn with probability proportional to `weight` (also the sound world's captions). */
export function pickW<T>(rng: Rng, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((s, t) => s + weight(t), 0);
  let u = rng.uniform() * total;
  for (const t of items) {
    u -= weight(t);
    if (u < 0) return t;
  }
  return items[items.length - 1];
}

const word = (rng: Rng, ws: readonly [string, number][]): string => pickW(rng, ws, (w) => w[1])[0];

export function article(phrase: string): string {
  return /^[aeiou]/i.test(phrase) ? 'an' : 'a';
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
  /** This annotator's objects, most salient first: the ones a caption may mention. */
  focus: WorldObject[];
  /** This annotator's way of naming each class (an annotator keeps to one noun per class). */
  nouns: Map<ObjectClass, [string, string]>;
}

function noun(ctx: Ctx, cls: ObjectClass, plural = false): string {
  let n = ctx.nouns.get(cls);
  if (!n) {
    const pick = pickW(ctx.rng, CLASS_SPECS[cls].nouns, (x) => x[2] ** NOUN_FLATTEN);
    n = [pick[0], pick[1]];
    ctx.nouns.set(cls, n);
  }
  return plural ? n[1] : n[0];
}



interface Say { size?: boolean; finish?: boolean; colour?: boolean }

/** Which attributes an annotator states for `o`: colour usually; size when it stands out; a finish when there is one. */
function attributes(ctx: Ctx, o: WorldObject, want: Say = {}): Required<Say> {
  const r = ctx.rng;
  return {
    size: want.size ?? r.uniform() < (o.size === 'large' ? P_SIZE : o.size === 'small' ? P_SIZE * 0.75 : 0.03),
    finish: o.finish !== 'plain' && (want.finish ?? r.uniform() < P_FINISH),
    colour: want.colour ?? r.uniform() < P_COLOUR,
  };
}

/** "[size] [finish] [colour]" for `o` (possibly empty). */
function adjectives(ctx: Ctx, o: Pick<WorldObject, 'size' | 'finish' | 'colour'>, say: Required<Say>): string {
  const w: string[] = [];
  if (say.size) w.push(word(ctx.rng, SIZE_WORDS[o.size]));
  if (say.finish && o.finish !== 'plain') w.push(word(ctx.rng, FINISH_WORDS[o.finish]));
  if (say.colour) w.push(word(ctx.rng, COLOUR_WORDS[o.colour]));
  return w.join(' ');
}

/** A noun phrase without article for one object: [size] [finish] [colour] noun. */
function objectPhrase(ctx: Ctx, o: WorldObject, want: Say = {}): string {
  const say = attributes(ctx, o, want);
  const adj = adjectives(ctx, o, say);
  // now and then a generic noun ("a red object", "a striped animal") when something else is said
  const generic = adj !== '' && ctx.rng.uniform() < 0.05;
  const n = generic ? ctx.rng.pick([...GENERIC_NOUNS, ...CATEGORY_NOUNS[CLASS_SPECS[o.cls].category]])[0] : noun(ctx, o.cls);
  return adj ? `${adj} ${n}` : n;
}

function np(ctx: Ctx, o: WorldObject, want?: Say): string {
  return withArticle(objectPhrase(ctx, o, want));
}

/** A participle after a noun phrase ("parked", "swimming"), or '' (by the style's verb rate). */
function verbAfter(ctx: Ctx, o: WorldObject | null, plural = false): string {
  if (ctx.rng.uniform() >= ctx.style.verbs) return '';
  const own = o && !plural ? CLASS_SPECS[o.cls].verbs : [];
  if (own.length && ctx.rng.uniform() < 0.7) return ` ${ctx.rng.pick(own)}`;
  if (SKY_SCENES.has(ctx.scene.background) && ctx.rng.uniform() < 0.5) return ' floating';
  return ` ${ctx.rng.pick(plural ? GENERIC_VERBS_PL : GENERIC_VERBS_SG)}`;
}

function scenePhrase(ctx: Ctx): string {
  return ctx.rng.pick(SCENE_SPECS[ctx.scene.background].phrases);
}



/** " <scene>" with probability p, else ''. */
function maybeScene(ctx: Ctx, p = 0.8): string {
  return ctx.rng.uniform() < p ? ` ${scenePhrase(ctx)}` : '';
}

/**
 * Describes `objs` as a list, grouping objects of one class under an exact count of that class in
 * the whole scene when all of them are in the list ("two cats and a red car"). A count of a class
 * adds a colour only when all its objects share it.
 */
function listPhrase(ctx: Ctx, objs: WorldObject[]): string {
  const byClass = new Map<ObjectClass, WorldObject[]>();
  for (const o of objs) {
    if (!byClass.has(o.cls)) byClass.set(o.cls, []);
    byClass.get(o.cls)!.push(o);
  }
  const parts: string[] = [];
  for (const [cls, g] of byClass) {
    const total = countMatching(ctx.scene, { cls });
    if (g.length >= 2 && g.length === total) parts.push(groupPhrase(ctx, g));
    else for (const o of g) parts.push(np(ctx, o));
  }
  return joinList(parts, ctx.rng);
}

/** "two cats" / "three black cats" / "two striped balls": all objects of one class, counted exactly. */
function groupPhrase(ctx: Ctx, g: WorldObject[]): string {
  const o = g[0];
  const sameColour = g.every((x) => x.colour === o.colour), sameSize = g.every((x) => x.size === o.size), sameFinish = g.every((x) => x.finish === o.finish);
  const say = { size: sameSize && ctx.rng.uniform() < 0.25, finish: sameFinish && o.finish !== 'plain' && ctx.rng.uniform() < 0.5, colour: sameColour && ctx.rng.uniform() < 0.8 };
  const adj = adjectives(ctx, o, say);
  const count = g.length === 2 && ctx.rng.uniform() < 0.15 ? 'a pair of' : NUMBER_WORDS[g.length];
  const base = `${count} ${adj ? adj + ' ' : ''}${noun(ctx, o.cls, true)}`;
  if (!sameColour && ctx.rng.uniform() < 0.4) {
    const cols = g.map((x) => `one ${word(ctx.rng, COLOUR_WORDS[x.colour])}`);
    return `${base}, ${joinList(cols, ctx.rng)}`;
  }
  return base;
}

/** Where an object is, when its position is clearly in a region; null otherwise. */
function locationPhrase(ctx: Ctx, o: WorldObject): string | null {
  const h = hRegion(o), v = vRegion(o);
  const pic = ctx.rng.pick(['picture', 'image', 'photo', 'frame']);
  if ((h === 'left' || h === 'right') && (v === 'top' || v === 'bottom')) {
    return ctx.rng.pick([`in the ${v} ${h} corner`, `in the ${v} ${h} corner of the ${pic}`, `at the ${v} ${h}`]);
  }
  if (h === 'center' && v === 'middle') return ctx.rng.pick(['in the center', `in the middle of the ${pic}`, `in the center of the ${pic}`]);
  if (h === 'left' || h === 'right') return ctx.rng.pick([`on the ${h}`, `on the ${h} side`, `on the ${h} side of the ${pic}`]);
  if (v === 'top' || v === 'bottom') return ctx.rng.pick([`at the ${v}`, `at the ${v} of the ${pic}`, `near the ${v} of the ${pic}`]);
  return null;
}

/** What a scene-first caption lists: the annotator's objects, a lone one with its colour. */
function inScene(c: Ctx): string {
  return c.focus.length === 1 ? np(c, c.focus[0], { colour: true }) : listPhrase(c, c.focus);
}

/** A relation that holds between two of the annotator's objects: [a, b, relation], or null. */
function pickRelation(ctx: Ctx): [WorldObject, WorldObject, Relation] | null {
  const f = ctx.focus.slice(0, 3);
  const pairs: [WorldObject, WorldObject, Relation][] = [];
  for (const a of f) for (const b of f) if (a !== b) for (const r of relations(a, b)) pairs.push([a, b, r]);
  if (pairs.length === 0) return null;
  // the most salient object is the subject more often, as people write
  return pickW(ctx.rng, pairs, ([a, , r]) => (a === ctx.focus[0] ? 3 : 1) * (r === 'next' ? 1.3 : r === 'bigger' || r === 'smaller' ? 0.5 : 1));
}

function relationClause(ctx: Ctx, withIs: boolean): string | null {
  const rel = pickRelation(ctx);
  if (!rel) return null;
  const [a, b, r] = rel;
  const sizeRel = r === 'bigger' || r === 'smaller';
  const A = np(ctx, a, sizeRel ? { size: false } : {}), B = np(ctx, b, sizeRel ? { size: false } : {});
  const w = ctx.rng.pick(REL_WORDS[r]);
  if (sizeRel) return `${A} ${withIs ? 'is' : 'that is'} ${w} ${B}`;
  return withIs ? `${A} is ${w} ${B}` : `${A}${verbAfter(ctx, a)} ${w} ${B}`;
}

/** The object of a strictly larger size class than all others; null when there is no such one. */
function biggestOrNull(scene: Scene): WorldObject | null {
  const sorted = scene.objects.slice().sort((a, b) => SIZE_ORDER[b.size] - SIZE_ORDER[a.size]);
  return sorted.length > 1 && SIZE_ORDER[sorted[0].size] > SIZE_ORDER[sorted[1].size] ? sorted[0] : null;
}
const SIZE_ORDER: Record<SizeClass, number> = { small: 0, medium: 1, large: 2 };

/** Count phrase of all objects of the scene: "three objects" / "four animals" (one category only). */
function totalPhrase(ctx: Ctx): string {
  const objs = ctx.scene.objects;
  const cats = new Set(objs.map((o) => CLASS_SPECS[o.cls].category));
  const only = cats.size === 1 ? CATEGORY_NOUNS[[...cats][0] as Category] : [];
  const n = ctx.rng.pick(only.length && ctx.rng.uniform() < 0.6 ? only : GENERIC_NOUNS)[1];
  return `${NUMBER_WORDS[objs.length]} ${n}`;
}

// ------------------------------------------------------------------------------------ templates

type Template = (c: Ctx) => string | null;

const FAMILIES: Record<string, { weight: number; templates: Template[] }> = {
  single: {
    weight: 3,
    templates: [
      (c) => `${np(c, c.focus[0])}${verbAfter(c, c.focus[0])}${maybeScene(c, P_SCENE)}`,
      (c) => `${np(c, c.focus[0], { colour: true })}${maybeScene(c, 0.6)}`,
      (c) => (c.scene.objects.length === 1 ? `a single ${objectPhrase(c, c.focus[0], { colour: true })}${verbAfter(c, c.focus[0])}${maybeScene(c, P_SCENE)}` : null),
      (c) => (c.scene.objects.length === 1 ? `${np(c, c.focus[0])} all alone ${scenePhrase(c)}` : null),
    ],
  },
  relation: {
    weight: 3,
    templates: [
      (c) => { const r = relationClause(c, false); return r && `${r}${maybeScene(c, 0.6)}`; },
      (c) => { const r = relationClause(c, true); return r && `${r}${maybeScene(c, 0.6)}`; },
    ],
  },
  list: {
    weight: 3,
    templates: [
      (c) => (c.focus.length > 1 ? `${listPhrase(c, c.focus)}${maybeScene(c, P_SCENE)}` : null),
      (c) => (c.focus.length > 1 ? `${listPhrase(c, c.focus)}${verbAfter(c, null, true)}${maybeScene(c, P_SCENE)}` : null),
      (c) => (c.focus.length > 1 ? `${listPhrase(c, c.focus)} together${maybeScene(c, 0.7)}` : null),
    ],
  },
  scene: {
    weight: 1.3,
    // the setting first, then what is in it (one object always with its colour: "a snowy field with a red bird")
    templates: [
      (c) => `${withArticle(c.rng.pick(SCENE_SPECS[c.scene.background].nouns))} with ${inScene(c)}${c.rng.uniform() < 0.3 ? ' on it' : ''}`,
      (c) => `${withArticle(c.rng.pick(SCENE_SPECS[c.scene.background].nouns))} scene with ${inScene(c)}`,
      (c) => `${withArticle(c.rng.pick(PICTURE_WORDS))} of ${withArticle(c.rng.pick(SCENE_SPECS[c.scene.background].nouns))} with ${inScene(c)}`,
    ],
  },
  count: {
    weight: 2,
    templates: [
      (c) => (c.scene.objects.length > 1 ? `${totalPhrase(c)} ${scenePhrase(c)}, including ${np(c, c.focus[0])}` : null),
      (c) => (c.scene.objects.length > 1 ? `${totalPhrase(c)}${verbAfter(c, null, true)} ${scenePhrase(c)}, one of them ${np(c, c.focus[0])}` : null),
      (c) => { const b = biggestOrNull(c.scene); return c.scene.objects.length > 2 && b ? `a group of ${totalPhrase(c)} ${scenePhrase(c)}, the biggest ${c.rng.pick(['one being', 'of them'])} ${np(c, b, { size: false })}` : null; },
      (c) => {
        const objs = c.scene.objects;
        if (objs.length < 3 || new Set(objs.map((o) => o.colour)).size !== objs.length) return null;
        return `${totalPhrase(c)} of different colors ${scenePhrase(c)}, ${c.rng.uniform() < 0.5 ? 'with' : 'including'} ${np(c, c.focus[0])}`;
      },
    ],
  },
  thereis: {
    weight: 2,
    templates: [
      (c) => `there is ${np(c, c.focus[0])}${maybeScene(c, P_SCENE)}`,
      (c) => { const r = relationClause(c, false); return r && `there is ${r}${maybeScene(c, 0.5)}`; },
      (c) => (c.scene.objects.length > 1 ? `there are ${totalPhrase(c)} ${scenePhrase(c)}, including ${np(c, c.focus[0])}` : null),
      (c) => {
        const l = listPhrase(c, c.focus);
        return `there ${/^an? /.test(l) ? 'is' : 'are'} ${l}${maybeScene(c, P_SCENE)}`;
      },
    ],
  },
  picture: {
    weight: 1.5,
    templates: [
      (c) => `${withArticle(c.rng.pick(PICTURE_WORDS))} ${c.rng.pick(['of', 'of', 'depicting', 'with'])} ${listPhrase(c, c.focus)}${maybeScene(c, 0.7)}`,
      (c) => (c.focus[0].size === 'large' ? `${c.rng.pick(['a close up of', 'a closeup of', 'a close view of', 'a close up picture of'])} ${np(c, c.focus[0])}${maybeScene(c, 0.8)}` : null),
      (c) => `${withArticle(c.rng.pick(PICTURE_WORDS))} showing ${listPhrase(c, c.focus)}${maybeScene(c, 0.6)}`,
    ],
  },
  position: {
    weight: 1.5,
    templates: [
      (c) => { const loc = locationPhrase(c, c.focus[0]); return loc && `${np(c, c.focus[0])}${verbAfter(c, c.focus[0])} ${loc}${maybeScene(c, 0.7)}`; },
      (c) => {
        if (c.focus.length < 2) return null;
        const [a, b] = c.focus, la = locationPhrase(c, a), lb = locationPhrase(c, b);
        return la && lb ? `${np(c, a)} ${la} and ${np(c, b)} ${lb}` : null;
      },
    ],
  },
};

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

/** One annotator's view: the objects it will mention, most salient first (salience with personal noise). */
function annotator(scene: Scene, rng: Rng, style: CaptionStyle): Ctx {
  const ranked = scene.objects.map((o) => ({ o, s: salience(o) * Math.exp(SALIENCE_NOISE * rng.normal()) })).sort((a, b) => b.s - a.s).map((x) => x.o);
  let k = 1;
  while (k < ranked.length && rng.uniform() < style.extraObjects / (1 + style.extraObjects)) k++;
  return { scene, rng, style, focus: ranked.slice(0, k), nouns: new Map() };
}

/**
 * Writes `n` distinct captions for `scene` in its domain's style, each from its own annotator.
 * `avoid`: caption keys not to repeat (the sixth annotator avoids the five). Deterministic given `rng`.
 */
export function writeCaptions(scene: Scene, rng: Rng, n = 5, avoid: ReadonlySet<string> = new Set()): string[] {
  const style = DOMAIN_SPECS[scene.domain].style;
  const families = Object.entries(FAMILIES).map(([name, f]) => ({ name, ...f, w: f.weight * (style.families[name] ?? 1) }));
  const out: string[] = [];
  const keys = new Set<string>(avoid);
  const usedFamilies = new Map<string, number>();
  for (let attempt = 0; out.length < n && attempt < 400; attempt++) {
    const ctx = annotator(scene, rng, style);
    // prefer families not used yet, so the five captions differ in form as COCO's do
    const fam = pickW(rng, families, (f) => f.w / (1 + 2 * (usedFamilies.get(f.name) ?? 0)));
    const raw = rng.pick(fam.templates)(ctx);
    if (!raw) continue;
    const words = raw.split(/\s+/).length;
    if (words < MIN_WORDS || words > 26) continue;
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

// ------------------------------------------------------------------------- pre-training captions

export const SHADE_WORDS: Record<'light' | 'dark', string[]> = { light: ['light', 'pale'], dark: ['dark', 'deep'] };
export const ACCENT_PHRASES: Record<'striped' | 'spotted' | 'checkered', string> = { striped: 'stripes', spotted: 'dots', checkered: 'checks' };

/** Web-caption phrases for the picture-wide style: [when true, when false]. */
export const STYLE_PHRASES: Record<keyof Scene['style'], [string[], string[]]> = {
  frame: [['framed picture', 'thin border around the image', 'with a frame'], ['no frame', 'borderless image']],
  grainy: [['grainy image', 'noisy texture', 'film grain'], ['clean render', 'smooth image, no grain']],
  faded: [['faded colors', 'washed out colors', 'muted palette'], ['vivid colors', 'bright saturated colors', 'strong colors']],
  vignette: [['dark vignette', 'darkened corners'], ['evenly lit', 'no vignette']],
};

/** Probability that a pre-training caption gets web-only detail appended (a calibration knob, docs/world.md). */
export const WEB_DETAIL = 1.0;

/** Probability that a web caption mentions each of the picture's style attributes (frame, grain, fading, vignette). */
export const STYLE_DETAIL = 0.6;

/** One web-only detail about one object: its shade, tilt, shadow or the finish's second colour; null if it has none. */
function objectDetail(ctx: Ctx, o: WorldObject): string | null {
  const r = ctx.rng;
  const n = noun(ctx, o.cls);
  const opts: (() => string)[] = [];
  if (o.shade !== 'normal') opts.push(() => `${r.pick(['with', 'featuring', 'including'])} ${withArticle(`${r.pick(SHADE_WORDS[o.shade as 'light' | 'dark'])} ${word(r, COLOUR_WORDS[o.colour])} ${n}`)}`);
  if (Math.abs(o.rot) > TILT) opts.push(() => `${withArticle(`tilted ${word(r, COLOUR_WORDS[o.colour])} ${n}`)}`);
  if (o.shadow) opts.push(() => `${withArticle(`${word(r, COLOUR_WORDS[o.colour])} ${n}`)} casting a shadow`);
  if (o.finish === 'striped' || o.finish === 'spotted' || o.finish === 'checkered') {
    opts.push(() => `${withArticle(`${word(r, COLOUR_WORDS[o.colour])} ${n}`)} with ${o.accent} ${ACCENT_PHRASES[o.finish as 'striped']}`);
  }
  return opts.length ? r.pick(opts)() : null;
}

/**
 * Captions of the encoder's pre-training ("web") split: the captions of writeCaptions, most of
 * them extended with visual detail that web text mentions and COCO-like captions leave out —
 * shades, tilts, shadows, the finish's second colour, the picture's style ("..., featuring a dark
 * red car, a tilted blue cup, film grain, dark vignette").
 */
export function writePretrainCaptions(scene: Scene, rng: Rng, n = 5, webDetail = WEB_DETAIL): string[] {
  const base = writeCaptions(scene, rng, n);
  const keys = new Set(base.map(captionKey));
  return base.map((cap) => {
    if (rng.uniform() >= webDetail) return cap;
    const ctx = annotator(scene, rng, DOMAIN_SPECS[scene.domain].style);
    const details: string[] = [];
    for (const o of rng.shuffle(scene.objects.slice())) {
      if (details.length >= 2 || rng.uniform() < 0.35) continue;
      const d = objectDetail(ctx, o);
      if (d) details.push(d);
    }
    for (const k of Object.keys(STYLE_PHRASES) as (keyof Scene['style'])[]) {
      if (rng.uniform() < STYLE_DETAIL) details.push(rng.pick(STYLE_PHRASES[k][scene.style[k] ? 0 : 1]));
    }
    if (details.length === 0) return cap;
    rng.shuffle(details);
    const stem = cap.replace(/\s*\.$/, '');
    const out = `${stem}, ${details.join(', ')}${/\.$/.test(cap) ? '.' : ''}`;
    const k = captionKey(out);
    if (keys.has(k)) return cap;
    keys.add(k);
    return out;
  });
}
