// The summary's claims judged on synthetic tables whose per-image scores are made by hand: a claim
// that holds, one that does not, one that is not resolved, and an M sweep whose best M passes at
// 95% alone but not once the choice among four values of M is corrected for (Holm / Bonferroni).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../lib/util/fs.ts';
import { claims, collapsedRows, decoderHealth, verdictOf } from '../../lib/experiments/claims.ts';
import { holm, pairedBootstrap } from '../../lib/experiments/bootstrap.ts';
import type { ResultTable, ResultRow } from '../../lib/experiments/report.ts';
import { provenance } from '../../lib/util/provenance.ts';
import { Rng } from '../../lib/util/rng.ts';
import { tmpDir } from '../helpers.ts';

const N = 400;
/**
 * Per-image CIDEr (x100) = base_i + shift + spread * s_i. s_i = +-1 alternating (mean exactly 0) for
 * the M sweep, else a row's own standard normals (so two rows' differences are noisy).
 */
function perImage(dir: string, name: string, shift: number, spread: number, alternating: boolean): string {
  const file = join(dir, `${name}.json`);
  const rng = new Rng([...name].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0, 7));
  writeJsonAtomic(file, Array.from({ length: N }, (_, i) => ({ image_id: i, scores: { CIDEr: (50 + (i % 17) + shift + spread * (alternating ? (i % 2 ? 1 : -1) : rng.normal())) / 100 } })));
  return file;
}

function table(id: string, rows: { id: string; shift: number; cider?: number; distinct?: number }[], dir: string): ResultTable {
  const base = (r: { id: string }) => r.id === 'M=0';
  const rs: ResultRow[] = rows.map((r) => ({
    id: r.id, label: r.id, ours: { CIDEr: r.cider ?? 50 + r.shift, distinctCaptions: r.distinct ?? 100 }, paper: null,
    details: { perImage: perImage(dir, `${id}-${r.id.replace(/[^a-zA-Z0-9=]/g, '_')}`, r.shift, base(r) ? 0 : 10, id === 'table5') },
  }));
  return { table: id, title: id, dataset: 'world', scale: 'smoke', variant: 'official', seed: 0, backend: 'wasm', provenance: provenance('wasm'), columns: ['CIDEr'], rows: rs, notes: [], config: {} };
}

const byId = (cs: ReturnType<typeof claims>, id: string) => cs.find((c) => c.id === id)!;

test('claims: holds, does not hold and not resolved, from per-image scores', () => {
  const dir = tmpDir();
  const tables = new Map<string, ResultTable>();
  // ablation: bridging +5 over plain (holds), augmentation +5 over bridging -> holds
  tables.set('table4', table('table4', [{ id: 'plain', shift: 0 }, { id: 'bridging', shift: 5 }, { id: 'augmentation', shift: 10 }], dir));
  // Table 2: Diffusion Bridge 5 below DeCap -> does not hold
  tables.set('table2', table('table2', [{ id: 'Plain', shift: 0 }, { id: 'CapDec', shift: 1 }, { id: 'C3', shift: 1 }, { id: 'DeCap', shift: 8 }, { id: 'DiffusionBridge', shift: 3 }], dir));
  // Table 3: within noise (0.3 with spread 10 over 400 images) -> not resolved
  tables.set('table3', table('table3', [{ id: 'a_to_b:DeCap', shift: 0 }, { id: 'a_to_b:DiffusionBridge', shift: 0.3 }], dir));
  const cs = claims(tables, 0);
  assert.equal(byId(cs, 'table4:bridging').verdict, 'holds');
  assert.equal(byId(cs, 'table4:augmentation').verdict, 'holds');
  assert.equal(byId(cs, 'table2').verdict, 'does not hold');
  assert.match(byId(cs, 'table2').text, /vs DeCap -\d\.\d CIDEr/);
  assert.equal(byId(cs, 'table3').verdict, 'not resolved');
  assert.equal(verdictOf([]), 'not measured');
  // a row without per-image scores cannot be judged
  const t = table('table4', [{ id: 'plain', shift: 0 }, { id: 'bridging', shift: 5 }, { id: 'augmentation', shift: 10 }], dir);
  delete t.rows[2].details;
  assert.equal(byId(claims(new Map([['table4', t]]), 0), 'table4:augmentation').verdict, 'not measured');
  assert.equal(byId(claims(new Map([['table4', t]]), 0), 'table4:bridging').verdict, 'holds');
});

