// The world's captions never state something false: an independent checker parses each caption's
// noun phrases (size, finish, colour, class or group noun), exact counts, relations, positions,
// scene words, "single"/"alone"/"different colors"/"the biggest" and the web-only details of
// pre-training captions, and tests them against the scene with its own (looser) geometry, so a
// swapped relation, a wrong colour, count, finish or scene, or a misplaced region fails. It takes
// only the word lists from lib/world (which word names which class, colour, scene), none of the
// caption writer's logic. Also: five distinct COCO-like captions, domain styles, salience.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../lib/util/rng.ts';
import { sampleScene, type Scene, type WorldObject } from '../../lib/world/scene.ts';
import {
  writeCaptions, writePretrainCaptions, captionKey, SIZE_WORDS, FINISH_WORDS, COLOUR_WORDS, SHADE_WORDS, STYLE_PHRASES,
  GENERIC_VERBS_SG, GENERIC_VERBS_PL,
} from '../../lib/world/captions.ts';
import { CLASS_SPECS, CATEGORY_NOUNS, GENERIC_NOUNS, type Category, type ObjectClass } from '../../lib/world/objects.ts';
import { SCENE_SPECS, SCENE_TYPES, type Colour, type SceneType } from '../../lib/world/domains.ts';

// ------------------------------------------------------------------------------- word tables
const NOUN = new Map<string, { cls: ObjectClass; plural: boolean }>();
for (const [cls, spec] of Object.entries(CLASS_SPECS) as [ObjectClass, (typeof CLASS_SPECS)[ObjectClass]][]) {
  for (const [sg, pl] of spec.nouns) { NOUN.set(pl, { cls, plural: true }); NOUN.set(sg, { cls, plural: false }); }
}
/** Group nouns: a category, or any object. */
const GROUP = new Map<string, { cat: Category | null; plural: boolean }>();
for (const [sg, pl] of GENERIC_NOUNS) { GROUP.set(sg, { cat: null, plural: false }); GROUP.set(pl, { cat: null, plural: true }); }
for (const [cat, ns] of Object.entries(CATEGORY_NOUNS) as [Category, [string, string][]][]) for (const [sg, pl] of ns) { GROUP.set(sg, { cat, plural: false }); GROUP.set(pl, { cat, plural: true }); }
const COLOUR = new Map<string, Colour>();
for (const [c, ws] of Object.entries(COLOUR_WORDS) as [Colour, [string, number][]][]) for (const [w] of ws) COLOUR.set(w, c);
const SIZE = new Map<string, string>();
for (const [s, ws] of Object.entries(SIZE_WORDS)) for (const [w] of ws) SIZE.set(w, s);
const FINISH = new Map<string, string>();
for (const [f, ws] of Object.entries(FINISH_WORDS)) for (const [w] of ws) FINISH.set(w, f);
const NUMBER = new Map([['two', 2], ['three', 3], ['four', 4], ['five', 5], ['a pair of', 2]]);

const alt = (ws: Iterable<string>) => [...ws].sort((a, b) => b.length - a.length).map((w) => w.replace(/[-]/g, '\\-')).join('|');
const nounAlt = alt([...NOUN.keys(), ...GROUP.keys()]);
// NP body: [size] [finish] [colour] noun (groups 1-4)
const NP = `(?:(${alt(SIZE.keys())}) )?(?:(${alt(FINISH.keys())}) )?(?:(${alt(COLOUR.keys())}) )?(${nounAlt})\\b`;

interface Desc { size?: string; finish?: string; colour?: Colour; cls?: ObjectClass; cat?: Category | null; group: boolean; plural: boolean }

function desc(m: RegExpMatchArray, o: number): Desc {
  const n = m[o + 3], noun = NOUN.get(n), group = GROUP.get(n);
  return {
    size: m[o] ? SIZE.get(m[o]) : undefined, finish: m[o + 1] ? FINISH.get(m[o + 1]) : undefined, colour: m[o + 2] ? COLOUR.get(m[o + 2]) : undefined,
    cls: noun?.cls, cat: group?.cat, group: !!group, plural: noun?.plural ?? group!.plural,
  };
}

