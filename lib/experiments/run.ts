// Runs the paper's tables on a Pipeline and writes results/<dataset>-<scale>/: table1..table5 and
// cost as .json/.csv/.md (ours beside the paper), summary.md, figures. Every number in a table
// is computed on this run (or taken from this run's cache); the paper's numbers come from
// reported.json. The summary states, from the numbers, which of the paper's claims hold here
// (claims.ts), flags collapsed decoders, and shows Table 1's gap panel.
import { join } from 'node:path';
import { Pipeline } from './pipeline.ts';
import type { ExperimentConfig, Domain } from './config.ts';
import { TABLE1_ROWS, TABLE2, TABLE3, TABLE4, TABLE5, isReferenceRun, type CaptionTable, type TableRun } from './tables.ts';
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
import { denoiserCost } from '../diffusion/flops.ts';
import { PAPER_UNET1D } from '../diffusion/denoisers/index.ts';
import { writeFigures } from './figures.ts';
import { claims, decoderHealth } from './claims.ts';
import type { GapPanel } from '../embeddings/panel.ts';
import type { DenoiserConfig } from '../diffusion/denoisers/types.ts';

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
    const panel = (await p.gapPanel(main, 'val')).output.panel;
    const atM = panel.rows.find((x) => x.M === M), raw = panel.rows.find((x) => x.id === 'raw');
    return {
      ...base(ctx, 'table1', `Table 1: mean cosine similarity on the ${domainLabel(cfg, main)} val split (bridged from M = ${M})`),
      columns: ['embedding', 'projector'], rows,
      notes: [
        `${r.details.images} val images, ${r.details.pairs} caption pairs. Projector = the plain decoder's flattened prefix (${cfg.variant} mapper).`,
        `Row (b) pairs two different captions of one image plus N(0, ${r.details.noiseVariance}); with the same caption it is ${r.details.b_same_caption.embedding.toFixed(3)} (embedding) / ${r.details.b_same_caption.projector?.toFixed(3) ?? '–'} (projector).`,
        `Row (d) with identity kept or not: image-to-text R@1 of the bridged images (M = ${M}) ${pct(atM?.i2tR1)} vs ${pct(raw?.i2tR1)} for the raw images (chance ${pct(panel.chance.i2tR1)}); see the gap panel.`,
      ],
      extra: { details: r.details, samples: r.samples, gapPanel: panel },
      appendix: gapPanelMarkdown(panel, `${domainLabel(cfg, main)} val split`),
    };
  } finally { decoder.dispose(); }
}

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(100 * v).toFixed(1)}%`);

/** The gap panel as markdown: one row per image-side set, the text spectrum below. */
export function gapPanelMarkdown(panel: GapPanel, where: string): string {
  const f = (v: number, k = 3) => (Number.isFinite(v) ? v.toFixed(k) : '–');
  const lines = [
    `#### Gap panel (${where}; ${panel.images} images, ${panel.texts} captions, D = ${panel.dim})`, '',
    '| image-side set | centroid dist. | RMG | RBF-MMD² | lin. separability | i2t R@1 | i2t R@5 | t2i R@1 | image rank | image PR |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...panel.rows.map((r) => `| ${r.label} | ${f(r.centroidDistance)} | ${f(r.relativeModalityGap)} | ${f(r.mmd2, 4)} | ${f(r.separability)} | ${pct(r.i2tR1)} | ${pct(r.i2tR5)} | ${pct(r.t2iR1)} | ${r.imageRank} | ${f(r.imageParticipationRatio, 1)} |`),
    '',
    `Text: rank ${panel.text.raw.rank} / participation ratio ${panel.text.raw.participationRatio.toFixed(1)} raw, ${panel.text.preprocessed.rank} / ${panel.text.preprocessed.participationRatio.toFixed(1)} preprocessed (CLIP ViT-B/32 on COCO: full rank 512).`,
    `Each row compares its image-side set with the captions of the same images (raw text for the raw row, preprocessed text otherwise). Centroid distance between L2-normalised centroids (Liang et al. 2022: ~0.82 for CLIP raw); ` +
    `RMG = relative modality gap (Schrodi et al., ICLR 2025); RBF-MMD² unbiased, kernel width = median text distance (${panel.mmd.sigmaRaw.toFixed(3)} raw, ${panel.mmd.sigmaPreprocessed.toFixed(3)} preprocessed), at most ${panel.mmd.maxRows} rows per set; ` +
    `linear separability = held-out accuracy of a logistic-regression modality classifier (0.5 = inseparable); recall chance ${pct(panel.chance.i2tR1)}; PR = participation ratio.`,
  ];
  return lines.join('\n');
}

