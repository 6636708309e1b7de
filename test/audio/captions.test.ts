// The sound world's captions never state something false: an independent checker parses each
// caption into mentions (nouns, verbs with their subject, gerunds) with the counts, pitch,
// loudness, direction and rhythm words around them, and the temporal connectives between clauses,
// and tests every claim against the scene with its own timing arithmetic. A wrong count, a swapped
// order, an overlap that is not one, a high beep called low, or a web-only detail in a captioning
// caption fails. Also: five distinct captions, domain styles differ, detail phrases are truthful.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../lib/util/rng.ts';
import {
  type SoundEvent, type SoundKind, type SoundScene, sampleSoundScene, writeSoundCaptions, writeSoundPretrainCaptions, soundCaptionKey,
  KIND_NOUNS, KIND_VERBS, KIND_GERUNDS, SOUND_KINDS,
} from '../../lib/world/sound/index.ts';

// --------------------------------------------------------------- the checker's own vocabulary
const SG = new Map<string, SoundKind>(), PL = new Map<string, SoundKind>(), VERB = new Map<string, SoundKind>(), GER = new Map<string, SoundKind>();
const token = (w: string) => w.replace(/ /g, '_');
for (const k of SOUND_KINDS) {
  for (const [s, p] of KIND_NOUNS[k]) { SG.set(token(s), k); PL.set(token(p), k); }
  for (const v of KIND_VERBS[k].verbs) VERB.set(v, k);
  for (const g of KIND_GERUNDS[k]) GER.set(g, k);
}
const MULTI = [...SG.keys(), ...PL.keys()].filter((t) => t.includes('_'));
const PITCH: Record<string, 'high' | 'low'> = { high: 'high', 'high-pitched': 'high', low: 'low', 'low-pitched': 'low', deep: 'low' };
const LOUD: Record<string, 'loud' | 'quiet'> = { loud: 'loud', quiet: 'quiet', faint: 'quiet', soft: 'quiet' };
const DIR: Record<string, 'rising' | 'falling'> = { rising: 'rising', rises: 'rising', falling: 'falling', falls: 'falling' };
const NUM: Record<string, number> = { one: 1, two: 2, three: 3, four: 4 };
const TIMES: [RegExp, number][] = [[/\bonce\b/, 1], [/\btwice\b/, 2], [/\btwo times\b/, 2], [/\bthree times\b/, 3], [/\bfour times\b/, 4]];
const FAST = /\b(rapidly|quickly|in quick succession)\b/, SLOW = /\bslowly\b/;

// its own timing (same margins as the world promises, computed independently)
const end = (e: SoundEvent) => e.start + e.count * e.duration + (e.count - 1) * e.gap;
const isBefore = (a: SoundEvent, b: SoundEvent) => end(a) + 0.079 <= b.start;
const inside = (a: SoundEvent, b: SoundEvent) => a.start >= b.start + 0.079 && end(a) + 0.079 <= end(b);

const DETAIL = /\s(in a room with an echo|with a strong echo|in a reverberant hall|in a dry room|with no echo|with a faint hiss underneath|against faint background hiss|against complete silence|with a silent background)/g;
const CONNECTIVES = /(, then | followed by | and then | before | after | while | over | during |, ending with )/;

interface Mention { kind: SoundKind; form: 'sg' | 'pl' | 'verb' | 'gerund'; words: string[]; after: string }

const tally = { mentions: 0, counts: 0, order: 0, overlap: 0, pitch: 0, loud: 0, tempo: 0, detail: 0, last: 0, number: 0 };

function mentions(segment: string): Mention[] {
  let s = ` ${segment} `;
  for (const m of MULTI) s = s.replace(new RegExp(` ${m.replace(/_/g, ' ')} `, 'g'), ` ${m} `);
  const toks = s.trim().split(' ').filter(Boolean);
  const out: Mention[] = [];
  toks.forEach((t, i) => {
    const prev = toks[i - 1];
    let form: Mention['form'] | null = null, kind: SoundKind | undefined;
    if (VERB.has(t) && (prev === 'something' || prev === 'someone' || (SG.has(prev ?? '') && SG.get(prev!) === VERB.get(t)))) {
      if (SG.has(prev ?? '')) return; // "a bell rings": the verb of the noun just parsed
      form = 'verb'; kind = VERB.get(t);
    } else if (SG.has(t)) { form = 'sg'; kind = SG.get(t); }
    else if (PL.has(t)) { form = 'pl'; kind = PL.get(t); }
    else if (GER.has(t)) { form = 'gerund'; kind = GER.get(t); }
    if (!form || !kind) return;
    let j = i - 1;
    const words: string[] = [];
    while (j >= 0 && (PITCH[toks[j]] || LOUD[toks[j]] || DIR[toks[j]] || NUM[toks[j]] || ['a', 'an', 'of', 'series'].includes(toks[j]))) words.unshift(toks[j--]);
    // what follows up to the next mention or the segment end
    let k = i + 1;
    if (form === 'sg' && VERB.get(toks[k]) === kind) k++; // "a bell chimes twice": the noun's own verb
    while (k < toks.length && !SG.has(toks[k]) && !PL.has(toks[k]) && !GER.has(toks[k]) && !(VERB.has(toks[k]) && (toks[k - 1] === 'something' || toks[k - 1] === 'someone'))) k++;
    out.push({ kind, form, words, after: toks.slice(i + 1, k).join(' ') });
  });
  return out;
}

