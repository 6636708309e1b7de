// Which of the paper's claims hold on a run, judged from its own result tables: each CIDEr
// comparison is a paired bootstrap over the test images (bootstrap.ts). A claim "holds" when every
// comparison it needs is positive with its interval above zero, "does not hold" when one is
// negative with its interval below zero, and is "not resolved" otherwise. Claims over several
// baselines (Tables 2, 3) need every comparison to pass, each at 95% (an intersection-union test:
// no correction needed). The M-sweep claim picks the best M among several, so its comparison with
// M = 0 is Holm-corrected over all M > 0 and its interval is Bonferroni-widened (level 1 - 0.05/m).
// Also a health check: a decoder that writes fewer than half of Plain's distinct captions is
// flagged as collapsed (a defect of the run, not a finding about the method).
import type { ResultTable, ResultRow } from './report.ts';
import { pairedBootstrap, perImageMetric, holm, type PairedDiff } from './bootstrap.ts';

export type Verdict = 'holds' | 'does not hold' | 'not resolved' | 'not measured';

export interface Claim {
  id: string;
  verdict: Verdict;
  text: string;
}

const ALPHA = 0.05;

function perImage(r: ResultRow | undefined): string | null {
  return (r?.details?.perImage as string | undefined) ?? null;
}

/** CIDEr difference (b - a) of two rows of a table, paired bootstrap over test images. */
export function ciderDiff(t: ResultTable, a: string, b: string, seed: number, level = 0.95): PairedDiff | null {
  const fa = perImage(t.rows.find((r) => r.id === a)), fb = perImage(t.rows.find((r) => r.id === b));
  if (!fa || !fb) return null;
  return pairedBootstrap(perImageMetric(fa, 'CIDEr'), perImageMetric(fb, 'CIDEr'), seed, 2000, level);
}

const signed = (v: number, digits = 3) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

/** "+7.2 CIDEr, 95% CI [3.4, 11.1] over 500 images"; cosines: `{ digits: 3, unit: '' }`, every bound signed. */
export function describeDiff(d: PairedDiff | null, f: { digits: number; unit: string } = { digits: 1, unit: ' CIDEr' }): string {
  if (!d) return '–';
  const pct = +(d.level * 100).toFixed(2);
  const b = (v: number) => (f.unit ? v.toFixed(f.digits) : signed(v, f.digits));
  return `${signed(d.diff, f.digits)}${f.unit}, ${pct}% CI [${b(d.lo)}, ${b(d.hi)}] over ${d.images} images`;
}

/** All comparisons positive (interval above 0) -> holds; one clearly negative -> does not hold. */
export function verdictOf(ds: (PairedDiff | null)[]): Verdict {
  if (ds.length === 0 || ds.some((d) => !d)) return 'not measured';
  if (ds.every((d) => d!.lo > 0)) return 'holds';
  if (ds.some((d) => d!.hi < 0)) return 'does not hold';
  return 'not resolved';
}

const VERDICT_TEXT: Record<Verdict, string> = {
  holds: 'holds', 'does not hold': 'does not hold', 'not resolved': 'not resolved (a difference is within the bootstrap interval of zero)', 'not measured': 'not measured',
};

/** "; the paper: +x" from the table's own paper column (b - a), or nothing when the paper lacks either row. */
function paperSays(t: ResultTable, a: string, b: string, column: string, digits: number): string {
  const pa = t.rows.find((r) => r.id === a)?.paper?.[column], pb = t.rows.find((r) => r.id === b)?.paper?.[column];
  return typeof pa === 'number' && typeof pb === 'number' ? `; the paper: ${signed(pb - pa, digits)}` : '';
}

const cider = (r: ResultRow) => r.ours.CIDEr ?? -Infinity;

