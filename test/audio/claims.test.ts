// The audio summary's claims are read from the numbers: the bridge with the highest paired cosine is
// named, with a paired bootstrap over clips that says whether its lead holds; the method family
// with the best CIDEr is named, reference rows never are, and a tie is "not resolved".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tmpDir } from '../helpers.ts';
import { audioClaims, type TestViews } from '../../lib/experiments/audio-run.ts';
import type { ResultTable } from '../../lib/experiments/report.ts';

const d = 2, n = 40;
/** Unit rows: clip i's captions at angle a_i; a representation at angle a_i + offset (+ jitter). */
function views(offsets: Record<string, number>): TestViews {
  const unit = (a: number) => [Math.cos(a), Math.sin(a)];
  const ang = Array.from({ length: n }, (_, i) => (i * 2 * Math.PI) / n);
  const owner = ang.flatMap((_, i) => [i, i]);
  const text = Float32Array.from(owner.flatMap((i) => unit(ang[i])));
  const rep = (off: number) => Float32Array.from(ang.flatMap((a, i) => unit(a + off + 0.01 * ((i * 7) % 5))));
  const reps = Object.fromEntries(Object.entries(offsets).map(([k, off]) => [k, rep(off)])) as TestViews['reps'];
  const split = { d, text, nText: 2 * n, image: rep(0), nImage: n, index: { split: 'test', images: ang.map((_, i) => ({ image_id: i, file: `${i}`, text_rows: [2 * i, 2 * i + 1] })), texts: owner.map((i) => ({ image_id: i, caption: '' })) } };
  return { split, owner, textRawRows: text, textRaw: text, textPrep: text, reps, audioFromText: text, audioPrep: reps['mean-removed'] };
}

function table(id: string, rows: { id: string; ours: Record<string, number | null>; details?: Record<string, unknown> }[]): ResultTable {
  return { table: id, title: id, dataset: 'sound', scale: 'smoke', variant: 'official', seed: 0, backend: 'wasm', provenance: {} as never, columns: [], rows: rows.map((r) => ({ ...r, label: r.id, paper: null })), notes: [], config: {} };
}

function perImage(values: number[]): string {
  const f = join(tmpDir(), `per-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(values.map((v, i) => ({ image_id: i, scores: { CIDEr: v } }))));
  return f;
}

test('the audio claims name the bridge that closes the gap most and the best captioning family, from the numbers', () => {
  const v = views({ raw: 1.2, 'mean-removed': 1.0, bridged: 0.6, 'diffusion-link': 0.2, diffgap: 0.9 });
  const gapRow = (id: string, paired: number) => ({ id, ours: { paired, rmg: 0.3, separability: 0.6 } });
  const gap = table('audio_gap', [gapRow('raw', 0.3), gapRow('mean-removed', Math.cos(1.0)), gapRow('DiffusionBridge', Math.cos(0.6)), gapRow('DiffusionLink', Math.cos(0.2)), gapRow('DiffGAP', Math.cos(0.9))]);
  const same = Array.from({ length: n }, (_, i) => (i % 3) / 3);
  const cap = table('audio_captioning', [
    { id: 'Plain', ours: { CIDEr: 10 }, details: { family: 'baseline', perImage: perImage(same.map((x) => x * 0.2)) } },
    { id: 'DiffusionBridge', ours: { CIDEr: 30 }, details: { family: 'diffusion-bridge', perImage: perImage(same.map((x) => x * 0.6)) } },
    { id: 'DiffusionLink', ours: { CIDEr: 30 }, details: { family: 'diffusion-link', perImage: perImage(same.map((x) => x * 0.6)) } },
    { id: 'ref:human', ours: { CIDEr: 90 }, details: { family: 'reference', perImage: perImage(same) } },
  ]);
  const claims = audioClaims(new Map([['audio_gap', gap], ['audio_captioning', cap]]), v, 0);
  assert.match(claims[0], /most .*\*\*DiffusionLink\*\*/);
  assert.match(claims[0], /next DiffusionBridge/);
  assert.match(claims[0], /the lead holds/);
  assert.doesNotMatch(claims[1], /ref:human|\*\*ref/);
  assert.match(claims[1], /\*\*Diffusion(Bridge|Link)\*\* 30\.0/);
  assert.match(claims[1], /not resolved/);
  assert.match(claims[2], /human 90\.0/);
  // a bridge that does nothing: its lead over the next is within the interval
  const flat = views({ raw: 1, 'mean-removed': 1.0, bridged: 0.5, 'diffusion-link': 0.5, diffgap: 1.0 });
  const gap2 = table('audio_gap', [gapRow('raw', 0.3), gapRow('mean-removed', 0.5), gapRow('DiffusionBridge', 0.9), gapRow('DiffusionLink', 0.8), gapRow('DiffGAP', 0.5)]);
  assert.match(audioClaims(new Map([['audio_gap', gap2]]), flat, 0)[0], /within the interval of zero/);
});
