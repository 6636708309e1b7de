// Colours, scene types and the two domains of the built-in world (world v3). A domain is a
// distribution over scenes (scene types, object classes, colours, object counts) plus a caption
// style, so that "a -> b" and "b -> a" stand in for the paper's COCO -> Flickr30K and Flickr30K ->
// COCO (docs/spec.md section 6, Table 3). Both domains share one vocabulary and differ in how
// often each word is used and in how captions are written, as COCO and Flickr30K do.
//   a ("coco-like"):   everyday, mostly indoor or street scenes (tables, floors, rooms, roads, cities),
//                      household things and vehicles, 2-3 objects, short tidy captions.
//   b ("flickr-like"): outdoor scenes (beaches, water, forests, mountains, snow, night, sunsets), animals, plants and
//                      things of the sky, 3-4 objects, longer captions with verbs, Flickr's " ."
//                      ending and missing capitals.
import { type ObjectClass, OBJECT_CLASSES, CLASS_SPECS } from './objects.ts';

export const COLOURS = ['red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink', 'brown', 'black', 'white', 'grey'] as const;
export type Colour = (typeof COLOURS)[number];

/** Reference RGB of each colour name (objects jitter around it, never far enough to change the name). */
export const COLOUR_RGB: Record<Colour, [number, number, number]> = {
  red: [214, 39, 40],
  orange: [250, 135, 20],
  yellow: [245, 210, 30],
  green: [44, 170, 44],
  teal: [0, 150, 150],
  blue: [31, 80, 220],
  purple: [140, 60, 185],
  pink: [245, 120, 190],
  brown: [130, 78, 35],
  black: [22, 22, 22],
  white: [246, 246, 246],
  grey: [128, 128, 128],
};

/** Scene types: where the objects are (COCO annotators nearly always say so). */
export const SCENE_TYPES = [
  'white', 'grey', 'black', 'table', 'floor', 'wall', 'room', 'road', 'city',
  'kitchen', 'carpet', 'bed', 'chalkboard', 'paper', 'stage',
  'grass', 'forest', 'mountains', 'beach', 'water', 'pool', 'underwater', 'snow', 'desert', 'sky', 'night', 'sunset', 'space',
] as const;
export type SceneType = (typeof SCENE_TYPES)[number];

export interface SceneTypeSpec {
  /** Prepositional phrases that place objects in it ("on a beach"). */
  phrases: string[];
  /** Noun phrases naming it, without article ("sandy beach"): "a sandy beach with two cats". */
  nouns: string[];
  /** Words that name this scene type and no other: every phrase and noun contains one (tested). */
  keywords: string[];
  /** Object colours that would not stand out on it. */
  hides: Colour[];
}

