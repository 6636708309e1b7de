// Runs the paper's tables on a Pipeline and writes results/<dataset>-<scale>/: table1..table5 and
// cost as .json/.csv/.md (ours beside the paper), summary.md, figures. Every number in a table
// is computed on this run (or taken from this run's cache); the paper's numbers come from
// reported.json. The summary states, from the numbers, which of the paper's claims hold here.
import { join } from 'node:path';
import { Pipeline } from './pipeline.ts';
import type { ExperimentConfig, Domain } from './config.ts';
import { TABLE1_ROWS, TABLE2, TABLE3, TABLE4, TABLE5, type CaptionTable, type CaptionRun } from './tables.ts';
import { paperRow, paperCosine } from './reported.ts';
import { writeResultTable, tableToMarkdown, type ResultTable, type ResultRow } from './report.ts';
import { computeTable1 } from './table1.ts';
import { loadSplit, loadMeans } from './data.ts';
import { provenance } from '../util/provenance.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { readNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { DiffusionModel, bridgeEmbeddings } from '../diffusion/index.ts';
import { loadDecoder } from '../decoder/index.ts';
import { DbridgeError } from '../util/errors.ts';
import { writeFigures } from './figures.ts';

export const TABLE_IDS = ['table1', 'table2', 'table3', 'table4', 'table5', 'cost'] as const;
export type TableId = (typeof TABLE_IDS)[number];

export interface RunContext {
  cfg: ExperimentConfig;
  backend: string;
  outDir: string;
}

function base(ctx: RunContext, table: string, title: string): Omit<ResultTable, 'columns' | 'rows' | 'notes'> {
  const { cfg } = ctx;
  return { table, title, dataset: cfg.dataset, scale: cfg.scale, variant: cfg.variant, seed: cfg.seed, backend: ctx.backend, provenance: provenance(ctx.backend), config: cfg };
}

const roleName = { coco: 'MSCOCO', flickr30k: 'Flickr30K' } as const;

function domainLabel(cfg: ExperimentConfig, d: Domain): string {
  return cfg.dataset === 'world' ? `world-${d} (${roleName[cfg.roles[d]]} role)` : roleName[cfg.roles[d]];
}

// ------------------------------------------------------------------ Table 1
export async function runTable1(p: Pipeline, ctx: RunContext): Promise<ResultTable> {
  const { cfg } = ctx;
  const main = cfg.domains.main;
  const emb = await p.embeddings(main);
  const M = p.M(main);
  const br = await p.bridged(main, main, 'val', M);
  const dec = await p.decoder(main, 'plain');
  const split = loadSplit(emb.output.dir, 'val');
  const means = loadMeans(emb.output.dir);
  const decoder = loadDecoder(dec.output.dir);
  try {
    const r = await computeTable1({
      split, textMean: means.text, imageMean: means.image, bridged: toFloat32(readNpy(br.output.file)), decoder,
      maxImages: cfg.table1.maxImages, noiseVariance: cfg.table1.noiseVariance, seed: cfg.seed,
    });
    const rows: ResultRow[] = TABLE1_ROWS.map((t) => ({
      id: t.row, label: `(${t.row}) ${t.label}`,
      ours: { embedding: r.rows[t.row].embedding, projector: r.rows[t.row].projector },
      paper: paperCosine(t.paper),
    }));
    return {
      ...base(ctx, 'table1', `Table 1: mean cosine similarity on the ${domainLabel(cfg, main)} val split (bridged from M = ${M})`),
      columns: ['embedding', 'projector'], rows,
      notes: [
        `${r.details.images} val images, ${r.details.pairs} caption pairs. Projector = the plain decoder's flattened prefix (${cfg.variant} mapper).`,
        `Row (b) pairs two different captions of one image plus N(0, ${r.details.noiseVariance}); with the same caption it is ${r.details.b_same_caption.embedding.toFixed(3)} (embedding) / ${r.details.b_same_caption.projector?.toFixed(3) ?? '–'} (projector).`,
      ],
      extra: { details: r.details, samples: r.samples },
    };
  } finally { decoder.dispose(); }
}

// ------------------------------------------------------------------ caption tables
function metricColumns(table: CaptionTable, meteorKey: string | null): { columns: string[]; labels: Record<string, string> } {
  const columns = table.metrics.map((m) => (m === 'METEOR' ? meteorKey ?? 'METEOR_approx' : m));
  return { columns, labels: { METEOR_approx: 'METEOR≈', Bleu_1: 'B@1', Bleu_4: 'B@4', ROUGE_L: 'R-L' } };
}

