// BLEU-1..4, ROUGE-L and CIDEr-D against pycocoevalcap's own numbers on the tokenised text it scored
// (test/fixtures/metrics, public50 sample), plus edge cases worked out from pycocoevalcap's formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bleu, rougeL, cider } from '../../lib/metrics/index.ts';
import { npMean, pySplit } from '../../lib/metrics/numeric.ts';
import { prepareCorpus } from '../../lib/metrics/ngrams.ts';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'metrics');
const tok = JSON.parse(readFileSync(join(FIX, 'tok_public50_ptb.json'), 'utf8'));
const ref = JSON.parse(readFileSync(join(FIX, 'scores_public50_ptb.json'), 'utf8'));
const ids: number[] = tok.image_ids;
const refs: string[][] = ids.map((i) => tok.gts[String(i)]);
const cands: string[] = ids.map((i) => tok.res[String(i)][0]);

function close(got: number, want: number, what: string, rel = 1e-9, abs = 1e-12): void {
  assert.ok(Number.isFinite(got), `${what}: ${got}`);
  assert.ok(Math.abs(got - want) <= Math.max(abs, rel * Math.abs(want)), `${what}: got ${got}, pycocoevalcap ${want} (diff ${got - want})`);
}

test('BLEU-1..4 match pycocoevalcap (corpus, per image, statistics)', () => {
  const b = bleu(refs, cands);
  for (let k = 0; k < 4; k++) {
    const key = `Bleu_${k + 1}`;
    close(b.scores[k], ref.corpus[key], key, 1e-12);
    ref.per_image[key].forEach((v: number, i: number) => close(b.perImage[k][i], v, `${key} image ${ids[i]}`));
  }
  assert.equal(b.stats.testlen, ref.bleu_stats.testlen);
  assert.equal(b.stats.reflen, ref.bleu_stats.reflen);
  assert.deepEqual(b.stats.guess, ref.bleu_stats.guess);
  assert.deepEqual(b.stats.correct, ref.bleu_stats.correct);
});

test('ROUGE-L matches pycocoevalcap', () => {
  const r = rougeL(refs, cands);
  close(r.score, ref.corpus.ROUGE_L, 'ROUGE_L', 1e-12);
  ref.per_image.ROUGE_L.forEach((v: number, i: number) => close(r.perImage[i], v, `ROUGE_L image ${ids[i]}`));
});

test('CIDEr-D matches pycocoevalcap', () => {
  const c = cider(refs, cands);
  close(c.score, ref.corpus.CIDEr, 'CIDEr', 1e-12);
  ref.per_image.CIDEr.forEach((v: number, i: number) => close(c.perImage[i], v, `CIDEr image ${ids[i]}`));
});

test('CIDEr depends on the evaluated set: document frequencies come from its references only', () => {
  const half = cider(refs.slice(0, 25), cands.slice(0, 25));
  const full = cider(refs, cands);
  assert.notEqual(half.perImage[0], full.perImage[0]);
});

test('empty candidate: BLEU, ROUGE-L and CIDEr are 0 (as pycocoevalcap)', () => {
  const r = [['a dog runs on the grass', 'a brown dog'], ['a cat sleeps']];
  const c = ['', 'a cat sleeps'];
  const b = bleu(r, c);
  for (let k = 0; k < 4; k++) assert.equal(b.perImage[k][0], 0);
  assert.equal(rougeL(r, c).perImage[0], 0);
  assert.equal(cider(r, c).perImage[0], 0);
});

