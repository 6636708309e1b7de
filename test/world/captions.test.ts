// The world's captions never state something false: an independent checker parses each caption's
// noun phrases, counts, relations, positions and background words and tests them against the
// scene with its own (looser) geometry, so a swapped relation, a wrong colour or count, or a
// misplaced region fails. Also: five distinct captions, COCO-like lengths, domain styles differ.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../lib/util/rng.ts';
import { sampleScene, type Scene, type WorldObject } from '../../lib/world/scene.ts';
import { writeCaptions, writePretrainCaptions, captionKey, SHAPE_NOUNS, COLOUR_WORDS, PATTERN_PHRASES, SHADE_WORDS, STYLE_PHRASES } from '../../lib/world/captions.ts';
import { BACKGROUND_WORDS, type Colour, type Shape } from '../../lib/world/domains.ts';

const NOUN_TO_SHAPE = new Map<string, Shape>();
for (const [shape, nouns] of Object.entries(SHAPE_NOUNS) as [Shape, [string, string, number, boolean?][]][]) {
  for (const [sg, pl] of nouns) { NOUN_TO_SHAPE.set(sg, shape); NOUN_TO_SHAPE.set(pl, shape); }
}
const GENERIC = new Set(['shape', 'shapes', 'object', 'objects', 'figure', 'figures']);
const WORD_TO_COLOUR = new Map<string, Colour>();
for (const [c, ws] of Object.entries(COLOUR_WORDS) as [Colour, string[]][]) for (const w of ws) WORD_TO_COLOUR.set(w, c);
const SIZE = new Map([['small', 'small'], ['little', 'small'], ['large', 'large'], ['big', 'large']]);
const COUNT = new Map([['one', 1], ['two', 2], ['three', 3]]);

interface Desc { size?: string; colour?: Colour; shape?: Shape; generic: boolean }

const nounAlt = [...NOUN_TO_SHAPE.keys(), ...GENERIC].sort((a, b) => b.length - a.length).join('|');
const colourAlt = [...WORD_TO_COLOUR.keys()].join('|');
const NP = `(?:(small|little|large|big) )?(?:(${colourAlt}) )?(${nounAlt})\\b`;

function desc(m: RegExpExecArray, o = 1): Desc {
  const noun = m[o + 2];
  return {
    size: m[o] ? SIZE.get(m[o]) : undefined,
    colour: m[o + 1] ? WORD_TO_COLOUR.get(m[o + 1]) : undefined,
    shape: NOUN_TO_SHAPE.get(noun),
    generic: GENERIC.has(noun),
  };
}

function matches(o: WorldObject, d: Desc): boolean {
  return (!d.size || o.size === d.size) && (!d.colour || o.colour === d.colour) && (!d.shape || o.shape === d.shape);
}

// looser, independent geometry: any claim must at least hold in this weak sense
const REL: Record<string, (a: WorldObject, b: WorldObject) => boolean> = {
  'to the left of': (a, b) => a.x < b.x, 'left of': (a, b) => a.x < b.x, 'on the left of': (a, b) => a.x < b.x,
  'to the right of': (a, b) => a.x > b.x, 'right of': (a, b) => a.x > b.x, 'on the right of': (a, b) => a.x > b.x,
  above: (a, b) => a.y < b.y, over: (a, b) => a.y < b.y,
  below: (a, b) => a.y > b.y, under: (a, b) => a.y > b.y, beneath: (a, b) => a.y > b.y,
  'next to': (a, b) => Math.hypot(a.x - b.x, a.y - b.y) - a.r - b.r < 0.2, beside: (a, b) => Math.hypot(a.x - b.x, a.y - b.y) - a.r - b.r < 0.2,
  near: (a, b) => Math.hypot(a.x - b.x, a.y - b.y) - a.r - b.r < 0.2, 'close to': (a, b) => Math.hypot(a.x - b.x, a.y - b.y) - a.r - b.r < 0.2,
  'bigger than': (a, b) => a.r > b.r, 'larger than': (a, b) => a.r > b.r, 'smaller than': (a, b) => a.r < b.r,
};
const relAlt = Object.keys(REL).sort((a, b) => b.length - a.length).join('|');

