// End-to-end check of the webgpu backend (issue 13, "Done when"): the main job (`dbridge reproduce`
// on the built-in world) at smoke scale, run from empty stage caches once on wasm and once on
// webgpu, each in its own process, and its tables compared: Table 1's mean cosines (and its
// per-pair samples), Table 2's captioning metrics, distinct-caption counts and the captions
// themselves image by image. Training (world encoder, diffusion model, LM pre-training, decoders),
// bridging, augmentation and captioning all run on the backend under test. Prints each compared
// quantity's largest difference beside its tolerance and PASS/FAIL; writes the comparison as JSON
// (default results/bench/gpu-e2e.json); exits 1 on a failure or when a run fails (no adapter too).
//
// On a machine without a GPU, give Dawn lavapipe's adapter first (slow: a CPU emulating a GPU):
//   bash .ci/lavapipe.sh nice -n 10 node --import tsx tools/gpu/e2e.ts
// Options: --tables table1,table2 (default), --work DIR (runs and caches; default .cache/gpu-e2e),
// --reuse (compare the runs already in --work instead of running again), --only wasm|webgpu (run
// that backend again, reuse the other's run), --out FILE.
//
// Tolerances (TOL): both runs do the same arithmetic in float32 but sum in different orders, so
// weights drift apart by ~1e-6 relative per optimiser step (test/webgpu) and then compound over the
// encoder's 60, the diffusion model's 100 and each decoder's 50 steps. A mean cosine may move in its
// third decimal (the precision Table 1 prints), a per-pair cosine by 1e-2; greedy captions of a
// decoder are discrete, so a near-tie may flip a word: at least 90% of the images must get the same
// caption in every row, the metrics (0-100) may differ by 1 point, distinct-caption counts by 1.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, provenance } from '../../lib/util/provenance.ts';
import { writeJsonAtomic } from '../../lib/util/fs.ts';

export const TOL = {
  table1Mean: 2e-3,
  table1Pair: 1e-2,
  metric: 1.0,
  distinct: 1,
  sameCaptions: 0.9,
} as const;

const BACKENDS = ['wasm', 'webgpu'] as const;
type Backend = (typeof BACKENDS)[number];

interface Row { id: string; ours: Record<string, number | null>; details?: { captions?: string } }
interface Table { backend: string; provenance: { device?: string; commit?: string; dirty?: boolean }; rows: Row[]; extra?: { samples?: Record<string, number[]>; details?: Record<string, unknown> } }

/** One compared quantity: its largest difference, where, and whether it is within tolerance. */
interface Check { what: string; maxDiff: number; at: string; tolerance: number; pass: boolean; note?: string }

function runReproduce(backend: Backend, work: string, tables: string): Promise<{ seconds: number; log: string }> {
  const dir = join(work, backend);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'run.log');
  const fd = openSync(log, 'w');
  const args = ['--import', 'tsx', join(REPO_ROOT, 'lib/cli/main.ts'), 'reproduce', '--dataset', 'world', '--scale', 'smoke',
    '--tables', tables, '--out', join(dir, 'out'), '--cache', join(dir, 'cache'), '--backend', backend];
  console.error(`e2e: ${backend}: dbridge reproduce --scale smoke --tables ${tables} (empty cache; log ${log})`);
  const t0 = Date.now();
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', fd, fd], env: { ...process.env, DBRIDGE_QUIET: '1' } });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      closeSync(fd);
      const seconds = (Date.now() - t0) / 1000;
      if (code === 0) {
        console.error(`e2e: ${backend}: done in ${seconds.toFixed(0)} s`);
        writeFileSync(join(dir, 'seconds.json'), JSON.stringify({ seconds, load: loadavg() }) + '\n');
        ok({ seconds, log });
        return;
      }
      const tail = readFileSync(log, 'utf8').split('\n').slice(-15).join('\n');
      fail(new Error(`the ${backend} run failed (${code === null ? `killed by ${signal}` : `exit ${code}`}); the end of ${log}:\n${tail}`));
    });
  });
}