async function captionRow(p: Pipeline, ctx: RunContext, table: CaptionTable, run: CaptionRun, source: Domain, target: Domain, reportedKey: string | undefined, direction?: string) {
  const sc = await p.scores(source, target, run);
  const caps = await p.captions(source, target, run);
  const ours: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(sc.output.corpus)) ours[k] = v === null ? null : +(v * 100).toFixed(4);
  let paper: Record<string, number | null> | null = null;
  if (reportedKey && run.paper) {
    const pr = paperRow(reportedKey, run.paper, direction);
    if (pr) {
      paper = { ...pr };
      if (sc.output.meteor === 'METEOR_approx') paper.METEOR_approx = pr.METEOR ?? null;
    }
  }
  return { ours, paper, meteor: sc.output.meteor, unavailable: sc.output.unavailable, captionsFile: caps.output.file, numImages: sc.output.numImages };
}

export async function runCaptionTable(p: Pipeline, ctx: RunContext, table: CaptionTable): Promise<ResultTable> {
  const { cfg } = ctx;
  const pairs: { source: Domain; target: Domain; direction?: string }[] = [];
  if (table.crossDomain) {
    if (!cfg.domains.other) throw new DbridgeError(`${table.id} needs a second domain`);
    pairs.push({ source: cfg.domains.main, target: cfg.domains.other, direction: `${cfg.roles[cfg.domains.main]}_to_${cfg.roles[cfg.domains.other]}` });
    pairs.push({ source: cfg.domains.other, target: cfg.domains.main, direction: `${cfg.roles[cfg.domains.other]}_to_${cfg.roles[cfg.domains.main]}` });
  } else pairs.push({ source: cfg.domains.main, target: cfg.domains.main });
  const rows: ResultRow[] = [];
  let meteorKey: string | null = null;
  const unavailable: Record<string, string> = {};
  for (const pair of pairs) {
    const reportedKey = table.crossDomain ? table.reported.coco : table.reported[cfg.roles[pair.source]];
    for (const run of table.runs) {
      const r = await captionRow(p, ctx, table, run, pair.source, pair.target, reportedKey, pair.direction);
      meteorKey = r.meteor ?? meteorKey;
      Object.assign(unavailable, r.unavailable);
      const M = run.test === 'bridged' ? run.M ?? p.M(pair.source) : null;
      rows.push({
        id: table.crossDomain ? `${pair.direction}:${run.row}` : run.row,
        label: table.crossDomain ? `${domainLabel(cfg, pair.source)} → ${domainLabel(cfg, pair.target)}: ${run.label}` : run.label,
        ours: r.ours, paper: r.paper,
        details: { train: run.train, test: run.test, M, source: pair.source, target: pair.target, captions: r.captionsFile, images: r.numImages },
      });
    }
  }
  const { columns, labels } = metricColumns(table, meteorKey);
  const notes = [table.notes];
  if (meteorKey === 'METEOR_approx') notes.push('METEOR≈ = METEOR_approx: METEOR 1.5\'s algorithm with exact, Porter-stem and WordNet-synonym modules but no paraphrase table (no meteor-1.5.jar given); the paper\'s METEOR is shown beside it for orientation only.');
  for (const [k, why] of Object.entries(unavailable)) notes.push(`${k} unavailable: ${why}`);
  if (cfg.dataset === 'world') notes.push('The built-in world is not MSCOCO: the paper\'s numbers are shown for orientation; compare the order of the rows, not their values.');
  return { ...base(ctx, table.id, table.title), columns, columnLabels: labels, rows, notes };
}