function regionOk(o: WorldObject, words: string): boolean {
  const w = ` ${words} `;
  if (w.includes(' left ') && !(o.x < 0.5)) return false;
  if (w.includes(' right ') && !(o.x > 0.5)) return false;
  if (w.includes(' top ') && !(o.y < 0.5)) return false;
  if (w.includes(' bottom ') && !(o.y > 0.5)) return false;
  if ((w.includes(' center ') || w.includes(' middle ')) && !(Math.abs(o.x - 0.5) < 0.2 && Math.abs(o.y - 0.5) < 0.2)) return false;
  return true;
}

const tally = { np: 0, count: 0, relation: 0, position: 0, background: 0, pattern: 0, shade: 0, style: 0 };

/** Problems found in `caption` about `scene` (empty = nothing false found). */
function falseClaims(caption: string, scene: Scene): string[] {
  const s = caption.toLowerCase().replace(/[.,:]/g, ' ').replace(/\s+/g, ' ').trim();
  const objs = scene.objects;
  const bad: string[] = [];
  // singular noun phrases: something matching must exist
  for (const m of s.matchAll(new RegExp(`\\b(?:a|an|one|single|only one|just one) ${NP}`, 'g'))) {
    const d = desc(m as RegExpExecArray);
    tally.np++;
    if (!objs.some((o) => matches(o, d))) bad.push(`no object is "${m[0]}"`);
  }
  // counted phrases: exact count of matching objects
  for (const m of s.matchAll(new RegExp(`\\b(two|three) ${NP}`, 'g'))) {
    const n = COUNT.get(m[1])!;
    const d = desc(m as RegExpExecArray, 2);
    const k = objs.filter((o) => matches(o, d)).length;
    tally.count++;
    if (k !== n) bad.push(`"${m[0]}" but ${k} match`);
  }
  // "two red shapes and a ..." style counts without a noun right after the colour are covered above;
  // "two stars, one pink and one white": each colour must be present among the stars
  for (const m of s.matchAll(new RegExp(`\\b(two|three) (?:(?:small|little|large|big) )?(${nounAlt}) (?:(${colourAlt}) and|(?:(?:one (?:${colourAlt}) ?)(?:and )?)+)`, 'g'))) {
    const shape = NOUN_TO_SHAPE.get(m[2]);
    for (const c of m[0].matchAll(new RegExp(`one (${colourAlt})`, 'g'))) {
      if (!objs.some((o) => o.shape === shape && o.colour === WORD_TO_COLOUR.get(c[1]))) bad.push(`no ${c[1]} ${m[2]}`);
    }
  }
  for (const m of s.matchAll(new RegExp(`\\b(both|all) (${colourAlt})`, 'g'))) {
    if (!objs.every((o) => o.colour === WORD_TO_COLOUR.get(m[2]))) bad.push(`not ${m[0]}`);
  }
  const nDiff = /\b(two|three) different colors/.exec(s);
  if (nDiff) {
    if (new Set(objs.map((o) => o.colour)).size !== COUNT.get(nDiff[1])) bad.push(`not ${nDiff[0]}`);
  } else if (/different colors/.test(s) && new Set(objs.map((o) => o.colour)).size !== objs.length) bad.push('colours are not all different');
  if (/different kinds/.test(s) && new Set(objs.map((o) => o.shape)).size !== objs.length) bad.push('shapes are not all different');
  if (/\b(alone|single|just one|only one|nothing else)\b/.test(s) && objs.length !== 1) bad.push(`says one object, scene has ${objs.length}`);
  if (/\b(two|three) (?:shapes|objects|figures)\b/.test(s) && !/\b(two|three) (?:shapes|objects|figures)(?: and| of)? (?:an? |one )/.test(s)) {
    const n = COUNT.get(/\b(two|three) (?:shapes|objects|figures)\b/.exec(s)![1])!;
    if (!/\b(two|three) (?:shapes|objects|figures) and\b/.test(s) && n !== objs.length && !new RegExp(`\\b(two|three) (${colourAlt}) (?:shapes|objects|figures)`).test(s)) bad.push(`says ${n} shapes, scene has ${objs.length}`);
  }
  // relations: NP1 [verb] REL NP2, for some matching pair
  const relRe = new RegExp(`${NP} (?:is |sits |is sitting |is placed |is shown |that is |which is )?(${relAlt}) (?:a|an|the) ${NP}`, 'g');
  for (const m of s.matchAll(relRe)) {
    const a = desc(m as RegExpExecArray, 1), b = desc(m as RegExpExecArray, 5);
    const rel = REL[m[4]];
    tally.relation++;
    if (!objs.some((x) => matches(x, a) && objs.some((y) => y !== x && matches(y, b) && rel(x, y)))) bad.push(`"${m[0]}" does not hold`);
  }
  // positions: NP [verb] in/on/at/near the <region words> — some matching object is there
  const posRe = new RegExp(`${NP} (?:is |sits |is sitting |is placed |is shown )?(?:in|on|at|near) the ((?:top |bottom )?(?:left |right )?(?:corner|side|center|middle|top|bottom|left|right))(?! of (?:a|an) )`, 'g');
  for (const m of s.matchAll(posRe)) {
    const d = desc(m as RegExpExecArray, 1);
    tally.position++;
    if (!objs.some((o) => matches(o, d) && regionOk(o, m[4]))) bad.push(`"${m[0]}" is not where it says`);
  }
  // pre-training captions: background pattern and colour shades
  for (const [pattern, phrases] of Object.entries(PATTERN_PHRASES)) {
    for (const ph of phrases) {
      if (s.includes(ph.replace('the shapes', 'the shape'))) {
        tally.pattern++;
        if (scene.pattern !== pattern) bad.push(`pattern is ${scene.pattern}, caption says "${ph}"`);
      }
    }
  }
  for (const [k, [yes, no]] of Object.entries(STYLE_PHRASES) as [keyof Scene['style'], [string[], string[]]][]) {
    for (const ph of yes) if (s.includes(ph)) { tally.style++; if (!scene.style[k]) bad.push(`not ${k}, caption says "${ph}"`); }
    for (const ph of no) if (s.includes(ph)) { tally.style++; if (scene.style[k]) bad.push(`${k}, caption says "${ph}"`); }
  }
  const shadeOf = new Map<string, string>();
  for (const [shade, ws] of Object.entries(SHADE_WORDS)) for (const w of ws) shadeOf.set(w, shade);
  for (const m of s.matchAll(new RegExp(`\\b(${[...shadeOf.keys()].join('|')}) (${colourAlt}) (${nounAlt})\\b`, 'g'))) {
    tally.shade++;
    const want = { colour: WORD_TO_COLOUR.get(m[2]), shape: NOUN_TO_SHAPE.get(m[3]), shade: shadeOf.get(m[1]) };
    if (!objs.some((o) => o.colour === want.colour && (!want.shape || o.shape === want.shape) && o.shade === want.shade)) bad.push(`no ${m[0]}`);
  }
  // background words
  const bgWords = new Set(BACKGROUND_WORDS[scene.background]);
  for (const m of s.matchAll(/\b(?:a|an) ((?:dark |light )?[a-z]+) (?:background|backdrop)\b/g)) {
    if (['striped', 'dotted', 'grid', 'plain'].includes(m[1])) continue; // pattern words, checked above
    tally.background++;
    if (!bgWords.has(m[1])) bad.push(`background is ${scene.background}, caption says "${m[1]}"`);
  }
  return bad;
}

