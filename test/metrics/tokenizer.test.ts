// PTB tokenisation as pycocoevalcap does it: the public50 raw captions must give exactly the text its
// scorers received; single rules checked on made-up captions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenizeCaption, ptbLex } from '../../lib/metrics/index.ts';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'metrics');
const read = (f: string) => JSON.parse(readFileSync(join(FIX, f), 'utf8'));

test('public50: every raw caption tokenises exactly as pycocoevalcap', () => {
  const refs = read('refs_public50.json');
  const cands = read('cands_public50.json');
  const tok = read('tok_public50_ptb.json');
  const by = new Map<number, string[]>();
  for (const a of refs.annotations) {
    if (!by.has(a.image_id)) by.set(a.image_id, []);
    by.get(a.image_id)!.push(a.caption);
  }
  let n = 0;
  for (const id of tok.image_ids as number[]) {
    by.get(id)!.forEach((raw, i) => { assert.equal(tokenizeCaption(raw), tok.gts[String(id)][i], raw); n++; });
  }
  for (const c of cands) { assert.equal(tokenizeCaption(c.caption), tok.res[String(c.image_id)][0], c.caption); n++; }
  assert.equal(n, 247);
});

const cases: Array<[string, string]> = [
  ['A BOY IS AT A PLAYGROUND .', 'a boy is at a playground'],
  ["Wow!!! An, elderly, woman ... (sits on a stump) -- yes?!", 'wow !!! an elderly woman -lrb- sits on a stump -rrb- yes ?!'],
  ["someone 's ice skates , isn't it \" nice \" ?", "someone 's ice skates is n't it nice"],
  ["The dog's toy. Kids' shoes; can't, don't, won't", "the dog 's toy kids shoes ca n't do n't wo n't"],
  ['He cannot swim', 'he can not swim'],
  ['a red-vested man in a t-shirt', 'a red-vested man in a t-shirt'],
  ['black/white and 1/2 of it * 3', 'black/white and 1/2 of it * 3'],
  ['a [red] {blue} dog', 'a -lrb- red -rrb- -lcb- blue -rcb- dog'],
  ['3.5 feet, 1,000 people at 10:30', '3.5 feet 1,000 people at 10:30'],
  ['Mr. Smith and Dr. Who, etc. in the U.S. today', 'mr. smith and dr. who etc. in the u.s. today'],
  ['a dog . . . runs.... fast…', 'a dog runs fast'],
  ['AT&T $5 50% #1 @home #Beach x | y \\ z', 'at&t $ 5 50 % # 1 @home #beach x | y \\ z'],
  ['We are gonna win, wanna go? Gotta run', 'we are gon na win wan na go got ta run'],
  ['½ a cup, 1 1/2 inches, 12/25/2010', '1/2 a cup 1\u00a01/2 inches 12/25/2010'],
  ['a dog <b>bold</b> and <<quotes>>', 'a dog <b> bold </b> and << quotes >>'],
  ['“Curly” quotes and the dog’s bone — a dash', "curly quotes and the dog 's bone a dash"],
  ['Un garçon à vélo 😀 à Zürich', 'un garçon à vélo à zürich'],
  ['', ''],
  ['   ', ''],
  ['line one\nline two', 'line one line two'],
];

for (const [raw, want] of cases) {
  test(`tokenizes ${JSON.stringify(raw)}`, () => {
    assert.equal(tokenizeCaption(raw), want);
  });
}

test('lexer keeps PTB forms before lower-casing and punctuation removal', () => {
  assert.deepEqual(ptbLex('"Hi" (there).'), ['``', 'Hi', "''", '-LRB-', 'there', '-RRB-', '.']);
});

test('tokenising 10k captions takes well under a second', () => {
  const cap = 'A man in a red shirt , riding a bike down the street ( fast ) .';
  const t0 = performance.now();
  for (let i = 0; i < 10000; i++) tokenizeCaption(cap + i);
  assert.ok(performance.now() - t0 < 3000);
});