// ------------------------------------------------------------------ caption tables
function metricColumns(table: CaptionTable, meteorKey: string | null): { columns: string[]; labels: Record<string, string> } {
  const columns = table.metrics.map((m) => (m === 'METEOR' ? meteorKey ?? 'METEOR_approx' : m));
  return { columns, labels: { METEOR_approx: 'METEOR≈', Bleu_1: 'B@1', Bleu_4: 'B@4', ROUGE_L: 'R-L' } };
}

async function captionRow(p: Pipeline, run: TableRun, source: Domain, target: Domain, reportedKey: string | undefined, direction?: string) {
  const sc = await p.scores(source, target, run);
  const caps = await p.captions(source, target, run);
  const ours: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(sc.output.corpus)) ours[k] = v === null ? null : +(v * 100).toFixed(4);
  ours.distinctCaptions = sc.output.distinctCaptions;
  let paper: Record<string, number | null> | null = null;
  if (reportedKey && run.paper) {
    const pr = paperRow(reportedKey, run.paper, direction);
    if (pr) {
      paper = { ...pr };
      if (sc.output.meteor === 'METEOR_approx') paper.METEOR_approx = pr.METEOR ?? null;
    }
  }
  return { ours, paper, meteor: sc.output.meteor, unavailable: sc.output.unavailable, captionsFile: caps.output.file, numImages: sc.output.numImages, perImageFile: sc.output.perImageFile };
}

function runDetails(p: Pipeline, run: TableRun, source: Domain): Record<string, unknown> {
  if (isReferenceRun(run)) return { reference: run.reference };
  const bridged = run.test === 'bridged' || run.test === 'oracle-bridged';
  return { train: run.train, test: run.test, M: bridged ? run.M ?? p.M(source) : null };
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
      const r = await captionRow(p, run, pair.source, pair.target, reportedKey, pair.direction);
      meteorKey = r.meteor ?? meteorKey;
      Object.assign(unavailable, r.unavailable);
      rows.push({
        id: table.crossDomain ? `${pair.direction}:${run.row}` : run.row,
        label: table.crossDomain ? `${domainLabel(cfg, pair.source)} → ${domainLabel(cfg, pair.target)}: ${run.label}` : run.label,
        ours: r.ours, paper: r.paper,
        details: { ...runDetails(p, run, pair.source), source: pair.source, target: pair.target, captions: r.captionsFile, perImage: r.perImageFile, images: r.numImages },
      });
    }
  }
  const { columns, labels } = metricColumns(table, meteorKey);
  const notes = [table.notes];
  if (meteorKey === 'METEOR_approx') notes.push('METEOR≈ = METEOR_approx: METEOR 1.5\'s algorithm with exact, Porter-stem and WordNet-synonym modules but no paraphrase table (no meteor-1.5.jar given).');
  notes.push(`distinct = distinct captions written over the ${rows[0]?.details?.images ?? ''} test images (case ignored); a noise-trained decoder with fewer than half of Plain's is collapsed (see the summary).`);
  for (const [k, why] of Object.entries(unavailable)) notes.push(`${k} unavailable: ${why}`);
  if (cfg.dataset === 'world') notes.push('The built-in world is not MSCOCO: the paper\'s numbers are shown for orientation; compare the order of the rows, not their values.');
  return {
    ...base(ctx, table.id, table.title), columns: [...columns, 'distinctCaptions'], columnLabels: { ...labels, distinctCaptions: 'distinct' }, rows, notes,
    ...(meteorKey === 'METEOR_approx' ? { paperMetricOf: { METEOR_approx: 'METEOR' } } : {}),
  };
}