export function claims(tables: Map<string, ResultTable>, seed = 0): Claim[] {
  const out: Claim[] = [];
  const add = (id: string, verdict: Verdict, what: string, detail: string) => out.push({ id, verdict, text: `${what}: ${VERDICT_TEXT[verdict]} here (${detail}).` });

  const t1 = tables.get('table1');
  if (t1) {
    const v = (id: string) => t1.rows.find((r) => r.id === id)?.ours.embedding ?? NaN;
    const [a, c, d, e, f] = ['a', 'c', 'd', 'e', 'f'].map(v);
    const dMinusA = (t1.extra?.details as { dMinusA?: PairedDiff } | undefined)?.dMinusA;
    const dv: Verdict = !Number.isFinite(a + d) ? 'not measured' : dMinusA ? verdictOf([dMinusA]) : 'not resolved';
    const interval = dMinusA ? `d - a = ${describeDiff(dMinusA, { digits: 3, unit: '' })}${paperSays(t1, 'a', 'd', 'embedding', 3)}` : 'no interval recorded with this table';
    add('table1:d>a', dv, 'Bridging raises the paired text-image cosine (Table 1, d > a)',
      `a = ${a.toFixed(3)}, d = ${d.toFixed(3)}, ${interval}; paired text-text c = ${c.toFixed(3)}`);
    add('table1:f~e', Number.isFinite(e + f) ? (Math.abs(f - e) <= 0.1 ? 'holds' : 'does not hold') : 'not measured', 'Bridged images stay unlike unrelated captions (Table 1, f within 0.1 of e)',
      `e = ${e.toFixed(3)}, f = ${f.toFixed(3)}`);
  }

  const t4 = tables.get('table4');
  if (t4) {
    const s1 = ciderDiff(t4, 'plain', 'bridging', seed), s2 = ciderDiff(t4, 'bridging', 'augmentation', seed);
    add('table4:bridging', verdictOf([s1]), 'Ablation (Table 4): bridging improves on plain', `bridging vs plain ${describeDiff(s1)}${paperSays(t4, 'plain', 'bridging', 'CIDEr', 1)}`);
    add('table4:augmentation', verdictOf([s2]), 'Ablation (Table 4): the diffusion-augmented decoder improves on bridging alone', `augmentation vs bridging ${describeDiff(s2)}${paperSays(t4, 'bridging', 'augmentation', 'CIDEr', 1)}`);
  }

  const t5 = tables.get('table5');
  if (t5) {
    const sweep = t5.rows.filter((r) => /^M=\d+$/.test(r.id)).map((r) => ({ id: r.id, M: Number(r.id.slice(2)), c: cider(r) }));
    const others = sweep.filter((v) => v.M > 0);
    if (!sweep.some((v) => v.M === 0) || others.length === 0) add('table5', 'not measured', 'M sweep (Table 5)', 'no M = 0 row or no bridged rows');
    else {
      const m = others.length;
      const diffs = others.map((v) => ciderDiff(t5, 'M=0', v.id, seed));
      const adjusted = diffs.every((d) => d) ? holm(diffs.map((d) => d!.p)) : null;
      const bestK = others.reduce((b, v, k) => (v.c > others[b].c ? k : b), 0);
      const best = others[bestK];
      const wide = ciderDiff(t5, 'M=0', best.id, seed, 1 - ALPHA / m);
      let verdict: Verdict;
      if (!adjusted || !wide) verdict = 'not measured';
      else if (adjusted[bestK] < ALPHA && wide.lo > 0) verdict = 'holds';
      else if (wide.hi < 0) verdict = 'does not hold';
      else verdict = 'not resolved';
      const peak = best.M === 400 || best.M === 600 ? 'inside' : 'outside';
      add('table5', verdict, 'M sweep (Table 5): bridging at the best M beats no bridging (M = 0); the paper peaks at M = 400-600',
        `${sweep.map((v) => `M=${v.M}: ${v.c.toFixed(1)}`).join(', ')}; best M = ${best.M} (${peak} the paper's 400-600) vs M = 0: ${describeDiff(wide)} ` +
        `(Bonferroni-widened over ${m} values of M), Holm-adjusted p = ${adjusted ? adjusted[bestK].toFixed(4) : '–'}: the best of ${m} values of M is chosen after seeing them, which Holm's method corrects for`);
    }
  }

  const t2 = tables.get('table2');
  if (t2) {
    const baselines = t2.rows.filter((r) => ['Plain', 'CapDec', 'C3', 'DeCap'].includes(r.id));
    const diffs = baselines.map((r) => ({ id: r.id, d: ciderDiff(t2, r.id, 'DiffusionBridge', seed) }));
    const weakest = diffs.reduce((w, x) => (x.d && (!w.d || x.d.lo < w.d.lo) ? x : w), diffs[0]);
    add('table2', verdictOf(diffs.map((x) => x.d)), 'Diffusion Bridge beats every baseline in the same harness (Table 2, CIDEr; each comparison at 95%, all must hold)',
      diffs.map((x) => `vs ${x.id} ${describeDiff(x.d)}`).join('; ') + (weakest?.d ? `; weakest: ${weakest.id}` : ''));
    if (t2.rows.some((r) => r.id === 'ref:nearest-caption' && r.ours.CIDEr !== null && r.ours.CIDEr !== undefined)) {
      const s = ciderDiff(t2, 'ref:nearest-caption', 'DiffusionBridge', seed);
      add('table2:retrieval', verdictOf([s]), 'Diffusion Bridge beats retrieving the nearest train caption (Table 2: the paper\'s 96.4 vs CLIPRe 25.6 CIDEr)', `vs ref:nearest-caption ${describeDiff(s)}`);
    }
  }

  const t3 = tables.get('table3');
  if (t3) {
    const dirs = [...new Set(t3.rows.map((r) => r.id.split(':')[0]))];
    const parts = dirs.flatMap((dir) => t3.rows.filter((r) => r.id.startsWith(dir + ':') && !r.id.endsWith(':DiffusionBridge'))
      .map((r) => ({ label: `${dir} vs ${r.id.split(':')[1]}`, d: ciderDiff(t3, r.id, `${dir}:DiffusionBridge`, seed) })));
    add('table3', verdictOf(parts.map((p) => p.d)), 'Diffusion Bridge is the strongest cross-domain method (Table 3, CIDEr; every direction and baseline at 95%)',
      parts.map((p) => `${p.label}: ${describeDiff(p.d)}`).join('; '));
  }
  return out;
}