function matches(o: WorldObject, d: Desc): boolean {
  return (!d.size || o.size === d.size) && (!d.finish || o.finish === d.finish) && (!d.colour || o.colour === d.colour) &&
    (!d.cls || o.cls === d.cls) && (!d.cat || CLASS_SPECS[o.cls].category === d.cat);
}

// looser, independent geometry: any claim must at least hold in this weak sense
const gap = (a: WorldObject, b: WorldObject) => Math.hypot(a.x - b.x, a.y - b.y) - a.r - b.r;
const RANK: Record<string, number> = { small: 0, medium: 1, large: 2 };
const REL: Record<string, (a: WorldObject, b: WorldObject) => boolean> = {
  'to the left of': (a, b) => a.x < b.x, 'left of': (a, b) => a.x < b.x, 'on the left of': (a, b) => a.x < b.x,
  'to the right of': (a, b) => a.x > b.x, 'right of': (a, b) => a.x > b.x, 'on the right of': (a, b) => a.x > b.x,
  above: (a, b) => a.y < b.y, over: (a, b) => a.y < b.y, below: (a, b) => a.y > b.y, under: (a, b) => a.y > b.y, beneath: (a, b) => a.y > b.y,
  'next to': (a, b) => gap(a, b) < 0.2, beside: (a, b) => gap(a, b) < 0.2, near: (a, b) => gap(a, b) < 0.2, 'close to': (a, b) => gap(a, b) < 0.2,
  'bigger than': (a, b) => RANK[a.size] > RANK[b.size] && a.r > b.r, 'larger than': (a, b) => RANK[a.size] > RANK[b.size] && a.r > b.r,
  'smaller than': (a, b) => RANK[a.size] < RANK[b.size] && a.r < b.r,
};
const VERBS = new Set([...GENERIC_VERBS_SG, ...GENERIC_VERBS_PL, 'floating', 'is', 'are', 'that is', 'which is']);
for (const s of Object.values(CLASS_SPECS)) for (const v of s.verbs) VERBS.add(v);
const verbAlt = alt(VERBS);

function regionOk(o: WorldObject, words: string): boolean {
  const w = ` ${words} `;
  if (w.includes(' left ') && !(o.x < 0.5)) return false;
  if (w.includes(' right ') && !(o.x > 0.5)) return false;
  if (w.includes(' top ') && !(o.y < 0.5)) return false;
  if (w.includes(' bottom ') && !(o.y > 0.5)) return false;
  if ((w.includes(' center ') || w.includes(' middle ')) && !(Math.abs(o.x - 0.5) < 0.2 && Math.abs(o.y - 0.5) < 0.2)) return false;
  return true;
}

const KEYWORD = new Map<string, SceneType>();
for (const t of SCENE_TYPES) for (const k of SCENE_SPECS[t].keywords) KEYWORD.set(k, t);
const keywordRe = new RegExp(`\\b(${alt(KEYWORD.keys())})\\b`, 'g');

const tally = { np: 0, count: 0, relation: 0, position: 0, scene: 0, shade: 0, tilt: 0, shadow: 0, accent: 0, style: 0 };

