// Splits of the built-in world, following the paper's setting (docs/spec.md §1.1 and §5): the
// encoder's pre-training data stands in for CLIP's web data and is kept apart from the captioning
// dataset, which has Karpathy's train / val / test splits (train used as text only by the method;
// val and test with images and 5 references each).
//   pretrain_world.json  split 'pretrain': both domains mixed, one file for the encoder
//   dataset_world.json   splits 'train', 'val', 'test' of one domain: read like dataset_coco.json
// The pre-training images depend only on (scale sizes, seed), not on the domain, so worlds of
// domain a and b generated with one seed share them and one encoder serves both (Table 3).

export const CAPTION_SPLITS = ['train', 'val', 'test'] as const;
export type CaptionSplit = (typeof CAPTION_SPLITS)[number];
export const PRETRAIN_SPLIT = 'pretrain';

export const WORLD_FILES = {
  dataset: 'dataset_world.json',
  pretrain: 'pretrain_world.json',
  meta: 'world.json',
  images: 'images',
} as const;

/** Label of the per-image random stream: independent of every other image and split. */
export function imageStreamLabel(split: string, domain: string, index: number): string {
  return split === PRETRAIN_SPLIT ? `pretrain/${index}` : `${domain}/${split}/${index}`;
}
