// Caption writer of the sound world: five distinct captions per clip, written the way AudioCaps and
// Clotho annotators describe sounds — what is heard, how often, high or low, loud or quiet, in which
// order or at the same time ("A high beep repeats three times, then a low hum", "A bell rings twice
// while a deep hum plays.", "Knocking and buzzing", "Two different sounds, ending with a loud
// buzzer"). A caption may leave events or attributes out but never states something false: counts
// are the exact number of repetitions (a singular noun without "N times" is said only of a single
// occurrence), "then"/"followed by"/"before"/"after" hold with a clear silence between the events,
// "while"/"over"/"during" only of an event inside a sustained one (scene.ts margins).
// Pre-training ("web") captions add what the captioning splits never mention: the room's echo and
// the noise floor. test/audio/captions.test.ts checks every statement with an independent parser.
import type { Rng } from '../../util/rng.ts';
import { pickW } from '../captions.ts';
import { type SoundCaptionStyle, type SoundKind, SOUND_DOMAIN_SPECS } from './domains.ts';
import { type SoundEvent, type SoundScene, during } from './scene.ts';

// ----------------------------------------------------------------------------------- vocabulary

/** Nouns of each kind: [singular, plural, weight]. */
export const KIND_NOUNS: Record<SoundKind, [string, string, number][]> = {
  beep: [['beep', 'beeps', 3], ['bleep', 'bleeps', 1], ['tone', 'tones', 1]],
  hum: [['hum', 'hums', 3], ['drone', 'drones', 1]],
  whistle: [['whistle', 'whistles', 3]],
  knock: [['knock', 'knocks', 3], ['tap', 'taps', 1]],
  static: [['burst of static', 'bursts of static', 2], ['burst of noise', 'bursts of noise', 1], ['crackle', 'crackles', 1]],
  bell: [['bell', 'bells', 2], ['chime', 'chimes', 1]],
  buzz: [['buzz', 'buzzes', 1], ['buzzer', 'buzzers', 2]],
};

/** Third-person verbs of each kind, with the subject that goes with them ("something beeps", "someone knocks"). */
export const KIND_VERBS: Record<SoundKind, { subject: string; verbs: string[] }> = {
  beep: { subject: 'something', verbs: ['beeps', 'bleeps'] },
  hum: { subject: 'something', verbs: ['hums', 'drones'] },
  whistle: { subject: 'someone', verbs: ['whistles'] },
  knock: { subject: 'someone', verbs: ['knocks', 'taps'] },
  static: { subject: 'something', verbs: ['crackles'] },
  bell: { subject: 'a bell', verbs: ['rings', 'chimes'] },
  buzz: { subject: 'something', verbs: ['buzzes'] },
};

/** Gerunds (count-free mentions: "beeping and humming"). */
export const KIND_GERUNDS: Record<SoundKind, string[]> = {
  beep: ['beeping'], hum: ['humming', 'droning'], whistle: ['whistling'], knock: ['knocking', 'tapping'],
  static: ['crackling'], bell: ['ringing', 'chiming'], buzz: ['buzzing'],
};

export const PITCH_WORDS = { high: ['high', 'high-pitched'], low: ['low', 'low-pitched', 'deep'] } as const;
export const LOUDNESS_WORDS = { loud: ['loud'], quiet: ['quiet', 'faint', 'soft'] } as const;
export const DIRECTION_WORDS = { rising: ['rising'], falling: ['falling'] } as const;
export const TEMPO_WORDS = { fast: ['rapidly', 'quickly', 'in quick succession'], slow: ['slowly'] } as const;
export const COUNT_WORDS = ['no', 'one', 'two', 'three', 'four'] as const;
export const TIMES_WORDS = ['never', 'once', 'twice', 'three times', 'four times'] as const;
/** Temporal connectives the writer uses (order: A before B, unless reversed; overlap: A during B). */
export const ORDER_CONNECTIVES = [', then ', ' followed by ', ' and then ', ' before '] as const;
export const REVERSED_CONNECTIVES = [' after '] as const;
export const OVERLAP_CONNECTIVES = [' while ', ' over ', ' during '] as const;

/** Web-only detail (pre-training captions only): the room and the noise floor. */
export const ROOM_PHRASES = { echo: ['in a room with an echo', 'with a strong echo', 'in a reverberant hall'], dry: ['in a dry room', 'with no echo'] } as const;
export const FLOOR_PHRASES = { hiss: ['with a faint hiss underneath', 'against faint background hiss'], silent: ['against complete silence', 'with a silent background'] } as const;

