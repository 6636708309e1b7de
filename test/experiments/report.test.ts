import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { StageCache } from '../../lib/experiments/cache.ts';
import { paperRow, paperCosine } from '../../lib/experiments/reported.ts';
import { TABLE2, TABLE3, TABLE4, TABLE5 } from '../../lib/experiments/tables.ts';
import { writeResultTable, tableToCsv, type ResultTable } from '../../lib/experiments/report.ts';
import { provenance } from '../../lib/util/provenance.ts';
import { tmpDir } from '../helpers.ts';

test('stage cache runs once, reuses, and re-runs when config or an input changes', async () => {
  const cache = new StageCache(tmpDir(), () => {});
  let runs = 0;
  const fn = async () => { runs++; return { v: runs }; };
  const a = await cache.run('s', { x: 1 }, [], fn);
  const b = await cache.run('s', { x: 1 }, [], fn);
  assert.equal(runs, 1);
  assert.equal(b.cached, true);
  assert.deepEqual(b.output, { v: 1 });
  const c = await cache.run('s', { x: 2 }, [], fn);
  assert.equal(runs, 2);
  assert.notEqual(c.key, a.key);
  const d1 = await cache.run('t', {}, [a], fn);
  const d2 = await cache.run('t', {}, [c], fn);
  assert.notEqual(d1.key, d2.key);
  // an interrupted stage (no done.json) runs again
  cache.invalidate(a);
  await cache.run('s', { x: 1 }, [], fn);
  assert.equal(runs, 5);
});

test("every declared row that names a paper row finds the paper's numbers", () => {
  for (const t of [TABLE2, TABLE4, TABLE5]) {
    for (const r of t.runs) {
      if (!r.paper) continue;
      const p = paperRow(t.reported.coco, r.paper);
      assert.ok(p, `${t.id} ${r.row} -> ${r.paper}`);
    }
  }
  assert.equal(paperRow('table2a_mscoco', 'DiffusionBridge')?.CIDEr, 96.4);
  assert.equal(paperRow('table2a_mscoco', 'table4_ablation_mscoco.plain_embed')?.CIDEr, 25.2);
  assert.equal(paperRow('table5_M_sweep_mscoco', '600')?.Bleu_1, 70.2);
  assert.equal(paperRow('table3_cross_domain', 'DiffusionBridge', 'flickr30k_to_coco')?.CIDEr, 47.1);
  assert.equal(paperRow('table3_cross_domain', 'C3', 'coco_to_flickr30k'), null);
  assert.equal(paperCosine('d_text_vs_bridged_image')?.embedding, 0.606);
  assert.ok(TABLE3.crossDomain);
});

test('result files: json, csv and markdown with ours beside the paper', () => {
  const dir = tmpDir();
  const t: ResultTable = {
    table: 'table4', title: 'T4', dataset: 'world', scale: 'smoke', variant: 'official', seed: 0, backend: 'wasm',
    provenance: provenance('wasm'), columns: ['Bleu_1', 'SPICE'], rows: [
      { id: 'plain', label: 'Plain, "x"', ours: { Bleu_1: 12.345, SPICE: null }, paper: { Bleu_1: 44.4, SPICE: 9.2 } },
    ], notes: ['SPICE unavailable'], config: { a: 1 },
  };
  writeResultTable(dir, t);
  const j = JSON.parse(readFileSync(join(dir, 'table4.json'), 'utf8'));
  assert.equal(j.rows[0].id, 'plain');
  assert.equal(j.provenance.package, 'dbridge');
  assert.match(readFileSync(join(dir, 'table4.md'), 'utf8'), /12\.3 \(44\.4\) \| – \(9\.2\)/);
  assert.equal(tableToCsv(t).split('\n')[1], 'plain,"Plain, ""x""",12.345,,44.4,9.2');
  assert.ok(existsSync(join(dir, 'table4.csv')));
});

test('a stage locked by another live process is waited for, and a dead holder\'s lock is taken over', async () => {
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const root = tmpDir();
  const cache = new StageCache(root, () => {});
  let runs = 0;
  const fn = async () => { runs++; return { v: 1 }; };
  // find the stage folder name by running once elsewhere with the same root layout
  const probe = await new StageCache(tmpDir(), () => {}).run('s', { x: 1 }, [], fn);
  const dir = join(root, probe.key);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.lock'), String(process.ppid)); // a live process that is not us
  setTimeout(() => writeFileSync(join(dir, 'done.json'), JSON.stringify({ output: { v: 42 }, seconds: 1 })), 300);
  const r = await cache.run('s', { x: 1 }, [], fn);
  assert.equal(r.cached, true);
  assert.deepEqual(r.output, { v: 42 });
  assert.equal(runs, 1); // only the probe ran
  // a lock held by a dead pid is taken over
  const dir2 = join(root, (await new StageCache(tmpDir(), () => {}).run('s', { x: 2 }, [], fn)).key);
  mkdirSync(dir2, { recursive: true });
  writeFileSync(join(dir2, '.lock'), '999999999');
  const r2 = await cache.run('s', { x: 2 }, [], fn);
  assert.equal(r2.cached, false);
  assert.equal(existsSync(join(dir2, '.lock')), false);
});

test('paired bootstrap: a constant shift is certain, noise around zero is not', async () => {
  const { pairedBootstrap } = await import('../../lib/experiments/bootstrap.ts');
  const a = new Map<number, number>(), b = new Map<number, number>(), c = new Map<number, number>();
  for (let i = 0; i < 200; i++) { a.set(i, i % 7); b.set(i, (i % 7) + 2); c.set(i, (i % 7) + (i % 2 ? 1 : -1)); }
  const s = pairedBootstrap(a, b);
  assert.equal(s.diff, 2);
  assert.equal(s.lo, 2);
  assert.equal(s.pPositive, 1);
  const n = pairedBootstrap(a, c);
  assert.ok(n.lo < 0 && n.hi > 0, `${n.lo} .. ${n.hi}`);
});
