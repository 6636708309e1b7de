// The two domains of the built-in world, and the vocabulary they draw from. A domain is a
// distribution over scenes (shapes, colours, object counts, backgrounds) plus a caption style, so
// that "a -> b" and "b -> a" stand in for the paper's COCO -> Flickr30K and Flickr30K -> COCO
// (docs/spec.md §6, Table 3). Both domains share one vocabulary and differ in how often each word
// is used and in how captions are written, as COCO and Flickr30K do.
//   a ("coco-like"):   light backgrounds; circles, squares, triangles; red/green/blue/yellow;
//                      mostly 1-2 objects; short, tidy captions ("A red ball next to a blue box.").
//   b ("flickr-like"): dark backgrounds; diamonds, stars, crosses; purple/orange/pink/white;
//                      mostly 2-3 objects; longer, looser captions ("Two purple stars are sitting
//                      on a dark background ."), Flickr's spaced full stop and missing capitals.

export const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'star', 'cross'] as const;
export type Shape = (typeof SHAPES)[number];

export const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'pink', 'white', 'black', 'grey', 'brown'] as const;
export type Colour = (typeof COLOURS)[number];

/** Reference RGB of each colour name (objects jitter around it, never far enough to change the name). */
export const COLOUR_RGB: Record<Colour, [number, number, number]> = {
  red: [214, 39, 40],
  green: [44, 160, 44],
  blue: [31, 90, 220],
  yellow: [240, 205, 30],
  purple: [140, 60, 185],
  orange: [250, 135, 20],
  pink: [245, 125, 190],
  white: [245, 245, 245],
  black: [20, 20, 20],
  grey: [128, 128, 128],
  brown: [135, 80, 35],
};

export const BACKGROUNDS = ['white', 'light grey', 'beige', 'dark grey', 'dark blue', 'dark green'] as const;
export type Background = (typeof BACKGROUNDS)[number];

export const BACKGROUND_RGB: Record<Background, [number, number, number]> = {
  white: [238, 238, 236],
  'light grey': [205, 205, 205],
  beige: [232, 220, 190],
  'dark grey': [55, 55, 58],
  'dark blue': [22, 34, 72],
  'dark green': [24, 60, 34],
};

/** Words that may describe a background truthfully (the specific name, or its lightness). */
export const BACKGROUND_WORDS: Record<Background, string[]> = {
  white: ['white', 'light', 'pale'],
  'light grey': ['light grey', 'light gray', 'light', 'pale'],
  beige: ['beige', 'cream', 'light'],
  'dark grey': ['dark grey', 'dark gray', 'dark'],
  'dark blue': ['dark blue', 'navy', 'dark'],
  'dark green': ['dark green', 'dark'],
};

export const DOMAINS = ['a', 'b'] as const;
export type DomainName = (typeof DOMAINS)[number];

export interface DomainSpec {
  name: DomainName;
  description: string;
  shapeWeights: Record<Shape, number>;
  colourWeights: Partial<Record<Colour, number>>;
  backgroundWeights: Partial<Record<Background, number>>;
  /** Probability of 1, 2, 3 objects. */
  countWeights: [number, number, number];
  /** Probability that an object is large (else small). */
  largeProb: number;
  style: CaptionStyle;
}

/** How a domain writes captions. */
export interface CaptionStyle {
  /** Probability of the Flickr-style " ." ending (space before the full stop). */
  spacedStop: number;
  /** Probability of no final full stop. */
  noStop: number;
  /** Probability of a lower-case first letter. */
  lowerStart: number;
  /** Probability of an extra adjective-like detail (size) in a noun phrase. */
  sizeWord: number;
  /** Weight multiplier of template families (see captions.ts); missing = 1. */
  families: Partial<Record<string, number>>;
  /** Probability of a progressive verb ("is sitting", "are placed") where a template allows one. */
  verbs: number;
}

export const DOMAIN_SPECS: Record<DomainName, DomainSpec> = {
  a: {
    name: 'a',
    description: 'coco-like: light backgrounds, basic shapes in primary colours, 1-2 objects, short tidy captions',
    shapeWeights: { circle: 0.32, square: 0.3, triangle: 0.26, diamond: 0.04, star: 0.04, cross: 0.04 },
    colourWeights: { red: 0.22, green: 0.18, blue: 0.22, yellow: 0.14, purple: 0.04, orange: 0.05, pink: 0.03, black: 0.06, grey: 0.03, brown: 0.03 },
    backgroundWeights: { white: 0.5, 'light grey': 0.3, beige: 0.2 },
    countWeights: [0.35, 0.45, 0.2],
    largeProb: 0.5,
    style: { spacedStop: 0, noStop: 0.04, lowerStart: 0.04, sizeWord: 0.35, verbs: 0.15, families: { relation: 1.3, list: 1.1, scene: 0.8 } },
  },
  b: {
    name: 'b',
    description: 'flickr-like: dark backgrounds, diamonds/stars/crosses in purple/orange/pink/white, 2-3 objects, longer looser captions',
    shapeWeights: { circle: 0.08, square: 0.08, triangle: 0.08, diamond: 0.25, star: 0.27, cross: 0.24 },
    colourWeights: { red: 0.05, green: 0.05, blue: 0.04, yellow: 0.06, purple: 0.2, orange: 0.2, pink: 0.16, white: 0.18, grey: 0.06 },
    backgroundWeights: { 'dark grey': 0.4, 'dark blue': 0.35, 'dark green': 0.25 },
    countWeights: [0.15, 0.4, 0.45],
    largeProb: 0.4,
    style: { spacedStop: 0.55, noStop: 0.2, lowerStart: 0.12, sizeWord: 0.55, verbs: 0.6, families: { thereis: 1.8, count: 1.5, scene: 1.4, relation: 0.8 } },
  },
};

/** Pretraining ("web") data mixes both domains evenly, as CLIP's web data covers both COCO and Flickr. */
export const PRETRAIN_DOMAIN_MIX: Record<DomainName, number> = { a: 0.5, b: 0.5 };