export const SCENE_SPECS: Record<SceneType, SceneTypeSpec> = {
  white: {
    phrases: ['on a white background', 'against a white background', 'on a plain white background', 'on a white surface', 'against a white backdrop', 'set on a white surface', 'isolated on a white background'],
    nouns: ['white background', 'plain white surface'], keywords: ['white background', 'white surface', 'white backdrop'], hides: ['white', 'grey'],
  },
  grey: {
    phrases: ['on a grey background', 'on a gray background', 'against a plain gray backdrop', 'on a gray surface', 'against a gray background', 'on a plain grey background'],
    nouns: ['gray background', 'grey background'], keywords: ['gray background', 'grey background', 'gray backdrop', 'gray surface'], hides: ['grey', 'white'],
  },
  black: {
    phrases: ['on a black background', 'against a black backdrop', 'on a dark background', 'against a dark backdrop', 'on a plain black background', 'against a black background'],
    nouns: ['black background', 'dark background'], keywords: ['black background', 'black backdrop', 'dark background', 'dark backdrop'], hides: ['black', 'brown', 'blue', 'purple'],
  },
  table: {
    phrases: ['on a wooden table', 'on a table', 'on top of a wooden table', 'on a wood table', 'on a kitchen table', 'on the table top', 'on a brown table', 'sitting on a table', 'on top of the table'],
    nouns: ['wooden table', 'kitchen table', 'table'], keywords: ['table'], hides: ['brown', 'orange', 'red'],
  },
  floor: {
    phrases: ['on a tiled floor', 'on the floor', 'on a checkered floor', 'on the tiles', 'on a tile floor', 'on the kitchen floor', 'on a bathroom floor', 'on the tiled ground'],
    nouns: ['tiled floor', 'kitchen floor', 'tile floor'], keywords: ['floor', 'tiles', 'tiled'], hides: ['white', 'grey'],
  },
  wall: {
    phrases: ['in front of a brick wall', 'against a brick wall', 'by a brick wall', 'next to a red brick wall', 'along a brick wall', 'near an old brick wall', 'before a wall of bricks'],
    nouns: ['brick wall', 'red brick wall'], keywords: ['brick', 'bricks'], hides: ['red', 'brown', 'orange'],
  },
  room: {
    phrases: ['in a room', 'inside a room', 'in an empty room', 'in a living room', 'inside an empty room', 'in a purple room', 'in a quiet room'],
    nouns: ['room', 'empty room', 'living room'], keywords: ['room'], hides: ['brown', 'white', 'yellow'],
  },
  road: {
    phrases: ['on a road', 'on the street', 'on an empty road', 'in the street', 'on the asphalt', 'on a paved road', 'on a quiet street', 'out on the road'],
    nouns: ['road', 'quiet street', 'paved road'], keywords: ['road', 'street', 'asphalt'], hides: ['grey', 'black'],
  },
  city: {
    phrases: ['in the city', 'in front of a city skyline', 'against a city skyline', 'downtown', 'among tall buildings', 'in front of tall buildings', 'in a big city'],
    nouns: ['city skyline', 'city', 'skyline'], keywords: ['city', 'skyline', 'downtown', 'buildings'], hides: ['grey', 'black', 'blue'],
  },
  kitchen: {
    phrases: ['on a kitchen counter', 'on a marble countertop', 'on the counter', 'on a marble counter top', 'on a white marble counter'],
    nouns: ['kitchen counter', 'marble countertop'], keywords: ['counter', 'marble'], hides: ['white', 'grey'],
  },
  carpet: {
    phrases: ['on a red carpet', 'on the carpet', 'on a patterned rug', 'on a red rug', 'lying on a carpet'],
    nouns: ['red carpet', 'patterned rug'], keywords: ['carpet', 'rug'], hides: ['red', 'pink', 'orange', 'brown'],
  },
  bed: {
    phrases: ['on a bed', 'on a blue blanket', 'on top of a bed', 'on the bed sheets', 'on an unmade bed'],
    nouns: ['bed', 'blue blanket'], keywords: ['bed', 'blanket'], hides: ['blue', 'teal', 'purple'],
  },
  chalkboard: {
    phrases: ['on a chalkboard', 'on a green chalkboard', 'on a blackboard', 'drawn on a chalkboard', 'on the school chalkboard'],
    nouns: ['chalkboard', 'green chalkboard', 'blackboard'], keywords: ['chalkboard', 'blackboard'], hides: ['green', 'teal', 'black'],
  },
  paper: {
    phrases: ['on lined paper', 'on a sheet of paper', 'on notebook paper', 'drawn on paper', 'on a page of a notebook'],
    nouns: ['sheet of lined paper', 'notebook page'], keywords: ['paper', 'notebook'], hides: ['white', 'grey', 'yellow'],
  },
  stage: {
    phrases: ['on a stage', 'on a stage with red curtains', 'in front of red curtains', 'on the stage of a theater', 'on an empty stage'],
    nouns: ['stage', 'theater stage'], keywords: ['stage', 'curtains'], hides: ['red', 'brown', 'black'],
  },
  grass: {
    phrases: ['in a field', 'on the grass', 'in a grassy field', 'on a lawn', 'in a green meadow', 'on a grassy hill', 'in the grass', 'on a green lawn'],
    nouns: ['grassy field', 'green field', 'meadow', 'lawn'], keywords: ['grass', 'grassy', 'lawn', 'meadow', 'green field', 'in a field'], hides: ['green', 'teal', 'blue'],
  },
  forest: {
    phrases: ['in a forest', 'in the woods', 'in a dark forest', 'among the trees of a forest', 'in the woodland', 'in a green forest', 'deep in the woods'],
    nouns: ['forest', 'dark forest', 'woodland'], keywords: ['forest', 'woods', 'woodland'], hides: ['green', 'brown', 'black', 'teal'],
  },
  mountains: {
    phrases: ['in the mountains', 'in front of mountains', 'with mountains in the background', 'in a mountain valley', 'below the peaks', 'near the mountains', 'in front of a mountain range'],
    nouns: ['mountain landscape', 'mountain valley', 'mountain range'], keywords: ['mountain', 'mountains', 'peaks'], hides: ['grey', 'green', 'blue'],
  },
  beach: {
    phrases: ['on a beach', 'on the beach', 'on the sand', 'by the ocean', 'on a sandy beach', 'at the beach', 'on the shore of the ocean', 'at the seaside'],
    nouns: ['beach', 'sandy beach', 'beach by the ocean'], keywords: ['beach', 'sand', 'seaside', 'ocean'], hides: ['yellow', 'blue', 'teal', 'white'],
  },
  water: {
    phrases: ['on the water', 'on a lake', 'in the water', 'on a river', 'on a pond', 'on the waves', 'over the water', 'on a calm lake'],
    nouns: ['lake', 'river', 'pond', 'body of water'], keywords: ['water', 'lake', 'river', 'pond', 'waves'], hides: ['blue', 'teal'],
  },
  pool: {
    phrases: ['in a swimming pool', 'in the pool', 'floating in a pool', 'in a blue swimming pool', 'by the pool'],
    nouns: ['swimming pool', 'pool'], keywords: ['pool'], hides: ['blue', 'teal', 'white'],
  },
  underwater: {
    phrases: ['underwater', 'under the sea', 'deep under the sea', 'on the sea floor', 'deep underwater'],
    nouns: ['underwater scene', 'sea bottom'], keywords: ['underwater', 'under the sea', 'sea floor', 'sea bottom'], hides: ['blue', 'teal', 'green'],
  },
  snow: {
    phrases: ['in the snow', 'on a snowy field', 'on the snow', 'in a snowy landscape', 'on a snow covered hill', 'on a snowy day', 'in the deep snow'],
    nouns: ['snowy field', 'snowy landscape', 'snow covered hill'], keywords: ['snow', 'snowy'], hides: ['white', 'grey'],
  },
  desert: {
    phrases: ['in the desert', 'among dunes', 'in a desert', 'in a dry desert', 'on the desert dunes', 'in a hot desert', 'on desert dunes'],
    nouns: ['desert', 'dry desert', 'desert landscape'], keywords: ['desert', 'dunes'], hides: ['orange', 'yellow', 'brown'],
  },
  sky: {
    phrases: ['in the sky', 'against a blue sky', 'in a clear blue sky', 'up in the air', 'in the blue sky', 'high in the sky', 'against a clear sky'],
    nouns: ['blue sky', 'clear sky', 'clear blue sky'], keywords: ['blue sky', 'clear sky', 'clear blue sky', 'in the sky', 'in the air'], hides: ['blue', 'teal', 'white'],
  },
  night: {
    phrases: ['at night', 'under a night sky', 'against the night sky', 'in the night sky', 'beneath a starry sky', 'in the dark of night', 'on a starry night', 'late at night'],
    nouns: ['night sky', 'starry night sky', 'starry night'], keywords: ['night', 'starry'], hides: ['black', 'blue', 'purple', 'brown'],
  },
  sunset: {
    phrases: ['at sunset', 'against an orange sunset sky', 'at dusk', 'during a sunset', 'under a sunset sky', 'in the evening at sunset', 'against a colorful sunset'],
    nouns: ['sunset', 'sunset sky', 'colorful sunset'], keywords: ['sunset', 'dusk'], hides: ['orange', 'pink', 'red'],
  },
  space: {
    phrases: ['in outer space', 'in space', 'floating in space', 'among the planets', 'in deep space'],
    nouns: ['outer space', 'space scene'], keywords: ['space', 'planets'], hides: ['black', 'blue', 'purple', 'brown'],
  },
};

