// Karpathy split loaders on handmade files in the real dataset_coco.json / dataset_flickr30k.json format,
// and the errors for malformed files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, readFileSync } from 'node:fs';
import { FIXTURES, tmpDir } from '../helpers.ts';
import { loadKarpathy, parseKarpathy, karpathyCounts, karpathySplit } from '../../lib/data/karpathy.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

const K = join(FIXTURES, 'karpathy');

test('dataset_coco.json: restval merged into train, cocoid ids, filepath/filename paths, raw captions', () => {
  const ds = loadKarpathy(join(K, 'dataset_coco.json'), { dataset: 'coco' });
  assert.equal(ds.dataset, 'coco');
  assert.deepEqual(karpathyCounts(ds), { train: { images: 3, captions: 16 }, val: { images: 2, captions: 10 }, test: { images: 1, captions: 5 } });
  const train = karpathySplit(ds, 'train');
  assert.deepEqual(train.map((im) => im.id), [9, 25, 42]);
  assert.equal(train[2].originalSplit, 'restval');
  assert.equal(train[2].file, join('val2014', 'COCO_val2014_000000000042.jpg'));
  assert.equal(train[0].captions[0], 'A plate of food with broccoli and meat.');
  assert.equal(train[1].captions.length, 6);
  const kept = loadKarpathy(join(K, 'dataset_coco.json'), { mergeRestval: false });
  assert.deepEqual(Object.keys(karpathyCounts(kept)).sort(), ['restval', 'test', 'train', 'val']);
});

test('dataset_flickr30k.json: imgid ids, bare filenames', () => {
  const ds = loadKarpathy(join(K, 'dataset_flickr30k.json'), { dataset: 'flickr30k' });
  assert.deepEqual(ds.images.map((im) => [im.split, im.id, im.file]), [
    ['train', 0, '1000092795.jpg'], ['train', 1, '10002456.jpg'], ['val', 2, '1000268201.jpg'], ['test', 3, '1000344755.jpg'],
  ]);
  assert.throws(() => loadKarpathy(join(K, 'dataset_flickr30k.json'), { dataset: 'coco' }), /is for dataset 'flickr30k', not 'coco'/);
});

test('malformed Karpathy files are rejected with errors naming the entry', () => {
  const good = JSON.parse(readFileSync(join(K, 'dataset_coco.json'), 'utf8'));
  const mutate = (f: (j: any) => void) => { const j = structuredClone(good); f(j); return j; };
  const cases: [unknown, RegExp][] = [
    [[], /top level must be an object/],
    [{ dataset: 'coco' }, /missing the "images" array/],
    [{ images: [] }, /"images" is empty/],
    [mutate((j) => { delete j.images[1].filename; }), /images\[1\] has no "filename"/],
    [mutate((j) => { j.images[2].split = 'dev'; }), /images\[2\] \(COCO_val2014_000000000042\.jpg\) has split 'dev'; expected one of train, val, test, restval/],
    [mutate((j) => { j.images[3].sentences = []; }), /images\[3\] .* has no sentences/],
    [mutate((j) => { delete j.images[3].sentences[2].raw; }), /images\[3\] .* sentences\[2\] has no "raw" string/],
    [mutate((j) => { j.images[0].sentences[0].raw = '  '; }), /sentences\[0\] is an empty caption/],
    [mutate((j) => { j.images[4].cocoid = j.images[0].cocoid; }), /images\[4\] .* repeats image id 9 of images\[0\]/],
    [mutate((j) => { delete j.images[5].cocoid; }), /has no "cocoid" \(required for coco\)/],
    [mutate((j) => { j.images[5].cocoid = 'x'; }), /"cocoid" must be an integer/],
    [mutate((j) => { delete j.images[5].cocoid; delete j.images[5].imgid; j.dataset = 'world'; }), /neither "cocoid" nor "imgid"/],
  ];
  for (const [json, re] of cases) {
    assert.throws(() => parseKarpathy(json, 'x.json'), (e: Error) => e instanceof DbridgeError && re.test(e.message), String(re));
  }
  const dir = tmpDir();
  writeFileSync(join(dir, 'bad.json'), '{"images": [');
  assert.throws(() => loadKarpathy(join(dir, 'bad.json')), /bad\.json is not valid JSON/);
  assert.throws(() => loadKarpathy(join(dir, 'missing.json')), /Karpathy split file not found/);
});

test('non-real datasets (the world) may use other split names', () => {
  const ds = parseKarpathy({ dataset: 'world', images: [
    { filename: 'a.png', imgid: 0, split: 'pretrain', sentences: [{ raw: 'a red ball' }] },
    { filename: 'b.png', imgid: 1, split: 'train', sentences: [{ raw: 'a blue box' }] },
  ] }, 'world.json');
  assert.deepEqual(Object.keys(karpathyCounts(ds)), ['pretrain', 'train']);
  assert.throws(() => parseKarpathy({ dataset: 'world', images: [{ filename: 'a.png', imgid: 0, split: 'pretrain', sentences: [{ raw: 'x' }] }] }, 'w.json', { splits: ['train'] }), /split 'pretrain'/);
});