function readTable(work: string, backend: Backend, id: string): Table {
  const path = join(work, backend, 'out', `${id}.json`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run without --reuse`);
  const t = JSON.parse(readFileSync(path, 'utf8')) as Table;
  if (t.backend !== backend) throw new Error(`${path} was computed on ${t.backend}, not ${backend}`);
  return t;
}

/** Largest |a - b| over paired numbers, with the label of where it is. */
function maxDiff(pairs: [string, number, number][]): { d: number; at: string } {
  let best = { d: 0, at: '-' };
  for (const [at, a, b] of pairs) {
    const d = Math.abs(a - b);
    if (!(d <= best.d)) best = { d, at };
  }
  return best;
}

function check(what: string, pairs: [string, number, number][], tolerance: number, note?: string): Check {
  const { d, at } = maxDiff(pairs);
  return { what, maxDiff: d, at, tolerance, pass: d <= tolerance, ...(note ? { note } : {}) };
}

function compareTable1(a: Table, b: Table): Check[] {
  const means: [string, number, number][] = [];
  const rowsB = new Map(b.rows.map((r) => [r.id, r]));
  for (const r of a.rows) {
    for (const [col, v] of Object.entries(r.ours)) {
      const w = rowsB.get(r.id)?.ours[col];
      if (typeof v === 'number' && typeof w === 'number') means.push([`row (${r.id}) ${col}`, v, w]);
      else if (v !== w) means.push([`row (${r.id}) ${col}: ${v} vs ${w}`, 0, Infinity]);
    }
  }
  const pairs: [string, number, number][] = [];
  for (const [row, xs] of Object.entries(a.extra?.samples ?? {})) {
    const ys = b.extra?.samples?.[row] ?? [];
    if (ys.length !== xs.length) { pairs.push([`row (${row}): ${xs.length} vs ${ys.length} samples`, 0, Infinity]); continue; }
    xs.forEach((x, i) => pairs.push([`row (${row}) pair ${i}`, x, ys[i]]));
  }
  return [
    check('Table 1 mean cosines', means, TOL.table1Mean),
    check('Table 1 per-pair cosines (samples, 4 decimals)', pairs, TOL.table1Pair),
  ];
}

function loadCaptions(path: string | undefined): Map<number, string> {
  if (!path || !existsSync(path)) return new Map();
  const xs = JSON.parse(readFileSync(path, 'utf8')) as { image_id: number; caption: string }[];
  return new Map(xs.map((x) => [x.image_id, x.caption.toLowerCase()]));
}

function compareTable2(a: Table, b: Table): { checks: Check[]; captions: { row: string; same: number; images: number; differing: { image: number; wasm: string; webgpu: string }[] }[] } {
  const metrics: [string, number, number][] = [];
  const distinct: [string, number, number][] = [];
  const captions: { row: string; same: number; images: number; differing: { image: number; wasm: string; webgpu: string }[] }[] = [];
  const rowsB = new Map(b.rows.map((r) => [r.id, r]));
  for (const r of a.rows) {
    const s = rowsB.get(r.id);
    if (!s) { metrics.push([`row ${r.id} missing on webgpu`, 0, Infinity]); continue; }
    for (const [col, v] of Object.entries(r.ours)) {
      const w = s.ours[col];
      const into = col === 'distinctCaptions' ? distinct : metrics;
      if (typeof v === 'number' && typeof w === 'number') into.push([`${r.id} ${col}`, v, w]);
      else if (v !== w) into.push([`${r.id} ${col}: ${v} vs ${w}`, 0, Infinity]);
    }
    const ca = loadCaptions(r.details?.captions), cb = loadCaptions(s.details?.captions);
    if (ca.size === 0) continue;
    const differing: { image: number; wasm: string; webgpu: string }[] = [];
    for (const [id, c] of ca) if (cb.get(id) !== c) differing.push({ image: id, wasm: c, webgpu: cb.get(id) ?? '(missing)' });
    captions.push({ row: r.id, same: ca.size - differing.length, images: ca.size, differing });
  }
  const worst = captions.reduce((m, c) => (c.same / c.images < m.frac ? { frac: c.same / c.images, row: c.row } : m), { frac: 1, row: '-' });
  return {
    checks: [
      check('Table 2 metrics (0-100)', metrics, TOL.metric),
      check('Table 2 distinct captions', distinct, TOL.distinct),
      { what: 'Table 2 captions identical (fraction of images, worst row)', maxDiff: 1 - worst.frac, at: worst.row, tolerance: +(1 - TOL.sameCaptions).toFixed(6), pass: worst.frac >= TOL.sameCaptions },
    ],
    captions,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    tables: { type: 'string', default: 'table1,table2' },
    work: { type: 'string', default: join(REPO_ROOT, '.cache', 'gpu-e2e') },
    reuse: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: join(REPO_ROOT, 'results', 'bench', 'gpu-e2e.json') },
  } });
  const tables = values.tables!.split(',');
  const bad = tables.filter((t) => t !== 'table1' && t !== 'table2');
  if (bad.length) { console.error(`e2e: --tables compares table1 and table2 only, not ${bad.join(', ')}`); process.exit(2); }
  if (values.only !== undefined && !(BACKENDS as readonly string[]).includes(values.only)) { console.error(`e2e: --only takes wasm or webgpu, not ${values.only}`); process.exit(2); }
  const work = resolve(values.work!);
  const reused = values.reuse ? BACKENDS : BACKENDS.filter((b) => values.only !== undefined && b !== values.only);
  for (const b of BACKENDS) if (!reused.includes(b)) await runReproduce(b, work, values.tables!);
  // wall time and load average (1, 5, 15 min) at the end of each run
  const timing = Object.fromEntries(BACKENDS.map((b) => {
    const f = join(work, b, 'seconds.json');
    return [b, existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) as { seconds: number; load: number[] } : null];
  }));

  const checks: Check[] = [];
  let captionRows: ReturnType<typeof compareTable2>['captions'] = [];
  let adapter: string | undefined;
  const runs: Partial<Record<Backend, unknown>> = {};
  for (const id of tables) {
    const [a, b] = [readTable(work, 'wasm', id), readTable(work, 'webgpu', id)];
    adapter ??= b.provenance.device;
    runs.wasm ??= a.provenance; runs.webgpu ??= b.provenance;
    if (id === 'table1') checks.push(...compareTable1(a, b));
    else { const r = compareTable2(a, b); checks.push(...r.checks); captionRows = r.captions; }
  }
  const pass = checks.every((c) => c.pass);
  console.log(`e2e: main job at smoke scale, wasm vs webgpu${adapter ? ` (${adapter})` : ''}`);
  console.log('| compared | max difference | where | tolerance | |');
  console.log('|---|---|---|---|---|');
  for (const c of checks) console.log(`| ${c.what} | ${c.maxDiff.toPrecision(3)} | ${c.at} | ${c.tolerance} | ${c.pass ? 'pass' : 'FAIL'} |`);
  for (const c of captionRows) for (const d of c.differing.slice(0, 3)) console.log(`  ${c.row} image ${d.image}: wasm "${d.wasm}" / webgpu "${d.webgpu}"`);
  console.log(pass ? 'e2e: PASS' : 'e2e: FAIL');
  const outDir = resolve(values.out!, '..');
  mkdirSync(outDir, { recursive: true });
  writeJsonAtomic(values.out!, {
    what: 'dbridge reproduce --dataset world --scale smoke on wasm and on webgpu from empty caches, tables compared (tools/gpu/e2e.ts)',
    tables, adapter: adapter ?? null, timing, runs, tolerances: TOL, pass, checks,
    captions: captionRows.map((c) => ({ row: c.row, same: c.same, images: c.images, differing: c.differing })),
    provenance: { ...provenance('wasm+webgpu'), ...(adapter ? { device: adapter } : {}) },
  });
  console.error(`e2e: written ${values.out}`);
  if (!pass) process.exit(1);
}

main().catch((e) => { console.error(`e2e: ${(e as Error).message}`); process.exit(1); });