/** Rows trained with noise (CapDec, C3; the audio table's CapDec row is NoiseInjection): a collapse there is a defect of the run (issue 11). */
const NOISE_TRAINED = /(^|:)(CapDec|C3|NoiseInjection)$/;

export interface CollapsedRow { table: string; row: string; distinct: number; plain: number; noiseTrained: boolean }

/** Captioning rows that wrote fewer than half of Plain's distinct captions (per table; reference rows excluded). */
export function collapsedRows(tables: Map<string, ResultTable>): CollapsedRow[] {
  const out: CollapsedRow[] = [];
  for (const [id, t] of tables) {
    const plain = t.rows.find((r) => r.id === 'Plain' || r.id === 'plain' || r.id === 'M=0');
    const ref = plain?.ours.distinctCaptions;
    if (!ref) continue;
    for (const r of t.rows) {
      const n = r.ours.distinctCaptions;
      if (r.id.startsWith('ref:') || n === null || n === undefined) continue;
      if (n < ref / 2) out.push({ table: id, row: r.id, distinct: n, plain: ref, noiseTrained: NOISE_TRAINED.test(r.id) });
    }
  }
  return out;
}

/** The summary's decoder-health lines. */
export function decoderHealth(tables: Map<string, ResultTable>): string[] {
  const rows = collapsedRows(tables);
  const fmt = (r: CollapsedRow) => `${r.table} ${r.row} ${r.distinct} vs Plain's ${r.plain}`;
  const defects = rows.filter((r) => r.noiseTrained), others = rows.filter((r) => !r.noiseTrained);
  return [
    defects.length
      ? `Collapsed noise-trained decoders (fewer than half of Plain's distinct captions; a defect of this run, not a finding about the method): ${defects.map(fmt).join('; ')}.`
      : 'No noise-trained decoder (CapDec, C3) writes fewer than half of Plain\'s distinct captions.',
    ...(others.length ? [`Other rows with fewer than half of Plain's distinct captions (generic captions; read their scores with that in mind): ${others.map(fmt).join('; ')}.`] : []),
  ];
}