export const DOMAINS = ['a', 'b'] as const;
export type DomainName = (typeof DOMAINS)[number];

/** How a domain writes captions. */
export interface CaptionStyle {
  /** Probability of the Flickr-style " ." ending (space before the full stop). */
  spacedStop: number;
  /** Probability of no final full stop. */
  noStop: number;
  /** Probability of a lower-case first letter. */
  lowerStart: number;
  /** Probability of a participle after a noun phrase where a template allows one ("a bird flying"). */
  verbs: number;
  /** Weight multiplier of caption families (see captions.ts); missing = 1. */
  families: Partial<Record<string, number>>;
  /** How many objects beyond the most salient one a caption tends to mention (mean of a geometric draw). */
  extraObjects: number;
}

export interface DomainSpec {
  name: DomainName;
  description: string;
  sceneWeights: Partial<Record<SceneType, number>>;
  /** Weight of each object category (classes within a category are equally likely unless classBoost says otherwise). */
  categoryWeights: Record<string, number>;
  classBoost: Partial<Record<ObjectClass, number>>;
  colourWeights: Partial<Record<Colour, number>>;
  /** Probability of 1, 2, 3, 4, 5 objects. */
  countWeights: [number, number, number, number, number];
  /** Probability of small, medium, large. */
  sizeWeights: [number, number, number];
  style: CaptionStyle;
}