test('M sweep: a best M that passes at 95% alone is not resolved once the choice among four values of M is corrected for', () => {
  const dir = tmpDir();
  // each M > 0 about +1.1 over M = 0 with spread 10 over 400 images: z ~ 2.2, p ~ 0.03 each
  const rows = [{ id: 'M=0', shift: 0 }, { id: 'M=200', shift: 1.1 }, { id: 'M=400', shift: 1.0 }, { id: 'M=600', shift: 0.9 }, { id: 'M=800', shift: 0.8 }, { id: 'ref:random-caption', shift: -30 }];
  const t5 = table('table5', rows, dir);
  const single = pairedBootstrap(new Map([...Array(N).keys()].map((i) => [i, 0])), new Map([...Array(N).keys()].map((i) => [i, 1.1 + 10 * (i % 2 ? 1 : -1)])));
  assert.ok(single.lo > 0 && single.p < 0.05, `uncorrected: ${single.lo}, p ${single.p}`);
  const c = byId(claims(new Map([['table5', t5]]), 0), 'table5');
  assert.equal(c.verdict, 'not resolved');
  assert.match(c.text, /best M = 200 \(outside/);
  assert.match(c.text, /98\.75% CI/);
  assert.match(c.text, /Holm-adjusted p = 0\.\d+/);
  // a large gain survives the correction
  const t5b = table('table5', [{ id: 'M=0', shift: 0 }, { id: 'M=200', shift: 1 }, { id: 'M=400', shift: 4 }, { id: 'M=600', shift: 6 }, { id: 'M=800', shift: 2 }], dir);
  const c2 = byId(claims(new Map([['table5', t5b]]), 0), 'table5');
  assert.equal(c2.verdict, 'holds');
  assert.match(c2.text, /best M = 600 \(inside/);
  // Holm by hand
  assert.deepEqual(holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5]);
});

test('collapsed decoders: fewer than half of Plain\'s distinct captions are flagged; reference rows are not', () => {
  const dir = tmpDir();
  const t2 = table('table2', [{ id: 'Plain', shift: 0, distinct: 300 }, { id: 'CapDec', shift: 0, distinct: 120 }, { id: 'C3', shift: 0, distinct: 200 }, { id: 'ref:frequent-caption', shift: 0, distinct: 1 }], dir);
  const t2b = table('table2b', [{ id: 'Plain', shift: 0, distinct: 300 }, { id: 'DiffusionBridge', shift: 0, distinct: 100 }], dir);
  const tables = new Map([['table2', t2], ['table2b', t2b]]);
  assert.deepEqual(collapsedRows(tables).map((r) => [r.row, r.distinct, r.noiseTrained]), [['CapDec', 120, true], ['DiffusionBridge', 100, false]]);
  const lines = decoderHealth(tables);
  assert.match(lines[0], /Collapsed noise-trained decoders .*table2 CapDec 120 vs Plain's 300/);
  assert.match(lines[1], /Other rows .*table2b DiffusionBridge 100/);
  assert.match(decoderHealth(new Map())[0], /No noise-trained decoder/);
  // the audio table's CapDec row is called NoiseInjection: noise-trained too
  const ta = table('audio_captioning', [{ id: 'Plain', shift: 0, distinct: 207 }, { id: 'NoiseInjection', shift: 0, distinct: 30 }], dir);
  assert.deepEqual(collapsedRows(new Map([['audio_captioning', ta]])).map((r) => [r.row, r.noiseTrained]), [['NoiseInjection', true]]);
});

test('Table 1 d > a: judged by the per-image interval of d - a, not by the bare means', () => {
  const t1 = (a: number, d: number, interval: { diff: number; lo: number; hi: number } | null): Map<string, ResultTable> => {
    const paper: Record<string, number> = { a: 0.306, d: 0.606 };
    const rows: ResultRow[] = [['a', a], ['c', 0.6], ['d', d], ['e', 0], ['f', 0]].map(([id, v]) => ({ id: id as string, label: id as string, ours: { embedding: v as number }, paper: id as string in paper ? { embedding: paper[id as string] } : null }));
    const details = interval ? { dMinusA: { ...interval, level: 0.95, pPositive: 0.5, p: 0.5, images: 500 } } : {};
    return new Map([['table1', { table: 'table1', title: 't1', dataset: 'world', scale: 'smoke', variant: 'official', seed: 0, backend: 'wasm', provenance: provenance('wasm'), columns: ['embedding'], rows, notes: [], config: {}, extra: { details } }]]);
  };
  const v = (m: Map<string, ResultTable>) => byId(claims(m, 0), 'table1:d>a');
  // d above a by a hair, interval across zero: not resolved (the bare means said "holds")
  assert.equal(v(t1(0.481, 0.482, { diff: 0.001, lo: -0.002, hi: 0.004 })).verdict, 'not resolved');
  assert.equal(v(t1(0.3, 0.6, { diff: 0.3, lo: 0.28, hi: 0.32 })).verdict, 'holds');
  assert.match(v(t1(0.3, 0.6, { diff: 0.3, lo: 0.28, hi: 0.32 })).text, /d - a = \+0\.300, 95% CI \[\+0\.280, \+0\.320\] over 500 images; the paper: \+0\.300/);
  assert.equal(v(t1(0.5, 0.4, { diff: -0.1, lo: -0.12, hi: -0.08 })).verdict, 'does not hold');
  // a table written before the interval was recorded cannot be judged
  assert.equal(v(t1(0.3, 0.6, null)).verdict, 'not resolved');
  assert.match(v(t1(0.3, 0.6, null)).text, /no interval recorded/);
});
