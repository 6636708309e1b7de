// Scenes of the sound world: 1-3 events in a short clip, each event one kind of source (domains.ts)
// heard `count` times with its pitch, loudness, rhythm and, for whistles, sweep direction. Events
// are either in sequence (clearly separated in time) or one happens during a sustained one. Also
// the recording's room (dry or echoing) and noise floor (silent or a faint hiss), which only the
// pre-training ("web") captions mention. The temporal facts captions may state use margins, so a
// stated fact is clearly audible: "then" needs a gap of at least MIN_GAP seconds; "while" needs
// the shorter event inside the longer one with MIN_INSIDE seconds to spare on both sides.
import type { Rng } from '../../util/rng.ts';
import { pickWeighted } from '../scene.ts';
import {
  type Direction, type Loudness, type Pitch, type SoundDomainName, type SoundKind, type Tempo,
  KIND_SPECS, SOUND_DOMAIN_SPECS, TEMPO_GAP,
} from './domains.ts';

export interface SoundEvent {
  kind: SoundKind;
  /** High or low (pitched kinds and the hum), null for unpitched kinds. */
  pitch: Pitch | null;
  loudness: Loudness;
  /** How many times the source is heard. */
  count: number;
  /** Rhythm of the repetitions (null when count is 1). */
  tempo: Tempo | null;
  /** Sweep direction of a whistle (null otherwise). */
  direction: Direction | null;
  /** Onset of the first occurrence (seconds). */
  start: number;
  /** Seconds per occurrence. */
  duration: number;
  /** Silence between occurrences (seconds). */
  gap: number;
  /** Base frequency in Hz (the sweep's start for a whistle). */
  freq: number;
}

export interface SoundScene {
  domain: SoundDomainName;
  /** Events sorted by onset. */
  events: SoundEvent[];
  /** 'overlap': events[1] (or [0]) happens during the sustained other one; else sequence/single. */
  layout: 'single' | 'sequence' | 'overlap';
  /** Room of the recording (rendered as echoes); mentioned only by pre-training captions. */
  room: 'dry' | 'echo';
  /** Noise floor; mentioned only by pre-training captions. */
  floor: 'silent' | 'hiss';
  /** Clip length in seconds. */
  seconds: number;
  /** Seed of the noise sources (static, knocks, hiss). */
  noiseSeed: number;
}

/** Smallest silence between two events for "then" / "followed by" / "before" / "after". */
export const MIN_GAP = 0.08;
/** Margin on both sides of an event heard "while" a sustained one plays. */
export const MIN_INSIDE = 0.08;

/** End of an event's last occurrence. */
export function eventEnd(e: SoundEvent): number {
  return e.start + e.count * e.duration + (e.count - 1) * e.gap;
}

/** Onsets of an event's occurrences. */
export function onsets(e: SoundEvent): number[] {
  return Array.from({ length: e.count }, (_, k) => e.start + k * (e.duration + e.gap));
}

/** `a` is over, with a clear silence, before `b` starts. */
export function before(a: SoundEvent, b: SoundEvent): boolean {
  return eventEnd(a) + MIN_GAP <= b.start;
}

/** `a` happens entirely while `b` is sounding, with a margin. */
export function during(a: SoundEvent, b: SoundEvent): boolean {
  return a !== b && b.start + MIN_INSIDE <= a.start && eventEnd(a) + MIN_INSIDE <= eventEnd(b);
}

const uniform = (rng: Rng, [lo, hi]: [number, number]) => lo + (hi - lo) * rng.uniform();

/** Frequency ranges (Hz) per kind and pitch, far apart so "high"/"low" are never in doubt; 8 kHz audio. */
const FREQ: Record<SoundKind, Partial<Record<Pitch | 'any', [number, number]>>> = {
  beep: { high: [1600, 2400], low: [350, 550] },
  hum: { low: [90, 140] },
  whistle: { any: [700, 900] },
  knock: { any: [250, 500] },
  static: { any: [0, 0] },
  bell: { high: [900, 1250], low: [260, 380] },
  buzz: { high: [520, 760], low: [120, 190] },
};

