// The generated world on disk: Karpathy JSON read by the shared loader, PNGs of the right size,
// splits and counts, determinism, reuse of an existing world, domains that differ, and errors.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers.ts';
import { generateWorld, readWorldEntries, readWorldMeta, renderScene, sampleScene, WORLD_FILES, FINISHES, SCENE_TYPES, type Scene, type WorldImageEntry } from '../../lib/world/index.ts';
import { CLASS_SPECS, OBJECT_CLASSES } from '../../lib/world/objects.ts';
import { loadKarpathy, karpathyCounts } from '../../lib/data/karpathy.ts';
import { readImage } from '../../lib/data/images.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

const sizes = { pretrain: 60, train: 30, val: 10, test: 10 };

describe('world generation', () => {
  let dirA: string, dirB: string;
  before(() => {
    dirA = join(tmpDir(), 'a');
    dirB = join(tmpDir(), 'b');
    generateWorld({ scale: 'smoke', seed: 3, domain: 'a', outDir: dirA, sizes, quiet: true });
    generateWorld({ scale: 'smoke', seed: 3, domain: 'b', outDir: dirB, sizes, quiet: true });
  });

  it('writes a Karpathy file the shared loader reads, with 5 captions per image', () => {
    const ds = loadKarpathy(join(dirA, WORLD_FILES.dataset), { dataset: 'world' });
    assert.equal(ds.dataset, 'world');
    assert.deepEqual(karpathyCounts(ds), { train: { images: 30, captions: 150 }, val: { images: 10, captions: 50 }, test: { images: 10, captions: 50 } });
    const raw = JSON.parse(readFileSync(join(dirA, WORLD_FILES.dataset), 'utf8')) as { images: WorldImageEntry[] };
    const ids = new Set(raw.images.map((e) => e.imgid));
    assert.equal(ids.size, raw.images.length);
    const sentids = raw.images.flatMap((e) => e.sentids);
    assert.equal(new Set(sentids).size, sentids.length);
    for (const e of raw.images) {
      assert.equal(e.sentences.length, 5);
      for (const s of e.sentences) {
        assert.ok(s.raw.length > 0 && s.tokens.length > 0 && s.imgid === e.imgid);
        assert.deepEqual(s.tokens, s.tokens.map((t) => t.toLowerCase()));
      }
      assert.ok(existsSync(join(dirA, e.filepath, e.filename)), `${e.filename} exists`);
    }
    const pre = loadKarpathy(join(dirA, WORLD_FILES.pretrain), { dataset: 'world' });
    assert.deepEqual(karpathyCounts(pre), { pretrain: { images: 60, captions: 300 } });
  });

  it('writes 64x64 RGB PNGs equal to the renderer output', async () => {
    const e = readWorldEntries(dirA, 'dataset')[0];
    const img = await readImage(join(dirA, e.filepath, e.filename));
    assert.equal(img.width, 64);
    assert.equal(img.height, 64);
    assert.deepEqual(img.data, renderScene(e.scene, 64).data);
  });

  it('shares the pre-training split across domains and differs in the captioning splits', () => {
    const pa = readFileSync(join(dirA, WORLD_FILES.pretrain), 'utf8'), pb = readFileSync(join(dirB, WORLD_FILES.pretrain), 'utf8');
    assert.equal(pa, pb);
    const pre = readWorldEntries(dirA, 'pretrain');
    const doms = new Set(pre.map((e) => e.domain));
    assert.deepEqual([...doms].sort(), ['a', 'b'], 'pre-training mixes both domains');
    const a = readWorldEntries(dirA, 'dataset'), b = readWorldEntries(dirB, 'dataset');
    assert.ok(a.every((e) => e.domain === 'a') && b.every((e) => e.domain === 'b'));
  });

  it('reuses another domain\'s pre-training split with pretrainFrom, giving the same world', () => {
    const dirC = join(tmpDir(), 'c');
    const meta = generateWorld({ scale: 'smoke', seed: 3, domain: 'b', outDir: dirC, sizes, quiet: true, pretrainFrom: dirA });
    assert.deepEqual(meta.counts, readWorldMeta(dirB).counts);
    for (const f of [WORLD_FILES.pretrain, WORLD_FILES.dataset]) assert.equal(readFileSync(join(dirC, f), 'utf8'), readFileSync(join(dirB, f), 'utf8'));
    for (const e of readWorldEntries(dirC, 'pretrain').slice(0, 5)) {
      assert.deepEqual(readFileSync(join(dirC, e.filepath, e.filename)), readFileSync(join(dirB, e.filepath, e.filename)));
    }
    // a donor of another seed is not used
    const dirD = join(tmpDir(), 'd');
    generateWorld({ scale: 'smoke', seed: 4, domain: 'b', outDir: dirD, sizes, quiet: true, pretrainFrom: dirA });
    assert.notEqual(readFileSync(join(dirD, WORLD_FILES.pretrain), 'utf8'), readFileSync(join(dirA, WORLD_FILES.pretrain), 'utf8'));
  });

  it('domains differ in scene types, object categories and counts', () => {
    const count = (d: 'a' | 'b') => {
      const scenes: Record<string, number> = {}, cats: Record<string, number> = {};
      let objs = 0;
      for (let i = 0; i < 400; i++) {
        const s = sampleScene(new Rng(i).fork(d), d);
        scenes[s.background] = (scenes[s.background] ?? 0) + 1;
        for (const o of s.objects) {
          cats[CLASS_SPECS[o.cls].category] = (cats[CLASS_SPECS[o.cls].category] ?? 0) + 1;
          objs++;
        }
      }
      return { scenes, cats, objs };
    };
    const a = count('a'), b = count('b');
    const frac = (m: Record<string, number>, ks: string[], n: number) => ks.reduce((s, k) => s + (m[k] ?? 0), 0) / n;
    const indoor = ['table', 'floor', 'room', 'kitchen', 'carpet', 'bed', 'wall', 'road', 'city', 'white', 'grey'];
    assert.ok(frac(a.scenes, indoor, 400) > 0.45 && frac(b.scenes, indoor, 400) < 0.3, 'a is mostly indoor and street scenes, b outdoor');
    assert.ok(frac(b.cats, ['animal', 'plant', 'sky'], b.objs) > frac(a.cats, ['animal', 'plant', 'sky'], a.objs) + 0.15);
    assert.ok(b.objs > a.objs, 'domain b has more objects per scene');
    assert.ok(Object.keys(a.scenes).length >= 20 && Object.keys(b.scenes).length >= 20, 'both domains use most scene types');
  });

  it('renders every class, finish and scene type distinctly', () => {
    const base = sampleScene(new Rng(1), 'a');
    const one = (p: Partial<Scene['objects'][0]>, bg: Scene['background'] = 'white') => renderScene({ ...base, background: bg, style: { frame: false, grainy: false, faded: false, vignette: false },
      objects: [{ ...base.objects[0], x: 0.5, y: 0.5, r: 0.18, rot: 0, shadow: false, finish: 'plain', colour: 'blue', rgb: [31, 80, 220], ...p }] }, 64).data;
    const differ = (x: Uint8Array, y: Uint8Array) => x.reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / x.length;
    const classes = OBJECT_CLASSES.map((cls) => one({ cls }));
    for (let i = 0; i < classes.length; i++) for (let j = i + 1; j < classes.length; j++) assert.ok(differ(classes[i], classes[j]) > 1, `${OBJECT_CLASSES[i]} looks like ${OBJECT_CLASSES[j]}`);
    const finishes = FINISHES.map((finish) => one({ cls: 'box', finish }));
    for (let i = 1; i < finishes.length; i++) assert.ok(differ(finishes[0], finishes[i]) > 1, `${FINISHES[i]} looks plain`);
    const bgs = SCENE_TYPES.map((t) => one({}, t));
    for (let i = 0; i < bgs.length; i++) for (let j = i + 1; j < bgs.length; j++) assert.ok(differ(bgs[i], bgs[j]) > 5, `${SCENE_TYPES[i]} looks like ${SCENE_TYPES[j]}`);
  });

  it('is deterministic and reuses a folder holding the same world', () => {
    const dir = join(tmpDir(), 'again');
    const m1 = generateWorld({ scale: 'smoke', seed: 3, domain: 'a', outDir: dir, sizes, quiet: true });
    assert.equal(readFileSync(join(dir, WORLD_FILES.dataset), 'utf8'), readFileSync(join(dirA, WORLD_FILES.dataset), 'utf8'));
    const before = statSync(join(dir, WORLD_FILES.dataset)).mtimeMs;
    const m2 = generateWorld({ scale: 'smoke', seed: 3, domain: 'a', outDir: dir, sizes, quiet: true });
    assert.equal(m2.created, m1.created);
    assert.equal(statSync(join(dir, WORLD_FILES.dataset)).mtimeMs, before);
    // another seed regenerates
    const m3 = generateWorld({ scale: 'smoke', seed: 4, domain: 'a', outDir: dir, sizes, quiet: true });
    assert.equal(m3.seed, 4);
    assert.notEqual(readFileSync(join(dir, WORLD_FILES.dataset), 'utf8'), readFileSync(join(dirA, WORLD_FILES.dataset), 'utf8'));
  });

  it('rejects bad options with DbridgeError', () => {
    const dir = tmpDir();
    assert.throws(() => generateWorld({ scale: 'huge', outDir: dir }), DbridgeError);
    assert.throws(() => generateWorld({ scale: 'smoke', domain: 'c', outDir: dir }), DbridgeError);
    assert.throws(() => generateWorld({ scale: 'smoke', seed: 1.5, outDir: dir }), DbridgeError);
    assert.throws(() => generateWorld({ scale: 'smoke', sizes: { test: 0 }, outDir: dir }), DbridgeError);
  });
});
