// Sizes of the sound world per scale, and its file layout. `smoke` is for tests and CI (a couple
// of seconds to generate); `mini` is the audio table's default job, sized from measurements on the
// 2-core CPU so that the whole `reproduce --dataset sound` fits in 10 minutes (docs/audio.md).
// Splits follow the image world (lib/world/splits.ts): a pre-training split for the encoder
// (both domains mixed, its clips independent of the domain) and a captioning dataset of one domain
// with train / val / test (train used as text only by the methods, except the paired ones).
import { DbridgeError } from '../../util/errors.ts';

export const SOUND_SCALES = ['smoke', 'mini'] as const;
export type SoundScale = (typeof SOUND_SCALES)[number];

export interface SoundWorldSizes {
  /** Clips (5 captions each) of the encoder's pre-training ("web") split. */
  pretrain: number;
  train: number;
  val: number;
  test: number;
  /** Clip length in seconds. */
  seconds: number;
}

export const SOUND_SCALE_SIZES: Record<SoundScale, SoundWorldSizes> = {
  smoke: { pretrain: 400, train: 200, val: 40, test: 40, seconds: 2 },
  mini: { pretrain: 6000, train: 3000, val: 300, test: 500, seconds: 2 },
};

export const SOUND_FILES = {
  dataset: 'dataset_sound.json',
  pretrain: 'pretrain_sound.json',
  meta: 'sound.json',
  audio: 'audio',
  /** AudioCaps-format caption CSVs, one per captioning split (audiocap_id,youtube_id,start_time,caption). */
  audiocaps: 'audiocaps',
} as const;

export function soundWorldSizes(scale: string, overrides: Partial<SoundWorldSizes> = {}): SoundWorldSizes {
  if (!(SOUND_SCALES as readonly string[]).includes(scale)) {
    throw new DbridgeError(`unknown sound world scale '${scale}' (choose from ${SOUND_SCALES.join(', ')})`);
  }
  const s = { ...SOUND_SCALE_SIZES[scale as SoundScale], ...overrides };
  for (const [k, v] of Object.entries(s)) {
    if (k === 'seconds') {
      if (!(typeof v === 'number' && v >= 1 && v <= 10)) throw new DbridgeError(`sound world clip length must be between 1 and 10 seconds, got ${v}`);
    } else if (!Number.isInteger(v) || v < 1) throw new DbridgeError(`sound world size ${k} must be a positive integer, got ${v}`);
  }
  return s;
}