function sampleEvent(rng: Rng, kind: SoundKind, loudProb: number, maxCount: number): SoundEvent {
  const spec = KIND_SPECS[kind];
  const pitch: Pitch | null = spec.fixedPitch ?? (spec.pitched ? (rng.uniform() < 0.5 ? 'high' : 'low') : null);
  const cap = Math.min(spec.maxCount, maxCount);
  // knocks come in twos to fours more often than alone
  const count = cap === 1 ? 1 : kind === 'knock' ? 2 + rng.int(cap - 1) : 1 + rng.int(cap);
  const tempo: Tempo | null = count > 1 ? (rng.uniform() < 0.5 ? 'fast' : 'slow') : null;
  const direction: Direction | null = spec.sweep ? (rng.uniform() < 0.5 ? 'rising' : 'falling') : null;
  const range = FREQ[kind][pitch ?? 'any'] ?? FREQ[kind].any!;
  return {
    kind, pitch, loudness: rng.uniform() < loudProb ? 'loud' : 'quiet', count, tempo, direction,
    start: 0, duration: uniform(rng, spec.duration), gap: tempo ? uniform(rng, TEMPO_GAP[tempo]) : 0, freq: uniform(rng, range),
  };
}

const span = (e: SoundEvent) => eventEnd(e) - e.start;

/**
 * Samples one scene of `domain` in a clip of `seconds`. Events never share a kind (so counts in
 * captions are counts of the whole clip); a sequence that does not fit is resampled with fewer
 * repetitions and, failing that, fewer events.
 */
export function sampleSoundScene(rng: Rng, domain: SoundDomainName, seconds: number): SoundScene {
  const spec = SOUND_DOMAIN_SPECS[domain];
  const u = rng.uniform();
  let n = u < spec.countWeights[0] ? 1 : u < spec.countWeights[0] + spec.countWeights[1] ? 2 : 3;
  const room = rng.uniform() < 0.5 ? 'echo' as const : 'dry' as const;
  const floor = rng.uniform() < 0.5 ? 'hiss' as const : 'silent' as const;
  const noiseSeed = rng.nextU32();
  const tail = 0.06; // silence kept at the end of the clip
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0 && attempt % 8 === 0 && n > 1) n--;
    const kinds: SoundKind[] = [];
    while (kinds.length < n) {
      const k = pickWeighted(rng, spec.kindWeights);
      if (!kinds.includes(k)) kinds.push(k);
    }
    const maxCount = attempt >= 4 ? 2 : 4;
    // overlap: a short event during a sustained one (two events only)
    const sustained = kinds.findIndex((k) => KIND_SPECS[k].sustained);
    if (n === 2 && sustained >= 0 && rng.uniform() < spec.overlapProb) {
      const bg = sampleEvent(rng, kinds[sustained], spec.loudProb, 1);
      const fg = sampleEvent(rng, kinds[1 - sustained], spec.loudProb, maxCount);
      bg.duration = Math.max(bg.duration, span(fg) + 2 * MIN_INSIDE + 0.2);
      if (bg.duration > seconds - 0.1 - tail) continue;
      bg.start = 0.05 + (seconds - tail - 0.05 - bg.duration) * rng.uniform();
      const room0 = bg.duration - 2 * MIN_INSIDE - span(fg) - 0.04;
      fg.start = bg.start + MIN_INSIDE + 0.02 + Math.max(0, room0) * rng.uniform();
      if (!during(fg, bg)) continue;
      const events = [bg, fg].sort((a, b) => a.start - b.start);
      return { domain, events, layout: 'overlap', room, floor, seconds, noiseSeed };
    }
    const events = kinds.map((k) => sampleEvent(rng, k, spec.loudProb, maxCount));
    const gaps = events.slice(1).map(() => MIN_GAP + 0.04 + 0.2 * rng.uniform());
    const total = events.reduce((s, e) => s + span(e), 0) + gaps.reduce((s, g) => s + g, 0);
    const lead = 0.05 + 0.2 * rng.uniform();
    if (lead + total > seconds - tail) continue;
    let t = lead + (seconds - tail - lead - total) * rng.uniform() * 0.5;
    events.forEach((e, i) => { e.start = t; t = eventEnd(e) + (gaps[i] ?? 0); });
    return { domain, events, layout: n === 1 ? 'single' : 'sequence', room, floor, seconds, noiseSeed };
  }
}