test('one-word candidate: smoothing constants and brevity penalty as pycocoevalcap', () => {
  const r = [['a dog runs'], ['a cat sleeps']];
  const c = ['dog', 'a cat sleeps'];
  const b = bleu(r, c);
  const bp = Math.exp(1 - 1 / ((1 + 1e-15) / (3 + 1e-9)));
  const p1 = (1 + 1e-15) / (1 + 1e-9);
  const p2 = (0 + 1e-15) / (0 + 1e-9);
  close(b.perImage[0][0], p1 * bp, 'Bleu_1', 1e-12);
  close(b.perImage[1][0], (p1 * p2) ** 0.5 * bp, 'Bleu_2', 1e-12);
  // one word: precision 1, recall 1/3 -> F(beta = 1.2)
  const want = ((1 + 1.44) * 1 * (1 / 3)) / (1 / 3 + 1.44 * 1);
  close(rougeL(r, c).perImage[0], want, 'ROUGE_L', 1e-15);
  const ci = cider(r, c);
  assert.ok(ci.perImage[0] > 0 && ci.perImage[0] < ci.perImage[1]);
});

test('single reference and the closest reference length (ties -> shorter)', () => {
  // candidate of 4 words, references of 3 and 5 words: both at distance 1, pycocoevalcap takes 3
  const b = bleu([['a b c', 'a b c d e']], ['a b c d']);
  assert.equal(b.stats.reflen, 3);
  const one = bleu([['a b c']], ['a b c']);
  close(one.scores[0], 1, 'identical single reference', 1e-8);
});

test('duplicated references leave ROUGE-L unchanged (best precision and recall)', () => {
  const base = rougeL([['a dog runs'], ['x y']], ['a dog', 'x']);
  const dup = rougeL([['a dog runs', 'a dog runs'], ['x y']], ['a dog', 'x']);
  assert.equal(dup.perImage[0], base.perImage[0]);
});

test('ROUGE-L splits on single spaces like Python split(" "); BLEU/CIDEr on any whitespace like split()', () => {
  assert.deepEqual(pySplit('  a \u00a0b\tc\n'), ['a', 'b', 'c']);
  // a double space makes an empty word for ROUGE-L only
  const r1 = rougeL([['a b']], ['a  b']).perImage[0];
  const r2 = rougeL([['a b']], ['a b']).perImage[0];
  assert.ok(r1 < r2);
  assert.equal(bleu([['a b']], ['a  b']).scores[0], bleu([['a b']], ['a b']).scores[0]);
});

test('very long captions score quickly and finitely', () => {
  const words = Array.from({ length: 3000 }, (_, i) => `w${i % 97}`);
  const long = words.join(' ');
  const t0 = performance.now();
  const r = [[long, 'w1 w2 w3'], ['a b c']];
  const c = [long.split(' ').reverse().join(' '), 'a b c'];
  const b = bleu(r, c);
  const ro = rougeL(r, c);
  const ci = cider(r, c);
  assert.ok(performance.now() - t0 < 5000);
  for (const v of [...b.scores, ro.score, ci.score]) assert.ok(Number.isFinite(v));
});

test('npMean is numpy pairwise summation (differs from a naive loop on long inputs)', () => {
  const a = Array.from({ length: 1000 }, (_, i) => 0.1 * ((i * 7919) % 13) + 1e-3 * i);
  let naive = 0;
  for (const v of a) naive += v;
  naive /= a.length;
  assert.ok(Math.abs(npMean(a) - naive) < 1e-12);
  assert.ok(Number.isNaN(npMean([])));
});

test('mismatched lengths and images without references are errors', () => {
  assert.throws(() => bleu([['a']], ['a', 'b']), /reference sets/);
  assert.throws(() => rougeL([[]], ['a']), /no references/);
  assert.throws(() => cider([[]], ['a']), /no references/);
});

test('ROUGE-L gives the same numbers with the shared word ids of prepareCorpus (also for irregular spacing)', () => {
  const r = [...refs.slice(0, 10), ['a  b', ' c d ', '']];
  const c = [...cands.slice(0, 10), 'a b\tc'];
  const plain = rougeL(r, c);
  const shared = rougeL(r, c, 1.2, prepareCorpus(r, c));
  assert.deepEqual(Array.from(shared.perImage), Array.from(plain.perImage));
});
