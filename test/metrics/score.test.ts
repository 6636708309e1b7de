// scoreCaptions / loaders / `dbridge score` end to end from raw captions, the edge cases of the
// issue, and the METEOR/SPICE jar drivers (with a stand-in for java, see fixtures/metrics/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scoreCaptions, loadReferences, loadCandidates, parseReferences, parseCandidates, parseMetricList } from '../../lib/metrics/index.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { main } from '../../lib/cli/main.ts';

process.env.DBRIDGE_QUIET = '1';
delete process.env.DBRIDGE_METEOR_JAR;
delete process.env.DBRIDGE_SPICE_JAR;
const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'metrics');
const REFS = join(FIX, 'refs_public50.json');
const CANDS = join(FIX, 'cands_public50.json');
const ref = JSON.parse(readFileSync(join(FIX, 'scores_public50_ptb.json'), 'utf8'));
const FAKE_JAVA = join(FIX, 'fake-java.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'dbridge-score-test-'));

async function capture(fn: () => Promise<unknown>): Promise<string> {
  const orig = console.log;
  let out = '';
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  try { await fn(); } finally { console.log = orig; }
  return out;
}

test('end to end from raw public50 captions: pycocoevalcap corpus and per-image scores', async () => {
  const res = await scoreCaptions(loadReferences(REFS), loadCandidates(CANDS), { metrics: ['bleu', 'rouge', 'cider'] });
  assert.deepEqual(Object.keys(res.corpus), ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr']);
  for (const [k, v] of Object.entries(res.corpus)) assert.ok(Math.abs((v as number) - ref.corpus[k]) <= 1e-12, `${k}: ${v} vs ${ref.corpus[k]}`);
  // images in the order of the references' "images" list, as pycocotools
  assert.deepEqual(res.perImage.map((p) => p.image_id), ref.image_ids);
  res.perImage.forEach((p, i) => {
    for (const k of Object.keys(res.corpus)) {
      const want = ref.per_image[k][i];
      assert.ok(Math.abs((p.scores as Record<string, number>)[k] - want) <= Math.max(1e-12, 1e-9 * Math.abs(want)), `${k} image ${p.image_id}`);
    }
  });
  assert.equal(res.numImages, 50);
});

test('default metrics: METEOR_approx (never METEOR) without a jar, SPICE null with a reason', async () => {
  const res = await scoreCaptions(loadReferences(REFS), loadCandidates(CANDS));
  assert.deepEqual(Object.keys(res.corpus), ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'METEOR_approx', 'ROUGE_L', 'CIDEr', 'SPICE']);
  assert.ok(!('METEOR' in res.corpus));
  const m = res.corpus.METEOR_approx as number;
  assert.ok(m > 0.1 && m < 0.5, `METEOR_approx ${m}`);
  assert.equal(res.corpus.SPICE, null);
  assert.match(res.unavailable.SPICE!, /spice-1\.0\.jar/);
  assert.equal(res.meteor, 'METEOR_approx');
  assert.equal(res.perImage[0].scores.SPICE, null);
});

test('candidates for images without references: error naming them', async () => {
  const refs = new Map<number, string[]>([[1, ['a dog']], [2, ['a cat']]]);
  const cands = new Map<number, string>([[1, 'a dog'], [7, 'x'], [9, 'y']]);
  await assert.rejects(scoreCaptions(refs, cands), (e: Error) => e instanceof DbridgeError && /2 candidate image id\(s\) have no references: 7, 9/.test(e.message));
});

test('duplicate image ids in a candidates file: error naming them', () => {
  assert.throws(() => parseCandidates([{ image_id: 1, caption: 'a' }, { image_id: 2, caption: 'b' }, { image_id: 1, caption: 'c' }], 'c.json'),
    (e: Error) => e instanceof DbridgeError && /duplicated image id\(s\).*: 1/.test(e.message));
});

test('empty reference list, no candidates, bad captions: clear errors', async () => {
  await assert.rejects(scoreCaptions(new Map([[1, []]]), new Map([[1, 'a']])), /empty reference list: 1/);
  await assert.rejects(scoreCaptions(new Map([[1, ['a']]]), new Map()), /no candidate/);
  assert.throws(() => parseCandidates([{ image_id: 1, caption: 5 }], 'c.json'), /"caption" must be a string/);
  assert.throws(() => parseCandidates('x', 'c.json'), /COCO results list/);
  assert.throws(() => parseReferences({ annotations: [{ image_id: 3, caption: 'a' }], images: [{ id: 1 }] }, 'r.json'), /image_id 3 is not in "images"/);
  assert.throws(() => loadReferences(join(tmp, 'missing.json')), /not found/);
});

test('references not among the candidates are ignored, as pycocoevalcap scores only predicted images', async () => {
  const refs = new Map<number, string[]>([[1, ['a dog runs']], [2, ['a cat sleeps']], [3, ['a bird sings']]]);
  const res = await scoreCaptions(refs, new Map([[3, 'a bird sings'], [1, 'a dog']]), { metrics: ['bleu'] });
  assert.deepEqual(res.perImage.map((p) => p.image_id), [1, 3]);
  assert.equal(res.unscoredReferenceImages, 1);
});

test('ids match by their string form; Karpathy and plain-map references load', async () => {
  const karpathy = { dataset: 'world', images: [{ imgid: 5, filename: 'a.png', split: 'test', sentences: [{ raw: 'A dog runs.', tokens: ['a', 'dog', 'runs'] }] }] };
  const refs = parseReferences(karpathy, 'k.json');
  assert.deepEqual([...refs.entries()], [[5, ['A dog runs.']]]);
  const res = await scoreCaptions(refs, parseCandidates([{ image_id: '5', caption: 'a dog runs' }], 'c.json'), { metrics: ['bleu'] });
  assert.ok(Math.abs((res.corpus.Bleu_1 as number) - 1) < 1e-8);
  const plain = parseReferences({ '7': ['x y'] }, 'p.json');
  assert.deepEqual([...plain.keys()], ['7']);
});

test('non-ASCII and one-word candidates, a single reference', async () => {
  const refs = new Map<number, string[]>([[1, ['Un garçon à vélo dans la rue.']], [2, ['A dog runs on grass .']]]);
  const res = await scoreCaptions(refs, new Map([[1, 'Un garçon à vélo 😀 dans la rue !'], [2, 'Dog']]), { metrics: ['bleu', 'rouge', 'cider'] });
  assert.equal(res.tokenized.cands[0], 'un garçon à vélo dans la rue');
  assert.ok(Math.abs((res.perImage[0].scores.Bleu_4 as number) - 1) < 1e-8);
  assert.equal(res.tokenized.cands[1], 'dog');
  assert.ok((res.perImage[1].scores.Bleu_1 as number) > 0);
});

test('--tokenized skips tokenisation', async () => {
  const refs = new Map<number, string[]>([[1, ['A dog .']]]);
  const a = await scoreCaptions(refs, new Map([[1, 'A dog .']]), { metrics: ['bleu'], tokenized: true });
  assert.deepEqual(a.tokenized.refs[0], ['A dog .']);
  const b = await scoreCaptions(refs, new Map([[1, 'A dog .']]), { metrics: ['bleu'] });
  assert.deepEqual(b.tokenized.refs[0], ['a dog']);
});

test('metric lists accept pycocoevalcap key names and reject unknown ones', () => {
  assert.deepEqual(parseMetricList(['Bleu_4', 'CIDEr', 'ROUGE_L', 'METEOR_approx']), ['bleu', 'meteor', 'rouge', 'cider']);
  assert.throws(() => parseMetricList(['bert']), /unknown metric 'bert'/);
});

test('METEOR jar: missing jar is an error, DBRIDGE_METEOR_JAR too', async () => {
  const refs = new Map<number, string[]>([[1, ['a dog']]]);
  const cands = new Map<number, string>([[1, 'a dog']]);
  await assert.rejects(scoreCaptions(refs, cands, { metrics: ['meteor'], meteorJar: join(tmp, 'nope', 'meteor-1.5.jar') }), /METEOR jar \(meteor-1\.5\.jar\) not found/);
  process.env.DBRIDGE_METEOR_JAR = join(tmp, 'nope.jar');
  try {
    await assert.rejects(scoreCaptions(refs, cands, { metrics: ['meteor'] }), /not found/);
  } finally {
    delete process.env.DBRIDGE_METEOR_JAR;
  }
  await assert.rejects(scoreCaptions(refs, cands, { metrics: ['spice'], spiceJar: join(tmp, 'spice-1.0.jar') }), /SPICE jar \(spice-1\.0\.jar\) not found/);
});

test('METEOR jar protocol (stand-in java): SCORE lines per image in sorted id order, EVAL, scores to their images', async () => {
  const jarDir = mkdtempSync(join(tmp, 'meteor-'));
  const jar = join(jarDir, 'meteor-1.5.jar');
  writeFileSync(jar, 'not a real jar');
  const log = join(tmp, 'meteor.log');
  process.env.FAKE_JAVA_LOG = log;
  try {
    const refs = new Map<number, string[]>([[30, ['a b c']], [4, ['x y']], [100, ['p']]]);
    const cands = new Map<number, string>([[30, 'one two three'], [4, 'one |||  two'], [100, 'a']]);
    // tokenized: true so that the hypothesis reaches the jar driver with its '|||' and double space
    const res = await scoreCaptions(refs, cands, { metrics: ['meteor'], meteorJar: jar, java: FAKE_JAVA, tokenized: true });
    assert.deepEqual(Object.keys(res.corpus), ['METEOR']);
    assert.equal(res.meteor, 'METEOR');
    // stand-in: score = words / 100; images scored in reference order 30, 4, 100
    assert.deepEqual(res.perImage.map((p) => [p.image_id, p.scores.METEOR]), [[30, 0.03], [4, 0.02], [100, 0.01]]);
    assert.ok(Math.abs((res.corpus.METEOR as number) - 0.02) < 1e-12);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines[0].args, ['-jar', '-Xmx2G', jar, '-', '-', '-stdio', '-l', 'en', '-norm']);
    assert.equal(lines[0].cwd, jarDir);
    assert.equal(lines[0].lc, 'C');
    // sorted ids 4, 30, 100; as Python's 'one |||  two'.replace('|||', '').replace('  ', ' '):
    // three spaces, of which one pair is collapsed once -> two spaces
    assert.deepEqual(lines.slice(1).map((l) => l.hyp), ['one  two', 'one two three', 'a']);
  } finally {
    delete process.env.FAKE_JAVA_LOG;
  }
});