// ------------------------------------------------------------------ cost
export async function runCost(p: Pipeline, ctx: RunContext): Promise<ResultTable> {
  const { cfg } = ctx;
  const main = cfg.domains.main;
  const diff = await p.diffusion(main);
  const emb = await p.embeddings(main);
  const model = DiffusionModel.load(diff.output.dir);
  try {
    type Cost = { params: number; macsConvLinear: number; flopsTotal: number };
    let cost: Cost | null = null;
    let paperCost: Cost | null = null;
    try {
      const flopsModule = '../diffusion/flops.ts';
      const f = await import(flopsModule) as { denoiserCost(c: unknown): Cost };
      cost = f.denoiserCost(model.denoiser.config);
      paperCost = f.denoiserCost({ kind: 'unet1d', length: 512, dim: 512, initDim: 32, dimMults: [1, 2, 4, 8], attnHeads: 4, attnDimHead: 32 });
    } catch { /* flops.ts not available in this version */ }
    const test = p.limitSplit(loadSplit(emb.output.dir, 'test'), 'test');
    const means = loadMeans(emb.output.dir);
    const n = Math.min(16, test.nImage);
    const M = p.M(main);
    await bridgeEmbeddings(model, test.image.subarray(0, test.d), 1, test.d, means.image, { M, steps: cfg.bridge.steps, batchSize: 1 }); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await bridgeEmbeddings(model, test.image.subarray(i * test.d, (i + 1) * test.d), 1, test.d, means.image, { M, steps: cfg.bridge.steps, batchSize: 1 });
    }
    const secondsPerImage = (performance.now() - t0) / 1000 / n;
    const calls = bridgeCalls(M, cfg.bridge.steps);
    const params = model.denoiser.params.count();
    const rows: ResultRow[] = [{
      id: 'bridging', label: `bridging (${main}, M = ${M}, ${cfg.bridge.steps} DDIM steps = ${calls} denoiser calls, batch 1)`,
      ours: {
        denoiser_params: params,
        gmacs_per_image: cost ? +(cost.macsConvLinear * calls / 1e9).toFixed(4) : null,
        gflops_per_image: cost ? +(cost.flopsTotal * calls / 1e9).toFixed(4) : null,
        seconds_per_image: +secondsPerImage.toFixed(5),
      },
      paper: { denoiser_params: 4037313, gmacs_per_image: 1.63, gflops_per_image: null, seconds_per_image: 0.27 },
    }];
    if (paperCost) {
      rows.push({
        id: 'paper-config', label: 'the paper\'s Unet1D (512/32/1,2,4,8), counted by this code, 5 calls',
        ours: { denoiser_params: paperCost.params, gmacs_per_image: +(paperCost.macsConvLinear * 5 / 1e9).toFixed(4), gflops_per_image: +(paperCost.flopsTotal * 5 / 1e9).toFixed(4), seconds_per_image: null },
        paper: { denoiser_params: 4037313, gmacs_per_image: 1.63, gflops_per_image: null, seconds_per_image: 0.27 },
      });
    }
    return {
      ...base(ctx, 'cost', `Computational cost of bridging on the ${ctx.backend} backend`),
      columns: ['denoiser_params', 'gmacs_per_image', 'gflops_per_image', 'seconds_per_image'],
      columnLabels: { denoiser_params: 'params', gmacs_per_image: 'GMACs/img (conv+linear)', gflops_per_image: 'GFLOPs/img (all)', seconds_per_image: 's/img' },
      rows,
      notes: [
        'The paper\'s "+1.63 GFLOPs" equals 5 calls x 0.3258 G conv+linear multiply-accumulates of its Unet1D (SPEC 1.2), so it is compared with our GMACs column.',
        'The paper\'s +0.27 s was measured on its GPU; ours is this machine and backend, batch 1, after one warm-up call.',
      ],
    };
  } finally { model.dispose(); }
}

/** Network calls of a DDIM run from M with S steps (times trunc(linspace(-1, M-1, S+1)), one call per time >= 0). */
export function bridgeCalls(M: number, S: number): number {
  if (M <= 0) return 0;
  const ts = new Set<number>();
  for (let j = 1; j <= S; j++) ts.add(Math.trunc(-1 + (j * M) / S));
  return [...ts].filter((t) => t >= 0).length;
}

