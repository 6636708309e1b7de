// The object classes of the built-in world (issue 11, world v3): 32 things with distinct
// silhouettes — geometric shapes and symbols, animals, plants, vehicles, household objects, things
// of the sky — each with the nouns people use for it (synonyms), a category ("animals",
// "vehicles": the words of group captions) and the verbs a caption may put after it ("a fish
// swimming", "a car parked"). A silhouette is an inside test in the object's unit frame
// (u to the right, v downwards, the object fills about the unit disc), drawn by render.ts.
// Classes are clip-art icons in any colour, as ShapeWorld's shapes are (Kuhnle & Copestake 2017).

export const OBJECT_CLASSES = [
  'ball', 'box', 'triangle', 'star', 'heart', 'moon', 'ring', 'arrow', 'cross', 'diamond', 'hexagon', 'bolt', 'drop',
  'fish', 'bird', 'cat', 'butterfly', 'rabbit', 'duck', 'turtle',
  'tree', 'flower', 'mushroom', 'leaf', 'apple',
  'car', 'bus', 'boat', 'truck', 'airplane', 'rocket', 'bicycle',
  'house', 'umbrella', 'bell', 'cup', 'bottle', 'hat', 'chair', 'key', 'anchor', 'crown', 'lamp', 'candle', 'shirt',
  'vase', 'clock', 'flag', 'balloon', 'kite', 'tent', 'castle', 'ice cream',
  'cloud', 'sun', 'snowman',
] as const;
export type ObjectClass = (typeof OBJECT_CLASSES)[number];

