// METEOR_approx: the Snowball English stemmer, WordNet synonyms and METEOR 1.5's scoring formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meteorApprox, stem, METEOR_PARAMS } from '../../lib/metrics/index.ts';

test('Snowball English stems', () => {
  const cases: Record<string, string> = {
    running: 'run', dogs: 'dog', played: 'play', happily: 'happili', cries: 'cri', ties: 'tie', gaps: 'gap', gas: 'gas',
    hopping: 'hop', hoped: 'hope', agreed: 'agre', relational: 'relat', generously: 'generous', skies: 'sky',
    dying: 'die', consistency: 'consist', knackeries: 'knackeri', adjustment: 'adjust', effective: 'effect',
    bikes: 'bike', riding: 'ride', beautiful: 'beauti', yellow: 'yellow', sayings: 'say', generation: 'generat', a: 'a',
  };
  for (const [w, s] of Object.entries(cases)) assert.equal(stem(w), s, w);
});

test('identical captions score 1; nothing in common scores 0', () => {
  const r = meteorApprox([['a dog runs on the grass'], ['a cat']], ['a dog runs on the grass', 'zzz qqq']);
  assert.ok(Math.abs(r.perImage[0] - 1) < 1e-12);
  assert.equal(r.perImage[1], 0);
});

test('stem and synonym matches count, with their lower weights', () => {
  const exact = meteorApprox([['a man rides a bike']], ['a man rides a bike']).perImage[0];
  const stemmed = meteorApprox([['a man rides a bike']], ['a man riding a bike']).perImage[0];
  const synonym = meteorApprox([['a man rides a bicycle']], ['a man rides a bike']).perImage[0];
  const none = meteorApprox([['a man rides a bike']], ['a man xyzzy a bike']).perImage[0];
  assert.ok(stemmed < exact && stemmed > none, `${stemmed}`);
  assert.ok(synonym < exact && synonym > none, `${synonym}`);
});

test('fragmentation: a scrambled order is penalised', () => {
  const inOrder = meteorApprox([['the brown dog jumps over the fence']], ['the brown dog jumps']).perImage[0];
  const scrambled = meteorApprox([['the brown dog jumps over the fence']], ['jumps dog brown the']).perImage[0];
  assert.ok(scrambled < inOrder);
});

test('the best reference is used per image and the corpus is from summed statistics', () => {
  const r = meteorApprox([['zzz', 'a dog runs']], ['a dog runs']);
  assert.ok(Math.abs(r.perImage[0] - 1) < 1e-12);
  const two = meteorApprox([['a dog runs'], ['a cat sits on a mat']], ['a dog runs', 'a cat']);
  assert.ok(two.score > Math.min(...two.perImage) && two.score < Math.max(...two.perImage));
  assert.equal(METEOR_PARAMS.alpha, 0.85);
});

test('empty candidate scores 0', () => {
  assert.equal(meteorApprox([['a dog']], ['']).perImage[0], 0);
});
