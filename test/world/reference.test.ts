// Reference statistics (lib/world/reference.ts): the sixth annotator's caption is written for val
// and test images only and never among the references; random / most-frequent / verbatim are
// computed as documented on a hand-made Karpathy file; scores come from lib/metrics.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers.ts';
import { generateWorld, readWorldEntries, referenceCandidates, referenceStatistics, verbatimFraction, captionKey } from '../../lib/world/index.ts';
import { scoreCaptions } from '../../lib/metrics/score.ts';

const img = (imgid: number, split: string, caps: string[], heldout?: string) => ({
  filename: `${imgid}.png`, imgid, split, sentences: caps.map((raw) => ({ raw })), ...(heldout ? { heldout: [{ raw: heldout, tokens: [] }] } : {}),
});

describe('reference statistics', () => {
  let worldDir: string, handFile: string;
  before(() => {
    worldDir = join(tmpDir(), 'w');
    generateWorld({ scale: 'smoke', seed: 5, domain: 'a', outDir: worldDir, sizes: { pretrain: 20, train: 40, val: 8, test: 8 }, quiet: true });
    handFile = join(tmpDir(), 'hand.json');
    writeFileSync(handFile, JSON.stringify({
      dataset: 'hand', images: [
        img(1, 'train', ['A red ball.', 'a red ball', 'Two blue boxes.']),
        img(2, 'train', ['A green star on grass.', 'Two blue boxes', 'A red ball!']),
        img(3, 'test', ['A red ball', 'Something else entirely.'], 'A red ball near a box.'),
        img(4, 'test', ['two blue boxes .', 'Nothing like train.'], 'Two boxes.'),
      ],
    }));
  });

  it('writes one heldout caption per val/test image, never among its references', () => {
    const entries = readWorldEntries(worldDir, 'dataset');
    for (const e of entries) {
      if (e.split === 'train') { assert.equal(e.heldout, undefined); continue; }
      assert.equal(e.heldout?.length, 1);
      assert.ok(e.heldout![0].tokens.length > 3);
      assert.ok(!e.sentences.some((s) => s.raw === e.heldout![0].raw), 'the sixth caption is not a reference');
    }
    // the sixth annotator's stream is independent: at least some differ in form from every reference
    const held = entries.filter((e) => e.heldout);
    assert.ok(held.some((e) => !e.sentences.some((s) => captionKey(s.raw) === captionKey(e.heldout![0].raw))));
  });

  it('computes random, most frequent and verbatim as documented', () => {
    const c = referenceCandidates(handFile, { split: 'test', seed: 1 });
    // "a red ball" x3 (PTB tokens ignore case and punctuation) beats "two blue boxes" x2
    assert.equal(c.frequent.count, 3);
    assert.equal(c.frequent.caption, 'A red ball.');
    assert.deepEqual([...c.frequent.candidates.keys()], [3, 4]);
    assert.deepEqual(c.train, { captions: 6, distinct: 3 });
    const trainCaps = ['A red ball.', 'a red ball', 'Two blue boxes.', 'A green star on grass.', 'Two blue boxes', 'A red ball!'];
    for (const cap of c.random.values()) assert.ok(trainCaps.includes(cap));
    assert.deepEqual(c.heldout, new Map([[3, 'A red ball near a box.'], [4, 'Two boxes.']]));
    assert.deepEqual(verbatimFraction(handFile, 'test'), { fraction: 0.5, matched: 2, total: 4 });
    // no heldout field: the sixth annotator is absent, not invented
    assert.equal(referenceCandidates(worldDir, { split: 'train' }).heldout, null);
  });

  it('scores each row with lib/metrics against the split references, deterministically', async () => {
    const a = await referenceStatistics(worldDir, { split: 'test', seed: 2 });
    const b = await referenceStatistics(worldDir, { split: 'test', seed: 2 });
    assert.deepEqual(a, b);
    assert.equal(a.images, 8);
    const c = referenceCandidates(worldDir, { split: 'test', seed: 2 });
    const direct = await scoreCaptions(c.references, c.heldout!, { metrics: ['bleu', 'meteor', 'rouge', 'cider'] });
    assert.deepEqual(a.sixthAnnotator!.corpus, direct.corpus);
    assert.ok(a.sixthAnnotator!.corpus.CIDEr! > a.randomCaption.corpus.CIDEr!, 'a sixth annotator agrees more than a random caption');
    assert.ok((await referenceStatistics(handFile)).sixthAnnotator!.corpus.Bleu_1! > 0, 'any Karpathy file with heldout captions gets the row');
  });
});