export const CATEGORIES = ['shape', 'animal', 'plant', 'vehicle', 'thing', 'sky'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface ClassSpec {
  category: Category;
  /** [singular, plural, weight]: how people name it. */
  nouns: [string, string, number][];
  /** Participles a caption may put after the noun ("a bird flying"); empty = generic ones only. */
  verbs: string[];
}

const GEOM_VERBS: string[] = [];

export const CLASS_SPECS: Record<ObjectClass, ClassSpec> = {
  ball: { category: 'shape', nouns: [['ball', 'balls', 3], ['circle', 'circles', 2], ['sphere', 'spheres', 0.8], ['disk', 'disks', 0.6]], verbs: ['rolling', 'resting'] },
  box: { category: 'shape', nouns: [['box', 'boxes', 3], ['square', 'squares', 2], ['block', 'blocks', 1], ['cube', 'cubes', 0.8], ['crate', 'crates', 0.5]], verbs: GEOM_VERBS },
  triangle: { category: 'shape', nouns: [['triangle', 'triangles', 3], ['pyramid', 'pyramids', 0.5]], verbs: GEOM_VERBS },
  star: { category: 'shape', nouns: [['star', 'stars', 3], ['star shape', 'star shapes', 1], ['five-pointed star', 'five-pointed stars', 0.8]], verbs: ['shining'] },
  heart: { category: 'shape', nouns: [['heart', 'hearts', 3], ['heart shape', 'heart shapes', 0.6]], verbs: GEOM_VERBS },
  moon: { category: 'shape', nouns: [['moon', 'moons', 2], ['crescent', 'crescents', 1.5], ['crescent moon', 'crescent moons', 1]], verbs: ['glowing'] },
  ring: { category: 'shape', nouns: [['ring', 'rings', 3], ['donut', 'donuts', 1.5], ['hoop', 'hoops', 0.8], ['doughnut', 'doughnuts', 0.6]], verbs: GEOM_VERBS },
  arrow: { category: 'shape', nouns: [['arrow', 'arrows', 3], ['arrow sign', 'arrow signs', 1]], verbs: ['pointing right'] },
  cross: { category: 'shape', nouns: [['cross', 'crosses', 3], ['plus sign', 'plus signs', 1.2]], verbs: GEOM_VERBS },
  diamond: { category: 'shape', nouns: [['diamond', 'diamonds', 3], ['rhombus', 'rhombuses', 0.4]], verbs: GEOM_VERBS },
  hexagon: { category: 'shape', nouns: [['hexagon', 'hexagons', 3], ['hexagonal shape', 'hexagonal shapes', 0.7]], verbs: GEOM_VERBS },
  bolt: { category: 'shape', nouns: [['lightning bolt', 'lightning bolts', 3], ['bolt', 'bolts', 1], ['zigzag', 'zigzags', 0.5]], verbs: GEOM_VERBS },
  drop: { category: 'shape', nouns: [['drop', 'drops', 2], ['raindrop', 'raindrops', 1.5], ['teardrop', 'teardrops', 1]], verbs: ['falling'] },
  fish: { category: 'animal', nouns: [['fish', 'fish', 4], ['goldfish', 'goldfish', 0.5]], verbs: ['swimming'] },
  bird: { category: 'animal', nouns: [['bird', 'birds', 4], ['songbird', 'songbirds', 0.5]], verbs: ['flying', 'perched'] },
  cat: { category: 'animal', nouns: [['cat', 'cats', 4], ['kitten', 'kittens', 1.5], ['kitty', 'kitties', 0.6]], verbs: ['sitting', 'looking at the camera'] },
  butterfly: { category: 'animal', nouns: [['butterfly', 'butterflies', 4]], verbs: ['flying', 'fluttering'] },
  tree: { category: 'plant', nouns: [['tree', 'trees', 4], ['bush', 'bushes', 0.8]], verbs: ['growing', 'standing'] },
  flower: { category: 'plant', nouns: [['flower', 'flowers', 4], ['daisy', 'daisies', 1], ['blossom', 'blossoms', 1], ['bloom', 'blooms', 0.5]], verbs: ['blooming', 'growing'] },
  mushroom: { category: 'plant', nouns: [['mushroom', 'mushrooms', 4], ['toadstool', 'toadstools', 0.6]], verbs: ['growing'] },
  leaf: { category: 'plant', nouns: [['leaf', 'leaves', 4]], verbs: ['falling'] },
  car: { category: 'vehicle', nouns: [['car', 'cars', 4], ['automobile', 'automobiles', 0.4], ['toy car', 'toy cars', 0.6]], verbs: ['parked', 'driving'] },
  bus: { category: 'vehicle', nouns: [['bus', 'buses', 4], ['van', 'vans', 1.2], ['minibus', 'minibuses', 0.6]], verbs: ['parked', 'driving'] },
  boat: { category: 'vehicle', nouns: [['boat', 'boats', 3], ['sailboat', 'sailboats', 2], ['sailing boat', 'sailing boats', 0.8], ['yacht', 'yachts', 0.6]], verbs: ['floating', 'sailing'] },
  house: { category: 'thing', nouns: [['house', 'houses', 4], ['hut', 'huts', 1], ['cottage', 'cottages', 1], ['home', 'homes', 0.6]], verbs: ['standing'] },
  umbrella: { category: 'thing', nouns: [['umbrella', 'umbrellas', 4], ['parasol', 'parasols', 0.5]], verbs: ['open'] },
  bell: { category: 'thing', nouns: [['bell', 'bells', 4], ['church bell', 'church bells', 0.7]], verbs: ['hanging'] },
  cup: { category: 'thing', nouns: [['cup', 'cups', 3], ['mug', 'mugs', 2], ['coffee mug', 'coffee mugs', 1], ['coffee cup', 'coffee cups', 0.8]], verbs: ['sitting'] },
  bottle: { category: 'thing', nouns: [['bottle', 'bottles', 4], ['jar', 'jars', 0.8], ['flask', 'flasks', 0.5]], verbs: ['standing'] },
  hat: { category: 'thing', nouns: [['hat', 'hats', 4], ['top hat', 'top hats', 0.8]], verbs: GEOM_VERBS },
  chair: { category: 'thing', nouns: [['chair', 'chairs', 4], ['stool', 'stools', 0.6], ['seat', 'seats', 0.6]], verbs: ['standing'] },
  rabbit: { category: 'animal', nouns: [['rabbit', 'rabbits', 3], ['bunny', 'bunnies', 2], ['hare', 'hares', 0.6]], verbs: ['sitting', 'hopping'] },
  duck: { category: 'animal', nouns: [['duck', 'ducks', 4], ['duckling', 'ducklings', 1], ['rubber duck', 'rubber ducks', 1]], verbs: ['swimming', 'waddling'] },
  turtle: { category: 'animal', nouns: [['turtle', 'turtles', 4], ['tortoise', 'tortoises', 1.2]], verbs: ['crawling'] },
  apple: { category: 'plant', nouns: [['apple', 'apples', 4], ['piece of fruit', 'pieces of fruit', 0.6]], verbs: [] },
  truck: { category: 'vehicle', nouns: [['truck', 'trucks', 4], ['lorry', 'lorries', 0.4], ['delivery truck', 'delivery trucks', 0.6]], verbs: ['parked', 'driving'] },
  airplane: { category: 'vehicle', nouns: [['airplane', 'airplanes', 3], ['plane', 'planes', 2.5], ['jet', 'jets', 1]], verbs: ['flying'] },
  rocket: { category: 'vehicle', nouns: [['rocket', 'rockets', 4], ['spaceship', 'spaceships', 0.8]], verbs: ['launching', 'flying'] },
  bicycle: { category: 'vehicle', nouns: [['bicycle', 'bicycles', 3], ['bike', 'bikes', 2.5]], verbs: ['parked'] },
  key: { category: 'thing', nouns: [['key', 'keys', 4], ['door key', 'door keys', 1]], verbs: [] },
  anchor: { category: 'thing', nouns: [['anchor', 'anchors', 4], ['ship anchor', 'ship anchors', 0.8]], verbs: [] },
  crown: { category: 'thing', nouns: [['crown', 'crowns', 4], ['royal crown', 'royal crowns', 0.8]], verbs: [] },
  lamp: { category: 'thing', nouns: [['lamp', 'lamps', 4], ['desk lamp', 'desk lamps', 0.8]], verbs: ['standing'] },
  candle: { category: 'thing', nouns: [['candle', 'candles', 4], ['lit candle', 'lit candles', 1]], verbs: ['burning'] },
  shirt: { category: 'thing', nouns: [['shirt', 'shirts', 3], ['t-shirt', 't-shirts', 2], ['tee shirt', 'tee shirts', 0.6]], verbs: [] },
  vase: { category: 'thing', nouns: [['vase', 'vases', 4], ['pot', 'pots', 0.8], ['flower vase', 'flower vases', 0.8]], verbs: ['standing'] },
  clock: { category: 'thing', nouns: [['clock', 'clocks', 4], ['wall clock', 'wall clocks', 1]], verbs: [] },
  flag: { category: 'thing', nouns: [['flag', 'flags', 4], ['banner', 'banners', 0.8]], verbs: ['waving'] },
  balloon: { category: 'thing', nouns: [['balloon', 'balloons', 4], ['party balloon', 'party balloons', 1]], verbs: ['floating'] },
  kite: { category: 'thing', nouns: [['kite', 'kites', 4]], verbs: ['flying'] },
  tent: { category: 'thing', nouns: [['tent', 'tents', 4], ['camping tent', 'camping tents', 1]], verbs: ['pitched'] },
  castle: { category: 'thing', nouns: [['castle', 'castles', 4], ['tower', 'towers', 0.8], ['fortress', 'fortresses', 0.6]], verbs: ['standing'] },
  'ice cream': { category: 'thing', nouns: [['ice cream cone', 'ice cream cones', 2], ['ice cream', 'ice creams', 2], ['cone', 'cones', 0.5]], verbs: [] },
  cloud: { category: 'sky', nouns: [['cloud', 'clouds', 4], ['puffy cloud', 'puffy clouds', 1]], verbs: ['floating', 'drifting'] },
  sun: { category: 'sky', nouns: [['sun', 'suns', 4], ['sun symbol', 'sun symbols', 0.4]], verbs: ['shining'] },
  snowman: { category: 'thing', nouns: [['snowman', 'snowmen', 4]], verbs: ['standing'] },
};

/** Group words of a category: [singular, plural]; any class is also an "object" / "thing" / "item". */
export const CATEGORY_NOUNS: Record<Category, [string, string][]> = {
  shape: [['shape', 'shapes']],
  animal: [['animal', 'animals'], ['creature', 'creatures']],
  plant: [['plant', 'plants']],
  vehicle: [['vehicle', 'vehicles']],
  thing: [],
  sky: [],
};
export const GENERIC_NOUNS: [string, string][] = [['object', 'objects'], ['thing', 'things'], ['item', 'items']];

// ------------------------------------------------------------------------------------- silhouettes

type Inside = (u: number, v: number) => boolean;

const disc = (cx: number, cy: number, r: number): Inside => (u, v) => (u - cx) ** 2 + (v - cy) ** 2 <= r * r;
const ellipse = (cx: number, cy: number, rx: number, ry: number): Inside => (u, v) => ((u - cx) / rx) ** 2 + ((v - cy) / ry) ** 2 <= 1;
const rect = (x0: number, y0: number, x1: number, y1: number): Inside => (u, v) => u >= x0 && u <= x1 && v >= y0 && v <= y1;
function polygon(pts: readonly [number, number][]): Inside {
  return (px, py) => {
    let inside = false;
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      const [xi, yi] = pts[i], [xj, yj] = pts[j];
      if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
}
/** Points within half-width w of the segment (x0, y0)-(x1, y1). */
function segment(x0: number, y0: number, x1: number, y1: number, w: number): Inside {
  const dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy;
  return (u, v) => {
    const t = Math.max(0, Math.min(1, ((u - x0) * dx + (v - y0) * dy) / l2));
    return (u - x0 - t * dx) ** 2 + (v - y0 - t * dy) ** 2 <= w * w;
  };
}
const annulus = (cx: number, cy: number, r0: number, r1: number): Inside => (u, v) => { const d = (u - cx) ** 2 + (v - cy) ** 2; return d <= r1 * r1 && d >= r0 * r0; };
const union = (...fs: Inside[]): Inside => (u, v) => fs.some((f) => f(u, v));
const minus = (a: Inside, b: Inside): Inside => (u, v) => a(u, v) && !b(u, v);
const starPts = (n: number, outer: number, inner: number): [number, number][] =>
  Array.from({ length: 2 * n }, (_, i) => {
    const a = -Math.PI / 2 + (i * Math.PI) / n, r = i % 2 === 0 ? outer : inner;
    return [r * Math.cos(a), r * Math.sin(a)];
  });
const regular = (n: number, r: number, phase = 0): [number, number][] =>
  Array.from({ length: n }, (_, i) => [r * Math.cos(phase + (2 * Math.PI * i) / n), r * Math.sin(phase + (2 * Math.PI * i) / n)]);

/** Inside tests of the silhouettes, in the unit frame (u right, v down). */
export const SILHOUETTES: Record<ObjectClass, Inside> = {
  ball: disc(0, 0, 1),
  box: rect(-0.85, -0.85, 0.85, 0.85),
  triangle: polygon([[0, -1.05], [1, 0.7], [-1, 0.7]]),
  star: polygon(starPts(5, 1.1, 0.45)),
  heart: union(disc(-0.46, -0.32, 0.52), disc(0.46, -0.32, 0.52), polygon([[-0.96, -0.18], [0.96, -0.18], [0, 0.98]])),
  moon: minus(disc(0, 0, 1), disc(0.5, -0.25, 0.85)),
  ring: (u, v) => { const d = u * u + v * v; return d <= 1 && d >= 0.36; },
  arrow: union(rect(-1, -0.24, 0.15, 0.24), polygon([[0.05, -0.72], [1.05, 0], [0.05, 0.72]])),
  cross: union(rect(-0.32, -1, 0.32, 1), rect(-1, -0.32, 1, 0.32)),
  diamond: (u, v) => Math.abs(u) / 0.78 + Math.abs(v) / 1.1 <= 1,
  hexagon: polygon(regular(6, 1, 0)),
  bolt: polygon([[0.2, -1.05], [-0.62, 0.12], [-0.06, 0.12], [-0.34, 1.05], [0.62, -0.2], [0.06, -0.2], [0.42, -1.05]]),
  drop: union(disc(0, 0.32, 0.66), polygon([[-0.62, 0.12], [0, -1.05], [0.62, 0.12]])),
  fish: union(ellipse(-0.2, 0, 0.72, 0.45), polygon([[0.4, 0], [1.05, -0.55], [1.05, 0.55]])),
  bird: union(ellipse(-0.05, 0.15, 0.62, 0.36), disc(0.55, -0.22, 0.3), polygon([[0.78, -0.3], [1.08, -0.18], [0.78, -0.08]]),
    polygon([[-0.35, 0.05], [0.25, 0.05], [-0.55, -0.95]]), polygon([[-0.55, 0.05], [-1.05, -0.3], [-1.05, 0.35]])),
  cat: union(disc(0, 0.18, 0.8), polygon([[-0.78, -0.05], [-0.62, -1.0], [-0.1, -0.55]]), polygon([[0.78, -0.05], [0.62, -1.0], [0.1, -0.55]])),
  butterfly: union(ellipse(-0.48, -0.38, 0.48, 0.55), ellipse(0.48, -0.38, 0.48, 0.55), ellipse(-0.38, 0.45, 0.36, 0.42),
    ellipse(0.38, 0.45, 0.36, 0.42), rect(-0.08, -0.7, 0.08, 0.8)),
  tree: union(disc(0, -0.32, 0.7), rect(-0.16, 0.2, 0.16, 1.05)),
  flower: union(disc(0, 0, 0.36), ...regular(5, 0.58, -Math.PI / 2).map(([x, y]) => disc(x, y, 0.4))),
  mushroom: union((u, v) => v <= 0.02 && (u / 1.02) ** 2 + ((v - 0.02) / 0.85) ** 2 <= 1, rect(-0.3, 0, 0.3, 0.95)),
  leaf: (u, v) => { const a = (u + v) * Math.SQRT1_2, b = (v - u) * Math.SQRT1_2; return (a / 1.08) ** 2 + (b / 0.5) ** 2 <= 1 || (Math.abs(b) < 0.07 && a > 0.9 && a < 1.3); },
  car: union(rect(-1.05, -0.15, 1.05, 0.4), polygon([[-0.6, -0.15], [-0.38, -0.65], [0.38, -0.65], [0.6, -0.15]]), disc(-0.58, 0.45, 0.3), disc(0.58, 0.45, 0.3)),
  bus: minus(union(rect(-1.05, -0.62, 1.05, 0.45), disc(-0.6, 0.5, 0.26), disc(0.6, 0.5, 0.26)),
    union(rect(-0.85, -0.45, -0.45, -0.12), rect(-0.25, -0.45, 0.15, -0.12), rect(0.35, -0.45, 0.75, -0.12))),
  boat: union(polygon([[-1.05, 0.25], [1.05, 0.25], [0.68, 0.68], [-0.68, 0.68]]), rect(-0.06, -1.0, 0.06, 0.25), polygon([[0.12, -0.95], [0.85, 0.12], [0.12, 0.12]])),
  house: union(rect(-0.72, -0.12, 0.72, 0.95), polygon([[-0.98, -0.08], [0, -1.0], [0.98, -0.08]])),
  umbrella: union((u, v) => v <= 0 && u * u + v * v <= 1.05 ** 2 && v <= -0.0, rect(-0.07, -0.05, 0.07, 0.85),
    (u, v) => { const d = Math.hypot(u - 0.2, v - 0.85); return v >= 0.85 && d <= 0.27 && d >= 0.13; }),
  bell: union(disc(0, -0.4, 0.5), polygon([[-0.5, -0.42], [0.5, -0.42], [0.88, 0.62], [-0.88, 0.62]]), disc(0, 0.78, 0.2), rect(-0.1, -1.05, 0.1, -0.8)),
  cup: union(rect(-0.72, -0.72, 0.38, 0.88), (u, v) => { const d = Math.hypot(u - 0.38, v - 0.05); return u >= 0.38 && d <= 0.5 && d >= 0.25; }),
  bottle: union(rect(-0.45, -0.2, 0.45, 1.02), polygon([[-0.45, -0.2], [-0.2, -0.5], [0.2, -0.5], [0.45, -0.2]]), rect(-0.19, -1.02, 0.19, -0.45)),
  hat: union(rect(-1.05, 0.35, 1.05, 0.58), rect(-0.56, -0.7, 0.56, 0.4)),
  chair: union(rect(-0.65, -1.0, -0.38, 0.15), rect(-0.65, -0.05, 0.68, 0.2), rect(-0.65, 0.2, -0.45, 1.02), rect(0.48, 0.2, 0.68, 1.02)),
  rabbit: union(disc(0, 0.45, 0.55), disc(0, -0.22, 0.38), ellipse(-0.18, -0.72, 0.12, 0.34), ellipse(0.18, -0.72, 0.12, 0.34)),
  duck: union(ellipse(-0.1, 0.38, 0.85, 0.45), disc(0.45, -0.38, 0.32), rect(0.28, -0.35, 0.58, 0.2), polygon([[0.72, -0.45], [1.08, -0.32], [0.72, -0.22]])),
  turtle: union((u, v) => v <= 0.25 && (u / 0.8) ** 2 + ((v - 0.25) / 0.75) ** 2 <= 1, disc(0.92, 0.12, 0.2), rect(-0.6, 0.2, -0.32, 0.55), rect(0.32, 0.2, 0.6, 0.55)),
  apple: union(disc(-0.28, 0.18, 0.62), disc(0.28, 0.18, 0.62), rect(-0.05, -0.85, 0.08, -0.3), ellipse(0.32, -0.68, 0.3, 0.12)),
  truck: union(rect(-1.05, -0.62, 0.3, 0.4), polygon([[0.35, -0.3], [0.78, -0.3], [1.05, 0.05], [1.05, 0.4], [0.35, 0.4]]), disc(-0.6, 0.5, 0.25), disc(0.7, 0.5, 0.25)),
  airplane: union(ellipse(0, 0, 1.05, 0.17), polygon([[0.25, 0], [-0.25, -0.95], [-0.5, -0.95], [-0.2, 0]]), polygon([[0.25, 0], [-0.25, 0.95], [-0.5, 0.95], [-0.2, 0]]),
    polygon([[-0.7, 0], [-0.9, -0.4], [-1.05, -0.4], [-0.95, 0]]), polygon([[-0.7, 0], [-0.9, 0.4], [-1.05, 0.4], [-0.95, 0]])),
  rocket: union(ellipse(0, 0.05, 0.32, 0.95), polygon([[-0.3, 0.25], [-0.68, 0.95], [-0.25, 0.75]]), polygon([[0.3, 0.25], [0.68, 0.95], [0.25, 0.75]])),
  bicycle: union(annulus(-0.6, 0.32, 0.26, 0.4), annulus(0.6, 0.32, 0.26, 0.4), segment(-0.6, 0.32, -0.1, 0.32, 0.07), segment(-0.1, 0.32, 0.35, -0.25, 0.07),
    segment(-0.35, -0.25, 0.35, -0.25, 0.07), segment(-0.6, 0.32, -0.35, -0.25, 0.07), segment(0.6, 0.32, 0.35, -0.25, 0.07), segment(-0.45, -0.42, -0.2, -0.42, 0.08), segment(0.35, -0.25, 0.45, -0.5, 0.07)),
  key: union(minus(disc(-0.55, 0, 0.45), disc(-0.55, 0, 0.2)), rect(-0.15, -0.11, 1.02, 0.11), rect(0.5, 0.1, 0.66, 0.38), rect(0.82, 0.1, 0.98, 0.3)),
  anchor: union(rect(-0.09, -0.7, 0.09, 0.85), annulus(0, -0.84, 0.12, 0.26), rect(-0.5, -0.52, 0.5, -0.38),
    (u, v) => v >= 0.15 && (u * u + (v - 0.15) ** 2) <= 0.85 ** 2 && (u * u + (v - 0.15) ** 2) >= 0.66 ** 2,
    polygon([[-0.95, 0.05], [-0.6, 0.22], [-0.85, 0.35]]), polygon([[0.95, 0.05], [0.6, 0.22], [0.85, 0.35]])),
  crown: polygon([[-1, 0.6], [-1, -0.55], [-0.5, 0], [0, -0.8], [0.5, 0], [1, -0.55], [1, 0.6]]),
  lamp: union(polygon([[-0.5, -0.95], [0.5, -0.95], [0.85, -0.18], [-0.85, -0.18]]), rect(-0.07, -0.18, 0.07, 0.78), rect(-0.5, 0.76, 0.5, 0.98)),
  candle: union(rect(-0.3, -0.3, 0.3, 1.02), disc(0, -0.58, 0.18), polygon([[-0.17, -0.62], [0, -1.05], [0.17, -0.62]])),
  shirt: polygon([[-0.35, -0.9], [-1.02, -0.48], [-0.78, -0.08], [-0.55, -0.28], [-0.55, 0.95], [0.55, 0.95], [0.55, -0.28], [0.78, -0.08], [1.02, -0.48], [0.35, -0.9], [0, -0.68]]),
  vase: union(ellipse(0, 0.45, 0.62, 0.52), rect(-0.2, -0.6, 0.2, 0.1), polygon([[-0.2, -0.55], [0.2, -0.55], [0.55, -1.02], [-0.55, -1.02]])),
  clock: union(annulus(0, 0, 0.8, 1), rect(-0.07, -0.65, 0.07, 0.06), rect(-0.06, -0.07, 0.52, 0.07), disc(0, 0, 0.13)),
  flag: union(rect(-0.88, -1.02, -0.74, 1.02), (u, v) => u >= -0.74 && u <= 0.95 && v >= -1.0 + 0.08 * Math.sin(u * 5) && v <= -0.1 + 0.08 * Math.sin(u * 5)),
  balloon: union(ellipse(0, -0.28, 0.66, 0.76), polygon([[-0.12, 0.55], [0, 0.4], [0.12, 0.55]]), segment(0, 0.5, 0.1, 1.05, 0.04)),
  kite: union(polygon([[0, -1.0], [0.62, -0.3], [0, 0.62], [-0.62, -0.3]]), segment(0, 0.6, 0.2, 0.82, 0.05), segment(0.2, 0.82, 0, 1.05, 0.05)),
  tent: minus(polygon([[0, -0.95], [1.05, 0.78], [-1.05, 0.78]]), polygon([[0, -0.05], [0.32, 0.8], [-0.32, 0.8]])),
  castle: minus(union(rect(-0.75, -0.35, 0.75, 0.95), rect(-1.02, -0.72, -0.55, 0.95), rect(0.55, -0.72, 1.02, 0.95),
    rect(-1.02, -0.95, -0.9, -0.7), rect(-0.67, -0.95, -0.55, -0.7), rect(0.55, -0.95, 0.67, -0.7), rect(0.9, -0.95, 1.02, -0.7)),
  union(disc(0, 0.55, 0.24), rect(-0.24, 0.55, 0.24, 1.0))),
  'ice cream': union(polygon([[-0.45, -0.12], [0.45, -0.12], [0, 1.05]]), disc(0, -0.45, 0.5)),
  cloud: union(disc(-0.52, 0.12, 0.45), disc(0.05, -0.18, 0.58), disc(0.58, 0.15, 0.42), rect(-0.52, 0.1, 0.58, 0.57)),
  sun: union(disc(0, 0, 0.55), ...Array.from({ length: 8 }, (_, i) => {
    const a = (i * Math.PI) / 4, c = Math.cos(a), s = Math.sin(a);
    return polygon([[0.62 * c - 0.16 * s, 0.62 * s + 0.16 * c], [1.05 * c, 1.05 * s], [0.62 * c + 0.16 * s, 0.62 * s - 0.16 * c]]);
  })),
  snowman: union(disc(0, 0.55, 0.45), disc(0, -0.05, 0.33), disc(0, -0.55, 0.24), segment(-0.28, -0.05, -0.95, -0.4, 0.06), segment(0.28, -0.05, 0.95, -0.4, 0.06)),
};
