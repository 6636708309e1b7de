// The whole main job on a tiny world with a temporary stage cache: every table with its reference
// rows, distinct captions and the gap panel, the summary's sections, a second run served entirely
// from the cache; and a check that each treatment really changes what the decoder receives.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig, type ExperimentConfig } from '../../lib/experiments/config.ts';
import { reproduce } from '../../lib/experiments/run.ts';
import { Pipeline } from '../../lib/experiments/pipeline.ts';
import { TABLE2, TABLE5, isReferenceRun, type CaptionRun } from '../../lib/experiments/tables.ts';
import { loadSplit, loadMeans } from '../../lib/experiments/data.ts';
import { trainTreatmentBase, trainTreatmentEval, trainTreatmentNoise, TRAIN_TREATMENTS } from '../../lib/decoder/treatments.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { toFloat32 } from '../../lib/io/dtype.ts';
import { Rng } from '../../lib/util/rng.ts';
import type { ResultTable } from '../../lib/experiments/report.ts';
import { setupBackend, tmpDir, maxAbsDiff } from '../helpers.ts';

before(async () => { await setupBackend(); });

/** The smoke scale cut down to seconds per stage: a world of a few dozen images, a few steps of everything. */
function tinyConfig(): ExperimentConfig {
  const c = resolveConfig({ scale: 'smoke', seed: 1 });
  return {
    ...c,
    world: { scale: 'smoke', sizes: { pretrain: 48, train: 24, val: 10, test: 10, imageSize: 16 } },
    encoder: { kind: 'world', steps: 3, batchSize: 16 },
    diffusion: { config: 'smoke', steps: 3, batchSize: 16, denoiser: { kind: 'resmlp', width: 32, blocks: 1, timeDim: 16 } },
    decoder: { ...c.decoder, epochs: 1, batchSize: 12, pretrain: { steps: 3, batchSize: 4, seqLen: 16 } },
    decapMemory: 40,
    table1: { maxImages: 10, noiseVariance: 0.016 },
  };
}

const cacheRoot = tmpDir('dbridge-pipeline-cache-');
const outDir = tmpDir('dbridge-pipeline-out-');
const log = () => {};
const read = (name: string) => JSON.parse(readFileSync(join(outDir, `${name}.json`), 'utf8')) as ResultTable;