export const DOMAIN_SPECS: Record<DomainName, DomainSpec> = {
  a: {
    name: 'a',
    description: 'coco-like: everyday indoor and street scenes, household things and vehicles, 2-3 objects, short tidy captions',
    sceneWeights: { table: 0.06, floor: 0.05, room: 0.05, wall: 0.05, road: 0.05, city: 0.05, kitchen: 0.05, carpet: 0.05, bed: 0.05, chalkboard: 0.04, paper: 0.04, stage: 0.03, white: 0.05, grey: 0.04, grass: 0.04, forest: 0.03, mountains: 0.03, beach: 0.03, water: 0.03, pool: 0.03, underwater: 0.02, snow: 0.03, sky: 0.03, black: 0.03, night: 0.02, desert: 0.02, sunset: 0.02, space: 0.01 },
    categoryWeights: { shape: 0.3, thing: 0.3, vehicle: 0.16, animal: 0.12, plant: 0.08, sky: 0.04 },
    classBoost: { cup: 1.5, chair: 1.3, car: 1.3, bus: 1.2, cat: 1.4, ball: 1.3, box: 1.3 },
    colourWeights: { red: 0.14, orange: 0.07, yellow: 0.1, green: 0.1, teal: 0.04, blue: 0.14, purple: 0.05, pink: 0.05, brown: 0.06, black: 0.1, white: 0.1, grey: 0.05 },
    countWeights: [0.06, 0.26, 0.32, 0.22, 0.14],
    sizeWeights: [0.3, 0.38, 0.32],
    style: { spacedStop: 0, noStop: 0.05, lowerStart: 0.05, verbs: 0.35, families: { relation: 1.3, list: 1.2, scene: 0.8, count: 0.8 }, extraObjects: 0.48 },
  },
  b: {
    name: 'b',
    description: 'flickr-like: outdoor scenes (beach, water, snow, night, sunset), animals, plants and sky things, 3-4 objects, longer looser captions',
    sceneWeights: { beach: 0.05, water: 0.05, pool: 0.04, underwater: 0.05, snow: 0.05, desert: 0.05, sky: 0.05, night: 0.05, sunset: 0.05, space: 0.05, grass: 0.05, forest: 0.05, mountains: 0.05, stage: 0.04, black: 0.03, road: 0.03, city: 0.04, wall: 0.03, white: 0.02, grey: 0.02, table: 0.02, floor: 0.01, room: 0.01, kitchen: 0.01, carpet: 0.02, bed: 0.02, chalkboard: 0.03, paper: 0.02 },
    categoryWeights: { shape: 0.2, thing: 0.14, vehicle: 0.12, animal: 0.24, plant: 0.18, sky: 0.12 },
    classBoost: { bird: 1.4, fish: 1.3, boat: 1.4, tree: 1.3, butterfly: 1.2, snowman: 1.3 },
    colourWeights: { red: 0.1, orange: 0.1, yellow: 0.09, green: 0.08, teal: 0.06, blue: 0.08, purple: 0.1, pink: 0.1, brown: 0.05, black: 0.04, white: 0.12, grey: 0.05 },
    countWeights: [0.06, 0.2, 0.3, 0.26, 0.18],
    sizeWeights: [0.34, 0.36, 0.3],
    style: { spacedStop: 0.55, noStop: 0.2, lowerStart: 0.12, verbs: 0.6, families: { thereis: 1.5, count: 0.8, scene: 1.1, relation: 0.9 }, extraObjects: 0.66 },
  },
};

/** Per-class sampling weights of a domain. */
export function classWeights(spec: DomainSpec): Record<ObjectClass, number> {
  const perCategory = new Map<string, number>();
  for (const c of OBJECT_CLASSES) perCategory.set(CLASS_SPECS[c].category, (perCategory.get(CLASS_SPECS[c].category) ?? 0) + 1);
  const out = {} as Record<ObjectClass, number>;
  for (const c of OBJECT_CLASSES) {
    const cat = CLASS_SPECS[c].category;
    out[c] = ((spec.categoryWeights[cat] ?? 0) / perCategory.get(cat)!) * (spec.classBoost[c] ?? 1);
  }
  return out;
}

/** Pretraining ("web") data mixes both domains evenly, as CLIP's web data covers both COCO and Flickr. */
export const PRETRAIN_DOMAIN_MIX: Record<DomainName, number> = { a: 0.5, b: 0.5 };