// ------------------------------------------------------------------------------------- helpers

const article = (phrase: string) => (/^[aeiou]/i.test(phrase) ? `an ${phrase}` : `a ${phrase}`);

interface Ctx { rng: Rng; style: SoundCaptionStyle }

/** Optional adjectives of an event (pitch, loudness, direction), each with the style's probability. */
function adjectives(ctx: Ctx, e: SoundEvent, force = false): string[] {
  const { rng, style } = ctx;
  const out: string[] = [];
  const p = force ? Math.max(style.adjective, 0.8) : style.adjective;
  if (rng.uniform() < p * 0.6) out.push(rng.pick(LOUDNESS_WORDS[e.loudness]));
  if (e.pitch && rng.uniform() < p) out.push(rng.pick(PITCH_WORDS[e.pitch]));
  if (e.direction && rng.uniform() < p) out.push(rng.pick(DIRECTION_WORDS[e.direction]));
  return out;
}

function noun(ctx: Ctx, e: SoundEvent, plural: boolean): string {
  const n = pickW(ctx.rng, KIND_NOUNS[e.kind], (x) => x[2]);
  return plural ? n[1] : n[0];
}

function times(ctx: Ctx, e: SoundEvent): string {
  const t = e.count === 2 && ctx.rng.uniform() < 0.3 ? 'two times' : TIMES_WORDS[e.count];
  const tempo = e.tempo && ctx.rng.uniform() < 0.5 ? ` ${ctx.rng.pick(TEMPO_WORDS[e.tempo])}` : '';
  return e.count === 1 ? (ctx.rng.uniform() < 0.15 ? ' once' : '') : ` ${t}${tempo}`;
}

/** A noun phrase with the exact count: "a loud high beep", "three high beeps", "a series of knocks". */
function np(ctx: Ctx, e: SoundEvent, force = false): string {
  const adj = adjectives(ctx, e, force);
  const words = adj.length ? `${adj.join(' ')} ` : '';
  if (e.count === 1) return article(`${words}${noun(ctx, e, false)}`);
  if (ctx.rng.uniform() < 0.2) return `a series of ${words}${noun(ctx, e, true)}`;
  return `${COUNT_WORDS[e.count]} ${words}${noun(ctx, e, true)}`;
}

/** A clause about one event: "a high beep repeats three times", "someone knocks twice slowly", "a whistle rises". */
function clause(ctx: Ctx, e: SoundEvent, force = false): string {
  const { rng } = ctx;
  const u = rng.uniform();
  if (e.direction && u < 0.25) return `${article([...adjectives(ctx, { ...e, direction: null }, force), noun(ctx, e, false)].join(' '))} ${e.direction === 'rising' ? 'rises' : 'falls'}`;
  if (u < 0.4) {
    const v = KIND_VERBS[e.kind];
    return `${v.subject} ${rng.pick(v.verbs)}${times(ctx, e)}`;
  }
  const adj = adjectives(ctx, e, force);
  const subject = article([...adj, noun(ctx, e, false)].join(' '));
  if (e.count > 1 && rng.uniform() < 0.5) return `${subject} repeats${times(ctx, e)}`;
  return `${subject} ${rng.pick(['sounds', 'plays', 'is heard'])}${times(ctx, e)}`;
}

/** A clause or a noun phrase, at random. */
const mention = (ctx: Ctx, e: SoundEvent) => (ctx.rng.uniform() < 0.5 ? clause(ctx, e) : np(ctx, e));

// ------------------------------------------------------------------------------------ families

type Family = (ctx: Ctx, s: SoundScene) => string | null;