test('METEOR jar that dies: error with its stderr', async () => {
  const jar = join(tmp, 'meteor-1.5.jar');
  writeFileSync(jar, 'x');
  process.env.FAKE_JAVA_FAIL = '1';
  try {
    await assert.rejects(scoreCaptions(new Map([[1, ['a']]]), new Map([[1, 'a']]), { metrics: ['meteor'], meteorJar: jar, java: FAKE_JAVA }), /METEOR jar exited early.*OutOfMemoryError/);
  } finally {
    delete process.env.FAKE_JAVA_FAIL;
  }
  await assert.rejects(scoreCaptions(new Map([[1, ['a']]]), new Map([[1, 'a']]), { metrics: ['meteor'], meteorJar: jar, java: join(tmp, 'no-java-here') }), /not found/);
});

test('SPICE jar (stand-in java): input file, output read back, None -> NaN in the mean', async () => {
  const jarDir = mkdtempSync(join(tmp, 'spice-'));
  const jar = join(jarDir, 'spice-1.0.jar');
  writeFileSync(jar, 'not a real jar');
  const refs = new Map<number, string[]>([[2, ['a b']], [1, ['c d']]]);
  const res = await scoreCaptions(refs, new Map([[2, 'one two'], [1, 'three four five']]), { metrics: ['spice'], spiceJar: jar, java: FAKE_JAVA });
  assert.deepEqual(res.perImage.map((p) => [p.image_id, p.scores.SPICE]), [[2, 0.02], [1, 0.03]]);
  assert.ok(Math.abs((res.corpus.SPICE as number) - 0.025) < 1e-12);
  assert.ok(existsSync(join(jarDir, 'cache')));
  const withEmpty = await scoreCaptions(refs, new Map([[2, ''], [1, 'x']]), { metrics: ['spice'], spiceJar: jar, java: FAKE_JAVA });
  assert.ok(Number.isNaN(withEmpty.corpus.SPICE as number));
});

test('dbridge score prints pycocoevalcap keys and writes per-image scores', async () => {
  const per = join(tmp, 'per.json');
  const out = await capture(() => main(['score', '--references', REFS, '--candidates', CANDS, '--metrics', 'bleu,rouge,cider,spice', '--per-image', per]));
  const json = JSON.parse(out);
  assert.deepEqual(Object.keys(json), ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr', 'SPICE', 'unavailable']);
  assert.ok(Math.abs(json.CIDEr - ref.corpus.CIDEr) < 1e-12);
  const p = JSON.parse(readFileSync(per, 'utf8'));
  assert.equal(p.per_image.length, 50);
  assert.equal(p.per_image[0].image_id, ref.image_ids[0]);
  assert.ok(Math.abs(p.per_image[0].CIDEr - ref.per_image.CIDEr[0]) < 1e-12);
  await assert.rejects(main(['score', '--references', REFS]), /--candidates is required/);
  await assert.rejects(main(['score', '--references', REFS, '--candidates', CANDS, '--metrics', 'nope']), /unknown metric/);
});