// ------------------------------------------------------------------ claims
export function claims(tables: Map<string, ResultTable>): string[] {
  const out: string[] = [];
  const t1 = tables.get('table1');
  if (t1) {
    const a = t1.rows.find((r) => r.id === 'a')!.ours.embedding!, d = t1.rows.find((r) => r.id === 'd')!.ours.embedding!;
    const c = t1.rows.find((r) => r.id === 'c')!.ours.embedding!;
    out.push(`Bridging raises the paired text-image cosine (Table 1, d > a): ${d > a ? 'holds' : 'does not hold'} here (a = ${a.toFixed(3)}, d = ${d.toFixed(3)}; paired text-text c = ${c.toFixed(3)}).`);
  }
  const cider = (t: ResultTable | undefined, id: string) => t?.rows.find((r) => r.id === id)?.ours.CIDEr ?? null;
  const t4 = tables.get('table4');
  if (t4) {
    const [pl, br, au] = ['plain', 'bridging', 'augmentation'].map((id) => cider(t4, id));
    if (pl !== null && br !== null && au !== null) {
      out.push(`Ablation order plain < + bridging < + augmentation in CIDEr (Table 4): ${pl < br && br < au ? 'holds' : pl < br ? 'partly holds (bridging helps; augmentation does not add)' : 'does not hold'} here (${pl.toFixed(1)} / ${br.toFixed(1)} / ${au.toFixed(1)}).`);
    }
  }
  const t5 = tables.get('table5');
  if (t5) {
    const vals = t5.rows.map((r) => ({ M: Number(r.id.slice(2)), c: r.ours.CIDEr ?? NaN }));
    const best = vals.reduce((b, v) => (v.c > b.c ? v : b), vals[0]);
    const rises = vals[0].c < best.c;
    const shape = rises && (best.M === 400 || best.M === 600) ? 'holds' : rises ? 'partly holds (bridging beats M = 0, but the peak is elsewhere)' : 'does not hold';
    out.push(`M sweep shape (Table 5: CIDEr rises from M = 0 and peaks at M = 400-600): ${shape} here (${vals.map((v) => `M=${v.M}: ${v.c.toFixed(1)}`).join(', ')}).`);
  }
  return out;
}

// ------------------------------------------------------------------ everything
export interface ReproduceOptions {
  cfg: ExperimentConfig;
  backend: string;
  outDir: string;
  cacheRoot: string;
  tables?: readonly TableId[];
  log?: (line: string) => void;
  /** Called after each table is written (notebooks display it). */
  onTable?: (t: ResultTable) => void;
}

export async function reproduce(opts: ReproduceOptions): Promise<{ tables: Map<string, ResultTable>; summary: string; pipeline: Pipeline }> {
  const ctx: RunContext = { cfg: opts.cfg, backend: opts.backend, outDir: opts.outDir };
  const p = new Pipeline(opts.cfg, opts.cacheRoot, opts.log);
  const want = new Set(opts.tables ?? TABLE_IDS);
  const tables = new Map<string, ResultTable>();
  const t0 = Date.now();
  const runners: [TableId, () => Promise<ResultTable>][] = [
    ['table1', () => runTable1(p, ctx)],
    ['table2', () => runCaptionTable(p, ctx, TABLE2)],
    ['table4', () => runCaptionTable(p, ctx, TABLE4)],
    ['table5', () => runCaptionTable(p, ctx, TABLE5)],
    ['table3', () => runCaptionTable(p, ctx, TABLE3)],
    ['cost', () => runCost(p, ctx)],
  ];
  for (const [id, run] of runners) {
    if (!want.has(id)) continue;
    const t = await run();
    writeResultTable(opts.outDir, t);
    tables.set(id, t);
    opts.onTable?.(t);
  }
  const figures = await writeFigures(p, ctx, tables);
  const summary = summaryMarkdown(ctx, tables, (Date.now() - t0) / 1000, p, figures);
  writeFileAtomic(join(opts.outDir, 'summary.md'), summary);
  writeJsonAtomic(join(opts.outDir, 'stages.json'), { stages: p.cache.events, seconds: (Date.now() - t0) / 1000 });
  return { tables, summary, pipeline: p };
}

function summaryMarkdown(ctx: RunContext, tables: Map<string, ResultTable>, seconds: number, p: Pipeline, figures: string[]): string {
  const prov = provenance(ctx.backend);
  const cfg = ctx.cfg;
  const fresh = p.cache.events.filter((e) => !e.cached).length;
  const lines = [
    `# Diffusion Bridge reproduction: ${cfg.dataset}, scale ${cfg.scale}, variant ${cfg.variant}, seed ${cfg.seed}`,
    '',
    `dbridge ${prov.version}, commit ${prov.commit.slice(0, 12)}${prov.dirty ? ' (uncommitted changes in lib/)' : ''}, backend ${ctx.backend}, ${prov.date}.`,
    `${p.cache.events.length} stages (${fresh} computed now, ${p.cache.events.length - fresh} from the cache), ${seconds.toFixed(0)} s.`,
    '',
    '## What holds here',
    '',
    ...claims(tables).map((c) => `- ${c}`),
    '',
  ];
  for (const id of TABLE_IDS) {
    const t = tables.get(id);
    if (t) lines.push(tableToMarkdown(t, id === 'table1' ? 3 : id === 'cost' ? 4 : 1), '');
  }
  if (figures.length) lines.push('## Figures', '', ...figures.map((f) => `![${f}](figures/${f}.png)`), '');
  return lines.join('\n');
}