const FAMILIES: Record<string, Family> = {
  /** One event described fully (in a multi-event clip: a partial but true caption). */
  single: (ctx, s) => clause(ctx, ctx.rng.pick(s.events), true),
  /** The events in order. */
  sequence: (ctx, s) => {
    if (s.layout !== 'sequence') return null;
    const { rng } = ctx;
    const ev = s.events;
    if (ev.length === 2 && rng.uniform() < 0.25) return `${np(ctx, ev[1])}${rng.pick(REVERSED_CONNECTIVES)}${np(ctx, ev[0])}`;
    let out = mention(ctx, ev[0]);
    for (let i = 1; i < ev.length; i++) {
      const c = rng.pick(ORDER_CONNECTIVES);
      out += `${c}${c === ' followed by ' ? np(ctx, ev[i]) : mention(ctx, ev[i])}`;
    }
    return out;
  },
  /** One event during a sustained one. */
  overlap: (ctx, s) => {
    if (s.layout !== 'overlap') return null;
    const [x, y] = s.events;
    const fg = during(x, y) ? x : y, bg = fg === x ? y : x;
    const c = ctx.rng.pick(OVERLAP_CONNECTIVES);
    return c === ' while ' ? `${clause(ctx, fg)}${c}${clause(ctx, bg)}` : `${mention(ctx, fg)}${c}${np(ctx, bg)}`;
  },
  /** Unordered: "beeping and a low hum". */
  list: (ctx, s) => {
    if (s.events.length < 2) return null;
    const parts = ctx.rng.shuffle(s.events.map((e) => (ctx.rng.uniform() < 0.5 ? ctx.rng.pick(KIND_GERUNDS[e.kind]) : np(ctx, e))));
    return parts.length === 2 ? parts.join(' and ') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  },
  /** A repeated event, counted. */
  count: (ctx, s) => {
    const rep = s.events.filter((e) => e.count > 1);
    if (!rep.length) return null;
    const e = ctx.rng.pick(rep);
    if (ctx.rng.uniform() < 0.5) return `${np(ctx, e, true)} in a row`;
    const v = KIND_VERBS[e.kind];
    return `${v.subject} ${ctx.rng.pick(v.verbs)}${times(ctx, e)}`;
  },
  /** How many sounds, and which comes last. */
  scene: (ctx, s) => {
    if (s.events.length < 2) return null;
    const n = COUNT_WORDS[s.events.length];
    const lead = ctx.rng.pick([`${n} different sounds`, `${n} distinct sounds`, `a mix of ${n} sounds`]);
    if (s.layout !== 'sequence' || ctx.rng.uniform() < 0.4) return lead;
    return `${lead}, ending with ${np(ctx, s.events[s.events.length - 1])}`;
  },
};

function finish(text: string, ctx: Ctx): string {
  let t = text.replace(/\s+/g, ' ').trim();
  if (ctx.rng.uniform() >= ctx.style.lowerStart) t = t[0].toUpperCase() + t.slice(1);
  if (ctx.rng.uniform() < ctx.style.fullStop) t += '.';
  return t;
}

/** A normalised form used to tell captions apart (case, punctuation and spacing ignored). */
export function soundCaptionKey(c: string): string {
  return c.toLowerCase().replace(/[^a-z0-9 ]+/g, ' ').replace(/\s+/g, ' ').trim();
}

function writeWith(scene: SoundScene, rng: Rng, detail: ((ctx: Ctx) => string) | null, n: number): string[] {
  const style = SOUND_DOMAIN_SPECS[scene.domain].style;
  const ctx: Ctx = { rng, style };
  const names = Object.keys(FAMILIES);
  const out: string[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; out.length < n && attempt < 200; attempt++) {
    const fam = pickW(rng, names, (f) => style.families[f] ?? 1);
    let text = FAMILIES[fam](ctx, scene);
    if (text === null) continue;
    if (detail) text = `${text} ${detail(ctx)}`;
    const key = soundCaptionKey(text);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(finish(text, ctx));
  }
  // a clip with one plain event has few distinct truthful sentences: vary the wording until five
  for (let k = 0; out.length < n; k++) {
    const text = `${clause(ctx, scene.events[k % scene.events.length], true)}${detail ? ` ${detail(ctx)}` : ''}`;
    const key = soundCaptionKey(text);
    if (!seen.has(key) || k > 400) { seen.add(key); out.push(finish(text, ctx)); }
  }
  return out;
}

/** Five distinct truthful captions in the style of the scene's domain. */
export function writeSoundCaptions(scene: SoundScene, rng: Rng, n = 5): string[] {
  return writeWith(scene, rng, null, n);
}

/**
 * Pre-training ("web") captions: the same sentences, most of them with a phrase about the room
 * (echo or dry) and/or the noise floor (hiss or silence), which the captioning splits never state.
 */
export function writeSoundPretrainCaptions(scene: SoundScene, rng: Rng, n = 5): string[] {
  return writeWith(scene, rng, (ctx) => {
    const parts: string[] = [];
    const u = ctx.rng.uniform();
    if (u < 0.45 || u >= 0.8) parts.push(ctx.rng.pick(ROOM_PHRASES[scene.room]));
    if (u >= 0.45) parts.push(ctx.rng.pick(FLOOR_PHRASES[scene.floor]));
    return parts.join(' ');
  }, n);
}