/** Problems found in `caption` about `scene` (empty = nothing false found). */
function falseClaims(caption: string, scene: Scene): string[] {
  const s = caption.toLowerCase().replace(/[.,:]/g, ' ').replace(/\s+/g, ' ').trim();
  const objs = scene.objects;
  const bad: string[] = [];
  // singular noun phrases: something matching must exist
  for (const m of s.matchAll(new RegExp(`\\b(?:a|an|one|single) ${NP}`, 'g'))) {
    const d = desc(m, 1);
    if (d.plural) continue; // "one of them": not a noun phrase
    tally.np++;
    if (!objs.some((o) => matches(o, d))) bad.push(`no object is "${m[0]}"`);
  }
  // counted phrases: the exact number of matching objects
  for (const m of s.matchAll(new RegExp(`\\b(two|three|four|five|a pair of) ${NP}`, 'g'))) {
    const d = desc(m, 2);
    const k = objs.filter((o) => matches(o, d)).length;
    tally.count++;
    if (k !== NUMBER.get(m[1])) bad.push(`"${m[0]}" but ${k} match`);
    // "two cats, one black and one white": each listed colour among them
    const tail = s.slice(m.index! + m[0].length);
    const each = /^ (one [a-z]+(?:,? (?:and )?one [a-z]+)*)/.exec(tail);
    if (each) for (const c of each[1].matchAll(/one ([a-z]+)/g)) {
      const col = COLOUR.get(c[1]);
      if (col && !objs.some((o) => matches(o, { ...d, colour: col }))) bad.push(`no ${c[1]} one among "${m[0]}"`);
    }
  }
  if (/\bof different colors\b/.test(s) && new Set(objs.map((o) => o.colour)).size !== objs.length) bad.push('colours are not all different');
  if (/\b(a single|all alone)\b/.test(s) && objs.length !== 1) bad.push(`says one object, scene has ${objs.length}`);
  const big = /\bthe biggest /.exec(s);
  if (big) {
    const m = new RegExp(`^the biggest(?: one being| of them)? (?:a|an) ${NP}`).exec(s.slice(big.index))!;
    const o = objs.find((x) => objs.every((y) => y === x || RANK[x.size] > RANK[y.size]));
    if (!o || !matches(o, desc(m, 1))) bad.push(`"${m[0]}" is not the biggest`);
  }
  // relations: NP [verb] REL a/an/the NP, for some matching pair
  const relRe = new RegExp(`${NP} (?:(?:${verbAlt}) )?(${alt(Object.keys(REL))}) (?:a|an|the) ${NP}`, 'g');
  for (const m of s.matchAll(relRe)) {
    const a = desc(m, 1), b = desc(m, 6), rel = REL[m[5]];
    tally.relation++;
    if (!objs.some((x) => matches(x, a) && objs.some((y) => y !== x && matches(y, b) && rel(x, y)))) bad.push(`"${m[0]}" does not hold`);
  }
  // positions: NP [verb] in/on/at/near the <region words> — some matching object is there
  const posRe = new RegExp(`${NP} (?:(?:${verbAlt}) )?(?:in|on|at|near) the ((?:top |bottom )?(?:left |right )?(?:corner|side|center|middle|top|bottom|left|right))\\b(?! of (?:a|an) )`, 'g');
  for (const m of s.matchAll(posRe)) {
    const d = desc(m, 1);
    tally.position++;
    if (!objs.some((o) => matches(o, d) && regionOk(o, m[5]))) bad.push(`"${m[0]}" is not where it says`);
  }
  // scene words: every keyword that names a scene type names this one
  for (const m of s.matchAll(keywordRe)) {
    tally.scene++;
    if (KEYWORD.get(m[1]) !== scene.background) bad.push(`scene is ${scene.background}, caption says "${m[1]}"`);
  }
  // web-only details of pre-training captions
  const colourAlt = alt(COLOUR.keys());
  const shadeOf = new Map<string, string>();
  for (const [shade, ws] of Object.entries(SHADE_WORDS)) for (const w of ws) shadeOf.set(w, shade);
  for (const m of s.matchAll(new RegExp(`\\b(${alt(shadeOf.keys())}) (${colourAlt}) (${nounAlt})\\b`, 'g'))) {
    tally.shade++;
    if (!objs.some((o) => o.colour === COLOUR.get(m[2]) && o.shade === shadeOf.get(m[1]) && (!NOUN.get(m[3]) || o.cls === NOUN.get(m[3])!.cls))) bad.push(`no ${m[0]}`);
  }
  for (const m of s.matchAll(new RegExp(`\\btilted (${colourAlt}) (${nounAlt})\\b`, 'g'))) {
    tally.tilt++;
    if (!objs.some((o) => o.colour === COLOUR.get(m[1]) && o.cls === NOUN.get(m[2])?.cls && Math.abs(o.rot) > 0.25)) bad.push(`no ${m[0]}`);
  }
  for (const m of s.matchAll(new RegExp(`\\b(${colourAlt}) (${nounAlt}) casting a shadow\\b`, 'g'))) {
    tally.shadow++;
    if (!objs.some((o) => o.colour === COLOUR.get(m[1]) && o.cls === NOUN.get(m[2])?.cls && o.shadow)) bad.push(`no ${m[0]}`);
  }
  const ACCENT: Record<string, string> = { stripes: 'striped', dots: 'spotted', checks: 'checkered' };
  for (const m of s.matchAll(new RegExp(`\\b(${colourAlt}) (${nounAlt}) with (white|black) (stripes|dots|checks)\\b`, 'g'))) {
    tally.accent++;
    if (!objs.some((o) => o.colour === COLOUR.get(m[1]) && o.cls === NOUN.get(m[2])?.cls && o.finish === ACCENT[m[4]] && o.accent === m[3])) bad.push(`no ${m[0]}`);
  }
  for (const [k, [yes, no]] of Object.entries(STYLE_PHRASES) as [keyof Scene['style'], [string[], string[]]][]) {
    for (const ph of yes) if (s.includes(ph.replace(',', ''))) { tally.style++; if (!scene.style[k]) bad.push(`not ${k}, caption says "${ph}"`); }
    for (const ph of no) if (s.includes(ph.replace(',', ''))) { tally.style++; if (scene.style[k]) bad.push(`${k}, caption says "${ph}"`); }
  }
  return bad;
}