/** Problems found in `caption` about `scene` (empty = nothing false found). */
function falseClaims(caption: string, scene: SoundScene, pretrain: boolean): string[] {
  const bad: string[] = [];
  let s = caption.toLowerCase().replace(/\.$/, '').trim();
  const detail = [...s.matchAll(DETAIL)].map((m) => m[1]);
  if (!pretrain && /echo|reverb|hiss|silen|room|hall|background/.test(s)) bad.push('web-only detail in a captioning caption');
  for (const d of detail) {
    tally.detail++;
    if (/echo|reverberant/.test(d) && !/no echo/.test(d) && scene.room !== 'echo') bad.push(`"${d}" but the room is dry`);
    if ((/dry room|no echo/.test(d)) && scene.room !== 'dry') bad.push(`"${d}" but the room echoes`);
    if (/hiss/.test(d) && scene.floor !== 'hiss') bad.push(`"${d}" but there is no hiss`);
    if (/silence|silent/.test(d) && scene.floor !== 'silent') bad.push(`"${d}" but there is a hiss`);
  }
  s = s.replace(DETAIL, '');
  const ev = (k: SoundKind) => scene.events.find((e) => e.kind === k);
  const numberClaim = s.match(/^(?:a mix of )?(two|three|four) (?:different |distinct )?sounds/);
  if (numberClaim) { tally.number++; if (NUM[numberClaim[1]] !== scene.events.length) bad.push(`says ${numberClaim[1]} sounds, there are ${scene.events.length}`); }
  const parts = s.split(CONNECTIVES);
  const segKinds: SoundKind[][] = [];
  let any = Boolean(numberClaim);
  for (let p = 0; p < parts.length; p += 2) {
    const ms = mentions(parts[p]);
    segKinds.push(ms.map((m) => m.kind));
    for (const m of ms) {
      any = true;
      tally.mentions++;
      const e = ev(m.kind);
      if (!e) { bad.push(`no ${m.kind} in the clip`); continue; }
      for (const w of m.words) {
        if (PITCH[w]) { tally.pitch++; if (e.pitch !== PITCH[w]) bad.push(`"${w}" ${m.kind} but it is ${e.pitch}`); }
        if (LOUD[w]) { tally.loud++; if (e.loudness !== LOUD[w]) bad.push(`"${w}" ${m.kind} but it is ${e.loudness}`); }
        if (DIR[w] && e.direction !== DIR[w]) bad.push(`"${w}" ${m.kind} but it is ${e.direction}`);
      }
      const dirVerb = m.after.match(/^(rises|falls)\b/);
      if (dirVerb && e.direction !== DIR[dirVerb[1]]) bad.push(`${m.kind} ${dirVerb[1]} but it is ${e.direction}`);
      const num = m.words.find((w) => NUM[w]);
      const times = TIMES.find(([re]) => re.test(m.after));
      if (num) { tally.counts++; if (NUM[num] !== e.count) bad.push(`"${num}" ${m.kind}s, there are ${e.count}`); }
      if (times) { tally.counts++; if (times[1] !== e.count) bad.push(`${m.kind} "${m.after}", it sounds ${e.count} times`); }
      if (!num && !times && (m.form === 'sg' || m.form === 'verb') && e.count !== 1) bad.push(`a single ${m.kind} without a count, it sounds ${e.count} times`);
      if (m.form === 'pl' && !num && !times && e.count < 2) bad.push(`plural ${m.kind} but it sounds once`);
      if (FAST.test(m.after)) { tally.tempo++; if (e.tempo !== 'fast') bad.push(`${m.kind} fast but it is ${e.tempo}`); }
      if (SLOW.test(m.after)) { tally.tempo++; if (e.tempo !== 'slow') bad.push(`${m.kind} slow but it is ${e.tempo}`); }
    }
  }
  for (let c = 1; c < parts.length; c += 2) {
    const conn = parts[c].trim().replace(/^, /, '');
    const A = segKinds[(c - 1) / 2].map(ev).filter(Boolean) as SoundEvent[], B = segKinds[(c + 1) / 2].map(ev).filter(Boolean) as SoundEvent[];
    for (const a of A) for (const b of B) {
      if (['then', 'followed by', 'and then', 'before'].includes(conn)) { tally.order++; if (!isBefore(a, b)) bad.push(`${a.kind} ${conn} ${b.kind}: not in that order`); }
      else if (conn === 'after') { tally.order++; if (!isBefore(b, a)) bad.push(`${a.kind} after ${b.kind}: not in that order`); }
      else if (['while', 'over', 'during'].includes(conn)) { tally.overlap++; if (!inside(a, b) && !inside(b, a)) bad.push(`${a.kind} ${conn} ${b.kind}: they do not overlap`); }
    }
    if (conn === 'ending with') for (const b of B) {
      tally.last++;
      if (scene.events.some((o) => o !== b && !isBefore(o, b))) bad.push(`ends with ${b.kind}, but it is not last`);
    }
  }
  if (!any) bad.push('says nothing checkable');
  return bad;
}

