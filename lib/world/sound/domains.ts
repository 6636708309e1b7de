// The sound world's sources and its two domains. A source kind has its own spectrum and envelope
// (synth.ts renders it); a domain is a distribution over scenes (which kinds, how many events,
// how often they overlap) plus a caption style, so that "a -> b" and "b -> a" play the roles of
// AudioCaps -> Clotho and back, as the image world's domains play MSCOCO and Flickr30K.
//   a ("audiocaps-like"): beeps, knocks, buzzers and static; mostly 1-2 events; short captions
//                         with a capital and no full stop ("A high beep repeats three times, then a low hum").
//   b ("clotho-like"):    bells, whistles and hums; mostly 2-3 events, more overlap; longer captions
//                         with more adjectives, ending in a full stop.

export const SOUND_KINDS = ['beep', 'hum', 'whistle', 'knock', 'static', 'bell', 'buzz'] as const;
export type SoundKind = (typeof SOUND_KINDS)[number];

export type Pitch = 'high' | 'low';
export type Loudness = 'loud' | 'quiet';
export type Tempo = 'fast' | 'slow';
export type Direction = 'rising' | 'falling';

/** What each kind of source is like: everything synth.ts and the scene sampler need. */
export interface KindSpec {
  /** Has a high/low pitch that captions may name (hum: always low, whistle: a sweep instead). */
  pitched: boolean;
  /** Pitch that is always the same (captions may still say "low hum"). */
  fixedPitch?: Pitch;
  /** A frequency sweep with a direction (rising / falling). */
  sweep: boolean;
  /** Most repetitions of the source in one event. */
  maxCount: number;
  /** Seconds per occurrence [min, max]. */
  duration: [number, number];
  /** Can last long enough for another event to happen during it (captions: "while", "over"). */
  sustained: boolean;
}

export const KIND_SPECS: Record<SoundKind, KindSpec> = {
  beep: { pitched: true, sweep: false, maxCount: 4, duration: [0.08, 0.14], sustained: false },
  hum: { pitched: false, fixedPitch: 'low', sweep: false, maxCount: 1, duration: [0.7, 1.3], sustained: true },
  whistle: { pitched: false, sweep: true, maxCount: 1, duration: [0.45, 0.8], sustained: true },
  knock: { pitched: false, sweep: false, maxCount: 4, duration: [0.03, 0.05], sustained: false },
  static: { pitched: false, sweep: false, maxCount: 2, duration: [0.2, 0.4], sustained: false },
  bell: { pitched: true, sweep: false, maxCount: 2, duration: [0.45, 0.7], sustained: false },
  buzz: { pitched: true, sweep: false, maxCount: 2, duration: [0.25, 0.45], sustained: false },
};

/** Gaps between repetitions (seconds) of a fast and a slow rhythm: far apart, so "rapidly"/"slowly" are never in doubt. */
export const TEMPO_GAP: Record<Tempo, [number, number]> = { fast: [0.07, 0.12], slow: [0.26, 0.34] };
/** Peak amplitude of loud and quiet sources (about 12 dB apart). */
export const LOUDNESS_AMP: Record<Loudness, number> = { loud: 0.5, quiet: 0.12 };

export const SOUND_DOMAINS = ['a', 'b'] as const;
export type SoundDomainName = (typeof SOUND_DOMAINS)[number];

/** How a domain writes captions. */
export interface SoundCaptionStyle {
  /** Probability of a final full stop (AudioCaps: almost never; Clotho: always). */
  fullStop: number;
  /** Probability of a lower-case first letter. */
  lowerStart: number;
  /** Probability of an optional adjective (pitch, loudness, direction) in a noun phrase. */
  adjective: number;
  /** Weight multiplier of caption families (see captions.ts); missing = 1. */
  families: Partial<Record<string, number>>;
}

export interface SoundDomainSpec {
  name: SoundDomainName;
  description: string;
  kindWeights: Record<SoundKind, number>;
  /** Probability of 1, 2, 3 events. */
  countWeights: [number, number, number];
  /** Probability that a two-event scene overlaps (one event during a sustained one) when it can. */
  overlapProb: number;
  /** Probability that an event is loud (else quiet). */
  loudProb: number;
  style: SoundCaptionStyle;
}

export const SOUND_DOMAIN_SPECS: Record<SoundDomainName, SoundDomainSpec> = {
  a: {
    name: 'a',
    description: 'audiocaps-like: beeps, knocks, buzzers and static, 1-2 events, short captions without a full stop',
    kindWeights: { beep: 0.28, hum: 0.1, whistle: 0.06, knock: 0.24, static: 0.14, bell: 0.06, buzz: 0.12 },
    countWeights: [0.35, 0.5, 0.15],
    overlapProb: 0.3,
    loudProb: 0.6,
    style: { fullStop: 0.03, lowerStart: 0.03, adjective: 0.45, families: { sequence: 1.3, count: 1.3, list: 0.8 } },
  },
  b: {
    name: 'b',
    description: 'clotho-like: bells, whistles and hums, 2-3 events, more overlap, longer captions ending in a full stop',
    kindWeights: { beep: 0.08, hum: 0.22, whistle: 0.22, knock: 0.08, static: 0.08, bell: 0.24, buzz: 0.08 },
    countWeights: [0.15, 0.5, 0.35],
    overlapProb: 0.55,
    loudProb: 0.45,
    style: { fullStop: 0.95, lowerStart: 0.02, adjective: 0.75, families: { overlap: 1.5, single: 1.3, scene: 1.4 } },
  },
};

/** Pre-training ("web") audio mixes both domains evenly, as CLAP's web audio covers both datasets. */
export const SOUND_PRETRAIN_MIX: Record<SoundDomainName, number> = { a: 0.5, b: 0.5 };