const describeScene = (scene: Scene) => `[${scene.background}: ${scene.objects.map((o) => `${o.size} ${o.finish} ${o.shade} ${o.colour} ${o.cls} (${o.x.toFixed(2)},${o.y.toFixed(2)} rot ${o.rot.toFixed(2)}${o.shadow ? ' shadow' : ''})`).join(', ')}]`;

describe('world captions', () => {
  it('never state something false (500 scenes per domain, captioning and pre-training captions, independent checker)', () => {
    const problems: string[] = [];
    let claims = 0;
    for (const domain of ['a', 'b'] as const) {
      for (let i = 0; i < 500; i++) {
        const rng = new Rng(1000 + i).fork(domain);
        const scene = sampleScene(rng, domain);
        for (const c of [...writeCaptions(scene, rng), ...writePretrainCaptions(scene, rng)]) {
          claims++;
          const bad = falseClaims(c, scene);
          if (bad.length) problems.push(`${c}  <- ${bad.join('; ')}  ${describeScene(scene)}`);
        }
      }
    }
    assert.equal(claims, 10000);
    // the checker must actually have looked at many claims of every kind
    for (const [k, v] of Object.entries(tally)) assert.ok(v > 150, `only ${v} ${k} claims checked`);
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} captions state something false`);
  });

  it('the checker catches false captions', () => {
    const o = (p: Partial<WorldObject>): WorldObject => ({ cls: 'ball', colour: 'red', size: 'small', finish: 'plain', x: 0.2, y: 0.5, r: 0.08, rot: 0, shade: 'normal', accent: 'white', shadow: false, rgb: [0, 0, 0], ...p });
    const scene: Scene = {
      domain: 'a', background: 'beach', textureSeed: 1, style: { frame: true, grainy: false, faded: false, vignette: false },
      objects: [o({}), o({ cls: 'box', colour: 'blue', size: 'large', finish: 'striped', x: 0.75, r: 0.17, shade: 'dark', shadow: true, rot: 0.5 })],
    };
    assert.deepEqual(falseClaims('A red ball to the left of a striped blue box on the beach.', scene), []);
    assert.deepEqual(falseClaims('A big blue box, a dark blue square casting a shadow, tilted blue cube, blue box with white stripes, framed picture.', scene), []);
    for (const wrong of [
      'A red ball to the right of a blue box.', 'A green ball on a beach.', 'Three objects on the sand, including a red ball.',
      'A red ball in the snow.', 'A red ball that is bigger than a blue box.', 'A blue square on the left side of the picture.',
      'A single red ball on a beach.', 'Two red balls and a blue box.', 'A spotted blue box.', 'A small blue box.',
      'A red ball, featuring a light blue square.', 'A red ball, grainy image.', 'A red ball, no frame.',
      'A tilted red ball.', 'A red ball casting a shadow.', 'A blue box with black stripes.', 'Two animals on a beach.',
      'A group of two objects on the beach, the biggest one being a red ball.', 'Two balls, one red and one green.',
    ]) assert.ok(falseClaims(wrong, scene).length > 0, `not caught: ${wrong}`);
  });

  it('scene words name exactly one scene type, and no object noun contains one', () => {
    for (const t of SCENE_TYPES) {
      for (const p of [...SCENE_SPECS[t].phrases, ...SCENE_SPECS[t].nouns]) {
        const found = [...p.matchAll(keywordRe)].map((m) => KEYWORD.get(m[1]));
        assert.ok(found.length > 0 && found.every((x) => x === t), `"${p}" (${t}) names ${found.join(', ') || 'no scene'}`);
      }
    }
    for (const n of [...NOUN.keys(), ...GROUP.keys()]) assert.equal([...n.matchAll(keywordRe)].length, 0, `object noun "${n}" contains a scene keyword`);
  });

  it('writes five distinct, COCO-like captions per image, in two domain styles', () => {
    const stats = { a: { words: 0, n: 0, spaced: 0, forms: new Set<string>(), vocab: new Set<string>() }, b: { words: 0, n: 0, spaced: 0, forms: new Set<string>(), vocab: new Set<string>() } };
    for (const domain of ['a', 'b'] as const) {
      for (let i = 0; i < 300; i++) {
        const rng = new Rng(i).fork(`style-${domain}`);
        const caps = writeCaptions(sampleScene(rng, domain), rng);
        assert.equal(caps.length, 5);
        assert.equal(new Set(caps.map(captionKey)).size, 5, `captions repeat: ${caps.join(' | ')}`);
        for (const c of caps) {
          const st = stats[domain];
          const words = captionKey(c).split(' ');
          st.words += words.length;
          words.forEach((w) => st.vocab.add(w));
          st.n++;
          if (c.endsWith(' .')) st.spaced++;
          st.forms.add(words.slice(0, 2).join(' '));
        }
      }
    }
    const meanA = stats.a.words / stats.a.n, meanB = stats.b.words / stats.b.n;
    assert.ok(meanA >= 8 && meanA <= 14, `domain a mean length ${meanA}`);
    assert.ok(meanB >= 8 && meanB <= 15, `domain b mean length ${meanB}`);
    assert.equal(stats.a.spaced, 0);
    assert.ok(stats.b.spaced / stats.b.n > 0.3, 'domain b uses the Flickr " ." ending');
    assert.ok(stats.a.forms.size > 80 && stats.b.forms.size > 80, 'varied sentence openings');
    assert.ok(stats.a.vocab.size > 300 && stats.b.vocab.size > 300, `vocabulary ${stats.a.vocab.size} / ${stats.b.vocab.size}`);
  });

  it('mentions the most salient object more often than the least salient one', () => {
    let big = 0, small = 0;
    for (let i = 0; i < 300; i++) {
      const rng = new Rng(i).fork('salience');
      const scene = sampleScene(rng, 'a');
      const large = scene.objects.find((o) => o.size === 'large'), tiny = scene.objects.find((o) => o.size === 'small');
      if (!large || !tiny || large.cls === tiny.cls) continue;
      const caps = writeCaptions(scene, rng).map((c) => ` ${captionKey(c)} `);
      const says = (o: WorldObject) => caps.filter((c) => CLASS_SPECS[o.cls].nouns.some(([sg, pl]) => c.includes(` ${sg} `) || c.includes(` ${pl} `))).length;
      big += says(large);
      small += says(tiny);
    }
    assert.ok(big > 2 * small, `large objects mentioned ${big} times, small ones ${small}`);
  });

  it('is deterministic', () => {
    const a = writeCaptions(sampleScene(new Rng(5), 'a'), new Rng(6));
    const b = writeCaptions(sampleScene(new Rng(5), 'a'), new Rng(6));
    assert.deepEqual(a, b);
  });
});