function scenes(domain: 'a' | 'b', n: number): { scene: SoundScene; rng: Rng }[] {
  return Array.from({ length: n }, (_, i) => {
    const rng = new Rng(1234).fork(`${domain}/${i}`);
    return { scene: sampleSoundScene(rng, domain, 2), rng };
  });
}

describe('sound world captions', () => {
  it('state nothing false about their scene (both domains, captioning and pre-training captions)', () => {
    const failures: string[] = [];
    for (const domain of ['a', 'b'] as const) {
      for (const { scene, rng } of scenes(domain, 400)) {
        for (const [pre, caps] of [[false, writeSoundCaptions(scene, rng)], [true, writeSoundPretrainCaptions(scene, rng)]] as const) {
          for (const c of caps) {
            const bad = falseClaims(c, scene, pre);
            if (bad.length) failures.push(`${c}  <-  ${bad.join('; ')}`);
          }
        }
      }
    }
    assert.deepEqual(failures.slice(0, 10), []);
    // the checker really checked the kinds of claims the writer makes
    for (const k of ['mentions', 'counts', 'order', 'overlap', 'pitch', 'loud', 'tempo', 'detail', 'last', 'number'] as const) assert.ok(tally[k] > 20, `too few ${k} claims checked (${tally[k]})`);
  });

  it('the checker catches false captions', () => {
    const { scene } = scenes('a', 50).find(({ scene: s }) => s.layout === 'sequence' && s.events.some((e) => e.count > 1) && s.events.some((e) => e.pitch === 'high'))!;
    const [x, y] = scene.events;
    const rep = scene.events.find((e) => e.count > 1)!;
    const high = scene.events.find((e) => e.pitch === 'high')!;
    const nounOf = (k: SoundKind, pl = false) => KIND_NOUNS[k][0][pl ? 1 : 0];
    const missing = SOUND_KINDS.find((k) => !scene.events.some((e) => e.kind === k))!;
    for (const wrong of [
      `${nounOf(y.kind, y.count > 1)}, then ${nounOf(x.kind, x.count > 1)}`.replace(/^/, y.count > 1 ? `${['', 'one', 'two', 'three', 'four'][y.count]} ` : 'a '),
      `a low ${nounOf(high.kind)}${high.count > 1 ? ` repeats ${['', 'once', 'twice', 'three times', 'four times'][high.count]}` : ''}`,
      `${['', 'one', 'two', 'three', 'four', 'five'][rep.count + 1]} ${nounOf(rep.kind, true)} in a row`,
      `a ${nounOf(missing)}`,
      `a ${nounOf(x.kind)} plays in a room with an echo`,
    ]) assert.ok(falseClaims(wrong, scene, false).length > 0, `not caught: ${wrong}`);
  });

  it('are five distinct captions per clip, and the two domains write differently', () => {
    const stops = { a: 0, b: 0 }, words = { a: 0, b: 0 };
    for (const domain of ['a', 'b'] as const) {
      for (const { scene, rng } of scenes(domain, 100)) {
        const caps = writeSoundCaptions(scene, rng);
        assert.equal(caps.length, 5);
        assert.equal(new Set(caps.map(soundCaptionKey)).size, 5, caps.join(' | '));
        for (const c of caps) { if (c.endsWith('.')) stops[domain]++; words[domain] += c.split(' ').length; }
      }
    }
    assert.ok(stops.a < 50 && stops.b > 400, `full stops a ${stops.a}, b ${stops.b}`);
    assert.ok(words.b > words.a, `mean length a ${words.a / 500}, b ${words.b / 500}`);
  });
});