describe('world captions', () => {
  it('never state something false (600 scenes per domain, captioning and pre-training captions, independent checker)', () => {
    const problems: string[] = [];
    let claims = 0;
    for (const domain of ['a', 'b'] as const) {
      for (let i = 0; i < 600; i++) {
        const rng = new Rng(1000 + i).fork(domain);
        const scene = sampleScene(rng, domain);
        for (const c of [...writeCaptions(scene, rng), ...writePretrainCaptions(scene, rng)]) {
          claims++;
          const bad = falseClaims(c, scene);
          if (bad.length) problems.push(`${c}  <- ${bad.join('; ')}  [${scene.background}: ${scene.objects.map((o) => `${o.size} ${o.colour} ${o.shape} (${o.x.toFixed(2)},${o.y.toFixed(2)})`).join(', ')}]`);
        }
      }
    }
    assert.ok(claims === 12000);
    // the checker must actually have looked at many claims of every kind
    for (const [k, v] of Object.entries(tally)) assert.ok(v > 300, `only ${v} ${k} claims checked`);
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} captions state something false`);
  });

  it('the checker catches false captions', () => {
    const scene: Scene = {
      domain: 'a', background: 'white', textureSeed: 1, pattern: 'stripes', style: { frame: true, grainy: false, faded: false },
      objects: [
        { shape: 'circle', colour: 'red', size: 'small', x: 0.2, y: 0.5, r: 0.1, rot: 0, shade: 'normal', rgb: [214, 39, 40] },
        { shape: 'square', colour: 'blue', size: 'large', x: 0.75, y: 0.5, r: 0.19, rot: 0, shade: 'dark', rgb: [31, 90, 220] },
      ],
    };
    assert.deepEqual(falseClaims('A red ball to the left of a blue box.', scene), []);
    assert.ok(falseClaims('A red ball to the right of a blue box.', scene).length > 0);
    assert.ok(falseClaims('A green ball on a white background.', scene).length > 0);
    assert.ok(falseClaims('Three shapes on a white background.', scene).length > 0);
    assert.ok(falseClaims('A red ball on a dark background.', scene).length > 0);
    assert.ok(falseClaims('A red ball that is bigger than a blue box.', scene).length > 0);
    assert.ok(falseClaims('A blue square on the left side of the picture.', scene).length > 0);
    assert.ok(falseClaims('A single red ball on a white background.', scene).length > 0);
    assert.ok(falseClaims('Two red balls and a blue box.', scene).length > 0);
    assert.deepEqual(falseClaims('A red ball left of a blue box, featuring a dark blue square, striped background.', scene), []);
    assert.ok(falseClaims('A red ball, dotted background.', scene).length > 0);
    assert.ok(falseClaims('A red ball, featuring a light blue square.', scene).length > 0);
    assert.deepEqual(falseClaims('A red ball, framed picture, vivid colors, clean render.', scene), []);
    assert.ok(falseClaims('A red ball, grainy image.', scene).length > 0);
    assert.ok(falseClaims('A red ball, no frame.', scene).length > 0);
  });

  it('writes five distinct, COCO-like captions per image, in two domain styles', () => {
    const stats = { a: { words: 0, n: 0, spaced: 0, forms: new Set<string>() }, b: { words: 0, n: 0, spaced: 0, forms: new Set<string>() } };
    for (const domain of ['a', 'b'] as const) {
      for (let i = 0; i < 200; i++) {
        const rng = new Rng(i).fork(`style-${domain}`);
        const caps = writeCaptions(sampleScene(rng, domain), rng);
        assert.equal(caps.length, 5);
        assert.equal(new Set(caps.map(captionKey)).size, 5, `captions repeat: ${caps.join(' | ')}`);
        for (const c of caps) {
          const st = stats[domain];
          st.words += c.split(/\s+/).filter((w) => w !== '.').length;
          st.n++;
          if (c.endsWith(' .')) st.spaced++;
          st.forms.add(c.toLowerCase().split(' ').slice(0, 2).join(' '));
        }
      }
    }
    const meanA = stats.a.words / stats.a.n, meanB = stats.b.words / stats.b.n;
    assert.ok(meanA >= 7 && meanA <= 15, `domain a mean length ${meanA}`);
    assert.ok(meanB >= 8 && meanB <= 16, `domain b mean length ${meanB}`);
    assert.ok(meanB > meanA, 'domain b captions are longer');
    assert.equal(stats.a.spaced, 0);
    assert.ok(stats.b.spaced / stats.b.n > 0.3, 'domain b uses the Flickr " ." ending');
    assert.ok(stats.a.forms.size > 40 && stats.b.forms.size > 40, 'varied sentence openings');
  });

  it('is deterministic', () => {
    const a = writeCaptions(sampleScene(new Rng(5), 'a'), new Rng(6));
    const b = writeCaptions(sampleScene(new Rng(5), 'a'), new Rng(6));
    assert.deepEqual(a, b);
  });
});