// ------------------------------------------------------------------ cost
export async function runCost(p: Pipeline, ctx: RunContext): Promise<ResultTable> {
  const { cfg } = ctx;
  const main = cfg.domains.main;
  const diff = await p.diffusion(main);
  const emb = await p.embeddings(main);
  const model = DiffusionModel.load(diff.output.dir);
  try {
    const cost = denoiserCost(model.denoiser.config);
    const paperCost = denoiserCost(PAPER_UNET1D);
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
    const paperRowCost = { denoiser_params: 4037313, gmacs_per_image: 1.63, gflops_per_image: null, seconds_per_image: 0.27 };
    const rows: ResultRow[] = [{
      id: 'bridging', label: `bridging with the ${describeDenoiser(model.denoiser.config)} that ran (${main}, M = ${M}, ${cfg.bridge.steps} DDIM steps = ${calls} denoiser calls, batch 1)`,
      ours: {
        denoiser_params: params,
        gmacs_per_image: +(cost.macsConvLinear * calls / 1e9).toFixed(4),
        gflops_per_image: +(cost.flopsTotal * calls / 1e9).toFixed(4),
        seconds_per_image: +secondsPerImage.toFixed(5),
      },
      paper: paperRowCost,
    }, {
      id: 'paper-config', label: 'the paper\'s Unet1D (512/32/1,2,4,8), counted by this code, 5 calls',
      ours: { denoiser_params: paperCost.params, gmacs_per_image: +(paperCost.macsConvLinear * 5 / 1e9).toFixed(4), gflops_per_image: +(paperCost.flopsTotal * 5 / 1e9).toFixed(4), seconds_per_image: null },
      paper: paperRowCost,
    }];
    return {
      ...base(ctx, 'cost', `Computational cost of bridging on the ${ctx.backend} backend`),
      columns: ['denoiser_params', 'gmacs_per_image', 'gflops_per_image', 'seconds_per_image'],
      columnLabels: { denoiser_params: 'params', gmacs_per_image: 'GMACs/img (conv+linear)', gflops_per_image: 'GFLOPs/img (all)', seconds_per_image: 's/img' },
      rows,
      extra: { denoiser: model.denoiser.config },
      notes: [
        `The denoiser that ran: ${describeDenoiser(model.denoiser.config)}, ${params.toLocaleString('en-US')} parameters; the paper's is the Unet1D of the second row.`,
        'The paper\'s "+1.63 GFLOPs" equals 5 calls x 0.3258 G conv+linear multiply-accumulates of its Unet1D (docs/spec.md §1.2), so it is compared with our GMACs column.',
        'The paper\'s +0.27 s was measured on its GPU; ours is this machine and backend, batch 1, after one warm-up call.',
      ],
    };
  } finally { model.dispose(); }
}

/** A denoiser's architecture in words, e.g. "ResMLP denoiser (width 256, 3 blocks, time embedding 128)". */
export function describeDenoiser(c: DenoiserConfig): string {
  if (c.kind === 'resmlp') return `ResMLP denoiser (width ${c.width}, ${c.blocks} blocks, time embedding ${c.timeDim}, L = ${c.length})`;
  return `Unet1D denoiser (dim ${c.dim}, init dim ${c.initDim}, mults ${c.dimMults.join(',')}, L = ${c.length})`;
}

/** Network calls of a DDIM run from M with S steps (times trunc(linspace(-1, M-1, S+1)), one call per time >= 0). */
export function bridgeCalls(M: number, S: number): number {
  if (M <= 0) return 0;
  const ts = new Set<number>();
  for (let j = 1; j <= S; j++) ts.add(Math.trunc(-1 + (j * M) / S));
  return [...ts].filter((t) => t >= 0).length;
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
    ...claims(tables, cfg.seed).map((c) => `- ${c.text}`),
    '- One seed; intervals come from resampling test images (paired), not from retraining, so they understate run-to-run variation.',
    '',
  ];
  lines.push('## Decoder health', '', ...decoderHealth(tables).flatMap((l) => [l, '']));
  for (const id of TABLE_IDS) {
    const t = tables.get(id);
    if (t) lines.push(tableToMarkdown(t, id === 'table1' ? 3 : id === 'cost' ? 4 : 1), '');
  }
  if (figures.length) lines.push('## Figures', '', ...figures.map((f) => `![${f}](figures/${f}.png)`), '');
  return lines.join('\n');
}
