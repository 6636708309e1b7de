// Sizes of the built-in world per scale. `smoke` is for tests (a second or two to generate);
// `mini` is the default main job, sized from measurements on the 2-core CPU so that world
// generation + encoder training + embedding fit in 5 minutes (tools/bench/world.ts, docs/world.md).
import { DbridgeError } from '../util/errors.ts';

export const WORLD_SCALES = ['smoke', 'mini'] as const;
export type WorldScale = (typeof WORLD_SCALES)[number];

export interface WorldSizes {
  /** Images (5 captions each) of the encoder's pre-training ("web") split, both domains mixed. */
  pretrain: number;
  /** Captioning train split (used as text only by the method). */
  train: number;
  val: number;
  test: number;
  /** Image side in pixels. */
  imageSize: number;
}

export const SCALE_SIZES: Record<WorldScale, WorldSizes> = {
  smoke: { pretrain: 400, train: 200, val: 40, test: 40, imageSize: 64 },
  mini: { pretrain: 12000, train: 6000, val: 500, test: 500, imageSize: 64 },
};

export function worldSizes(scale: string, overrides: Partial<WorldSizes> = {}): WorldSizes {
  if (!(WORLD_SCALES as readonly string[]).includes(scale)) {
    throw new DbridgeError(`unknown world scale '${scale}' (choose from ${WORLD_SCALES.join(', ')})`);
  }
  const s = { ...SCALE_SIZES[scale as WorldScale], ...overrides };
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < (k === 'imageSize' ? 16 : 1)) throw new DbridgeError(`world size ${k} must be a positive integer${k === 'imageSize' ? ' >= 16' : ''}, got ${v}`);
  }
  return s;
}