test('the main job on a tiny world: every table, reference rows, distinct captions, gap panel; a second run is all cache', async () => {
  const cfg = tinyConfig();
  const r = await reproduce({ cfg, backend: 'wasm', outDir, cacheRoot, log });
  for (const t of ['table1', 'table2', 'table3', 'table4', 'table5', 'cost']) for (const ext of ['json', 'csv', 'md']) assert.ok(existsSync(join(outDir, `${t}.${ext}`)), `${t}.${ext}`);
  const stages = new Set(r.pipeline.cache.events.map((e) => e.stage));
  for (const s of ['world', 'encoder', 'embed', 'diffusion', 'augment', 'lm-pretrain', 'decoder', 'bridge', 'oracle-bridge', 'reference', 'captions', 'scores', 'gap-panel']) assert.ok(stages.has(s), `stage ${s} ran`);

  const t2 = read('table2'), t5 = read('table5');
  for (const t of [t2, t5, read('table3'), read('table4')]) {
    assert.ok(t.columns.includes('distinctCaptions'), `${t.table} has a distinct-captions column`);
    for (const row of t.rows) {
      const n = row.ours.distinctCaptions;
      assert.ok(n === null || (Number.isInteger(n) && n >= 1 && n <= 10), `${t.table} ${row.id}: distinct ${n}`);
    }
  }
  for (const t of [t2, t5]) {
    for (const id of ['ref:random-caption', 'ref:frequent-caption', 'ref:nearest-caption', 'ref:human']) {
      const row = t.rows.find((x) => x.id === id);
      assert.ok(row && typeof row.ours.CIDEr === 'number', `${t.table} ${id} scored (the world has held-out captions)`);
    }
    assert.equal(t.rows.find((x) => x.id === 'ref:frequent-caption')!.ours.distinctCaptions, 1);
  }
  assert.ok(t2.rows.some((x) => x.id === 'oracle:posterior-bridge'));
  assert.deepEqual(t5.rows.filter((x) => x.id.startsWith('oracle:')).map((x) => (x.details as { M: number }).M), [200, 400, 600, 800]);
  assert.equal(t2.paperMetricOf?.METEOR_approx, 'METEOR');
  const panel = (read('table1').extra as { gapPanel: { rows: { id: string }[] } }).gapPanel;
  assert.deepEqual(panel.rows.map((x) => x.id), ['raw', 'preprocessed', 'bridged:M=200', 'bridged:M=400', 'bridged:M=600', 'bridged:M=800']);
  assert.match(readFileSync(join(outDir, 'cost.md'), 'utf8'), /ResMLP denoiser \(width 32, 1 blocks/);
  const summary = readFileSync(join(outDir, 'summary.md'), 'utf8');
  for (const s of ['## What holds here', '## Decoder health', '#### Gap panel', 'Holm', 'ref:nearest-caption']) assert.ok(summary.includes(s), `summary mentions ${s}`);

  const again = await reproduce({ cfg, backend: 'wasm', outDir, cacheRoot, log });
  assert.equal(again.pipeline.cache.events.filter((e) => !e.cached).length, 0, 'a second run computes nothing');
});

test('each treatment changes what the decoder receives (same tiny world, from the cache)', async () => {
  const cfg = tinyConfig();
  const p = new Pipeline(cfg, cacheRoot, log);
  const main = cfg.domains.main;
  // test time: raw, mean-removed, DeCap, bridged and oracle-bridged inputs all differ; M = 0 is the mean-removed image
  const runs = TABLE2.runs.filter((r): r is CaptionRun => !isReferenceRun(r));
  const inputs = new Map<string, Float32Array>();
  for (const run of runs) inputs.set(`${run.test}:${run.train}`, (await p.testInputs(main, main, run)).inputs);
  const keys = [...new Set(runs.map((r) => r.test))];
  const byTest = (t: string) => inputs.get([...inputs.keys()].find((k) => k.startsWith(t + ':'))!)!;
  for (let i = 0; i < keys.length; i++) for (let j = i + 1; j < keys.length; j++) {
    assert.ok(maxAbsDiff(byTest(keys[i]), byTest(keys[j])) > 1e-3, `test treatments ${keys[i]} and ${keys[j]} give the decoder the same inputs`);
  }
  const m0 = TABLE5.runs.find((r) => r.row === 'M=0') as CaptionRun;
  const m600 = TABLE5.runs.find((r) => r.row === 'M=600') as CaptionRun;
  assert.ok(maxAbsDiff((await p.testInputs(main, main, m0)).inputs, byTest('mean-removed')) < 1e-5, 'M = 0 is the mean-removed image');
  assert.ok(maxAbsDiff((await p.testInputs(main, main, m600)).inputs, (await p.testInputs(main, main, m0)).inputs) > 1e-3, 'bridging from M = 600 changes the input');

  // training: what each treatment feeds the decoder for the same captions
  const emb = await p.embeddings(main);
  const train = loadSplit(emb.output.dir, 'train');
  const means = loadMeans(emb.output.dir);
  const d = train.d, n = 8;
  const text = train.text.subarray(0, n * d);
  const aug = toFloat32(readNpy((await p.augmented(main)).output.file)).subarray(0, n * d);
  const fed = new Map(TRAIN_TREATMENTS.map((t) => {
    const src = t === 'augmented' ? aug : text;
    return [t, trainTreatmentNoise(t, trainTreatmentBase(t, src, d, { textMean: means.text }), d, new Rng(1), {})] as const;
  }));
  for (let i = 0; i < TRAIN_TREATMENTS.length; i++) for (let j = i + 1; j < TRAIN_TREATMENTS.length; j++) {
    const a = TRAIN_TREATMENTS[i], b = TRAIN_TREATMENTS[j];
    assert.ok(maxAbsDiff(fed.get(a)!, fed.get(b)!) > 1e-3, `training treatments ${a} and ${b} feed the same inputs`);
  }
  // noise is drawn afresh: two epochs of capdec/c3 differ; plain and augmented do not
  for (const t of ['capdec', 'c3'] as const) {
    const base = trainTreatmentBase(t, text, d, { textMean: means.text });
    assert.ok(maxAbsDiff(trainTreatmentNoise(t, base, d, new Rng(1), {}), trainTreatmentNoise(t, base, d, new Rng(2), {})) > 1e-3, `${t} noise`);
  }
  // the augmented decoder validates on mean-removed text (its own input space), as Plain does
  assert.equal(maxAbsDiff(trainTreatmentEval('augmented', text, d, { textMean: means.text }), trainTreatmentEval('plain', text, d, { textMean: means.text })), 0);
});
