// Runs the audio table (audio-tables.ts) on an AudioPipeline and writes results/<dataset>-<scale>/:
// audio_captioning, audio_gap, audio_retrieval (.json/.csv/.md), summary.md, stages.json, figures/.
// Every number is computed on this run (or read from this run's cache); the seeds' figures come
// from audio-tables.ts SEED_REPORTED. The summary says, from the numbers and with paired bootstrap
// intervals over test clips, which method closes the gap most and which captions best.
import { join } from 'node:path';
import { AudioPipeline, captionRowsOf } from './audio-pipeline.ts';
import type { AudioExperimentConfig } from './audio-config.ts';
import { AUDIO_CAPTIONING, AUDIO_GAP_PANEL, AUDIO_RETRIEVAL, SEED_REPORTED, type AudioCaptionRow, type AudioRepresentation } from './audio-tables.ts';
import { writeResultTable, tableToMarkdown, type ResultTable, type ResultRow } from './report.ts';
import { loadSplit, loadMeans, type SplitEmbeddings } from './data.ts';
import { pairedBootstrap, perImageMetric, type PairedDiff } from './bootstrap.ts';
import { decoderHealth } from './claims.ts';
import { readNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { provenance } from '../util/provenance.ts';
import { l2NormalizeRows } from '../embeddings/normalize.ts';
import { preprocessRows } from '../embeddings/preprocess.ts';
import { gapPanel } from '../embeddings/panel.ts';
import { Rng } from '../util/rng.ts';
import { retrievalFromSimilarity } from '../world/encoder.ts';
import { AUDIO_GIVEN_TEXT, TEXT_GIVEN_AUDIO } from '../bridges/diffgap.ts';
import { saveFigure } from '../plots/vega.ts';
import { barsFigure } from '../plots/figures.ts';

export const AUDIO_TABLE_IDS = ['audio_captioning', 'audio_gap', 'audio_retrieval'] as const;

export interface AudioRunContext { cfg: AudioExperimentConfig; backend: string; outDir: string }

function base(ctx: AudioRunContext, table: string, title: string): Omit<ResultTable, 'columns' | 'rows' | 'notes'> {
  const { cfg } = ctx;
  return { table, title, dataset: cfg.dataset, scale: cfg.scale, variant: cfg.variant, seed: cfg.seed, backend: ctx.backend, provenance: provenance(ctx.backend), config: cfg };
}

function domainLabel(cfg: AudioExperimentConfig): string {
  return cfg.dataset === 'sound' ? `the sound world (domain ${cfg.domains.main}, AudioCaps-like)` : cfg.dataset === 'audiocaps' ? 'AudioCaps' : 'Clotho';
}

// ------------------------------------------------------------------ test-split representations
/** The test clips and captions, and each representation of the clips as unit rows, with its text side. */
export interface TestViews {
  split: SplitEmbeddings;
  /** Caption rows in clip order and, for each, its clip. */
  owner: number[];
  /** Caption rows as the encoder gave them, then L2-normalised, then with the text mean removed (unit). */
  textRawRows: Float32Array;
  textRaw: Float32Array;
  textPrep: Float32Array;
  /** Unit rows per representation [nClip, d]. */
  reps: Record<AudioRepresentation, Float32Array>;
  /** DiffGAP's audio generated from each caption (unit, audio space), for text -> audio retrieval. */
  audioFromText: Float32Array;
  audioPrep: Float32Array;
}

export async function testViews(p: AudioPipeline): Promise<TestViews> {
  const main = p.cfg.domains.main;
  const emb = await p.embeddings(main);
  const s = p.limitSplit(loadSplit(emb.output.dir, 'test'), 'test');
  const means = loadMeans(emb.output.dir);
  const d = s.d;
  const caps = captionRowsOf(s);
  const file = async (r: Promise<{ output: { file: string } }>) => l2NormalizeRows(toFloat32(readNpy((await r).output.file)), s.nImage, d);
  const audioPrep = preprocessRows(s.image, s.nImage, d, means.image, 1);
  const reps: Record<AudioRepresentation, Float32Array> = {
    raw: l2NormalizeRows(s.image, s.nImage, d),
    'mean-removed': audioPrep,
    bridged: await file(p.bridged(main, main, 'test', p.M())),
    'diffusion-link': await file(p.linked(main, 'test')),
    diffgap: await file(p.diffgapGenerated(main, 'test', TEXT_GIVEN_AUDIO)),
  };
  const gen = toFloat32(readNpy((await p.diffgapGenerated(main, 'test', AUDIO_GIVEN_TEXT)).output.file));
  return {
    split: s, owner: caps.owner, textRawRows: caps.rows, textRaw: l2NormalizeRows(caps.rows, caps.n, d), textPrep: preprocessRows(caps.rows, caps.n, d, means.text, 1),
    reps, audioFromText: l2NormalizeRows(gen, caps.n, d), audioPrep,
  };
}

function dots(a: Float32Array, nA: number, b: Float32Array, nB: number, d: number): Float32Array {
  const out = new Float32Array(nA * nB);
  for (let i = 0; i < nA; i++) for (let j = 0; j < nB; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
    out[i * nB + j] = s;
  }
  return out;
}

/** Per clip: the mean cosine of its captions with its representation (unit rows). */
function pairedPerClip(v: TestViews, rep: AudioRepresentation): Map<string | number, number> {
  const d = v.split.d, x = v.reps[rep], t = rep === 'raw' ? v.textRaw : v.textPrep;
  const sum = new Float64Array(v.split.nImage), cnt = new Float64Array(v.split.nImage);
  v.owner.forEach((o, i) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += t[i * d + k] * x[o * d + k];
    sum[o] += s; cnt[o]++;
  });
  return new Map(v.split.index.images.map((im, i) => [im.image_id, sum[i] / Math.max(1, cnt[i])]));
}

// ------------------------------------------------------------------ panels
export async function runAudioGap(p: AudioPipeline, ctx: AudioRunContext, v?: TestViews): Promise<ResultTable> {
  const views = v ?? await testViews(p);
  const d = views.split.d;
  const means = loadMeans((await p.embeddings(p.cfg.domains.main)).output.dir);
  const T = 1000; // DiffGAP generates from pure noise: its "start step" is the whole chain
  const panel = gapPanel({
    text: views.textRawRows, image: views.split.image.subarray(0, views.split.nImage * d), d, textToImage: views.owner, textMean: means.text, imageMean: means.image,
    bridged: [
      { M: p.M(), rows: views.reps.bridged, id: 'DiffusionBridge' },
      { M: p.M(), rows: views.reps['diffusion-link'], id: 'DiffusionLink' },
      { M: T, rows: views.reps.diffgap, id: 'DiffGAP' },
    ],
  }, { seed: ctx.cfg.seed });
  const panelId: Record<string, string> = { raw: 'raw', 'mean-removed': 'preprocessed', DiffusionBridge: 'DiffusionBridge', DiffusionLink: 'DiffusionLink', DiffGAP: 'DiffGAP' };
  const rows: ResultRow[] = AUDIO_GAP_PANEL.rows.map((r) => {
    const pr = panel.rows.find((x) => x.id === panelId[r.row])!;
    const per = [...pairedPerClip(views, r.rep).values()];
    return {
      id: r.row, label: r.label, paper: null,
      ours: {
        paired: +(per.reduce((a, b) => a + b, 0) / per.length).toFixed(4), unpaired: +unpairedCos(views, r.rep, ctx.cfg.seed).toFixed(4),
        centroid: +pr.centroidDistance.toFixed(4), rmg: +pr.relativeModalityGap.toFixed(4), mmd2: +pr.mmd2.toFixed(4),
        separability: +pr.separability.toFixed(4), participation: +pr.imageParticipationRatio.toFixed(2),
      },
      details: { i2tR1: pr.i2tR1, t2iR1: pr.t2iR1, imageRank: pr.imageRank },
    };
  });
  const tt = pairedTextText(views);
  return {
    ...base(ctx, AUDIO_GAP_PANEL.id, `${AUDIO_GAP_PANEL.title} (${domainLabel(ctx.cfg)}, M = ${p.M()})`),
    columns: AUDIO_GAP_PANEL.columns, columnLabels: AUDIO_GAP_PANEL.columnLabels, rows,
    notes: [
      ...AUDIO_GAP_PANEL.notes,
      `Two captions of one clip (text-text, mean removed): paired cos ${tt.toFixed(3)}, the level of a bridge that made audio look exactly like another caption. Captions' participation ratio: ${panel.text.preprocessed.participationRatio} (mean removed). ${views.split.nImage} clips, ${views.owner.length} captions.`,
    ],
    extra: { panel },
  };
}

/** Mean cosine of each caption with another clip's representation (a fixed seeded derangement). */
function unpairedCos(v: TestViews, rep: AudioRepresentation, seed: number): number {
  const d = v.split.d, n = v.split.nImage, x = v.reps[rep], t = rep === 'raw' ? v.textRaw : v.textPrep;
  const rng = new Rng(seed).fork('unpaired');
  let sum = 0;
  v.owner.forEach((o, i) => {
    const other = (o + 1 + rng.int(n - 1)) % n;
    let c = 0;
    for (let k = 0; k < d; k++) c += t[i * d + k] * x[other * d + k];
    sum += c;
  });
  return sum / v.owner.length;
}

/** Mean cosine of consecutive captions of one clip (mean removed): the text-text level. */
function pairedTextText(v: TestViews): number {
  const d = v.split.d;
  let sum = 0, n = 0;
  for (let i = 1; i < v.owner.length; i++) {
    if (v.owner[i] !== v.owner[i - 1]) continue;
    let c = 0;
    for (let k = 0; k < d; k++) c += v.textPrep[i * d + k] * v.textPrep[(i - 1) * d + k];
    sum += c; n++;
  }
  return sum / Math.max(1, n);
}

export async function runAudioRetrieval(p: AudioPipeline, ctx: AudioRunContext, v?: TestViews): Promise<ResultTable> {
  const views = v ?? await testViews(p);
  const d = views.split.d, nA = views.split.nImage, nT = views.owner.length;
  const mix = ctx.cfg.audio.retrievalMix;
  const rows: ResultRow[] = AUDIO_RETRIEVAL.rows.map((r) => {
    let a2t: Float32Array, t2a: Float32Array;
    if (r.rep === 'diffgap') {
      const direct = dots(views.audioPrep, nA, views.textPrep, nT, d);
      const fromAudio = dots(views.reps.diffgap, nA, views.textPrep, nT, d); // generated text vs captions
      const fromText = dots(views.audioPrep, nA, views.audioFromText, nT, d); // clips vs audio generated from captions
      a2t = direct.map((x, i) => (1 - mix) * x + mix * fromAudio[i]);
      t2a = direct.map((x, i) => (1 - mix) * x + mix * fromText[i]);
    } else {
      a2t = t2a = dots(views.reps[r.rep], nA, r.rep === 'raw' ? views.textRaw : views.textPrep, nT, d);
    }
    const ra = retrievalFromSimilarity(a2t, nA, nT, views.owner), rt = retrievalFromSimilarity(t2a, nA, nT, views.owner);
    const pct = (x: number) => +(100 * x).toFixed(2);
    return {
      id: r.row, label: r.label, paper: null,
      ours: { a2t_r1: pct(ra.i2t.r1), a2t_r5: pct(ra.i2t.r5), a2t_r10: pct(ra.i2t.r10), t2a_r1: pct(rt.t2i.r1), t2a_r5: pct(rt.t2i.r5), t2a_r10: pct(rt.t2i.r10) },
    };
  });
  return {
    ...base(ctx, AUDIO_RETRIEVAL.id, `${AUDIO_RETRIEVAL.title} (${domainLabel(ctx.cfg)})`),
    columns: AUDIO_RETRIEVAL.columns, columnLabels: AUDIO_RETRIEVAL.columnLabels, rows,
    notes: [
      ...AUDIO_RETRIEVAL.notes,
      `DiffGAP similarity = ${1 - mix} x cos(query, item) + ${mix} x cos(generated query, item), both with each modality's mean removed (the mix is an option; the paper does not say how generated embeddings enter retrieval).`,
      `${nA} clips, ${nT} captions; chance R@1: A→T ${(100 * Math.min(1, 5 / nT)).toFixed(2)}, T→A ${(100 / nA).toFixed(2)}.`,
      `${SEED_REPORTED.DiffGAP.source}: ${SEED_REPORTED.DiffGAP.note}.`,
    ],
  };
}

export async function runAudioCaptioning(p: AudioPipeline, ctx: AudioRunContext): Promise<ResultTable> {
  const main = p.cfg.domains.main;
  const rows: ResultRow[] = [];
  let meteorKey: string | null = null;
  const unavailable: Record<string, string> = {};
  let images = 0;
  for (const run of AUDIO_CAPTIONING.runs) {
    const sc = await p.scores(main, main, run as never);
    const ours: Record<string, number | null> = {};
    for (const [k, val] of Object.entries(sc.output.corpus)) ours[k] = val === null ? null : +(val * 100).toFixed(4);
    ours.distinctCaptions = sc.output.distinctCaptions;
    meteorKey = sc.output.meteor ?? meteorKey;
    Object.assign(unavailable, sc.output.unavailable);
    images = Math.max(images, sc.output.numImages);
    rows.push({
      id: run.row, label: run.label, ours, paper: null,
      details: { family: run.family, ...('reference' in run ? { reference: run.reference } : { train: run.train, test: run.test }), perImage: sc.output.perImageFile, images: sc.output.numImages },
    });
  }
  // a relative gain over a Plain CIDEr near zero says nothing: computed only from 1 CIDEr up
  const plain = rows.find((r) => r.id === 'Plain')!.ours.CIDEr!;
  for (const r of rows) r.ours.gain_vs_plain = plain >= 1 && r.details?.family !== 'reference' && typeof r.ours.CIDEr === 'number' ? +(100 * (r.ours.CIDEr - plain) / plain).toFixed(1) : null;
  const dl = rows.find((r) => r.id === 'DiffusionLink');
  if (dl) dl.paper = { gain_vs_plain: SEED_REPORTED.DiffusionLink.gain_vs_plain };
  const metricCols = AUDIO_CAPTIONING.metrics.map((m) => (m === 'METEOR' ? meteorKey ?? 'METEOR_approx' : m));
  const notes = [
    AUDIO_CAPTIONING.notes,
    `distinct = number of different captions among the ${images} test clips; gain = relative CIDEr change over Plain (%; not computed when Plain's CIDEr is below 1).`,
    'Training captions get a final full stop when they have none (AudioCaps-style captions end without one), so decoders learn where captions end; scores ignore punctuation.',
    `(paper) in the DiffusionLink row: ${SEED_REPORTED.DiffusionLink.source}: ${SEED_REPORTED.DiffusionLink.note}. Not the same data or decoder: compare the direction, not the size.`,
    'Reference rows are chosen captions, not methods: what a random, the most frequent, the encoder\'s nearest train caption and another human-like caption score on these clips.',
  ];
  if (meteorKey === 'METEOR_approx') notes.push('METEOR≈ = METEOR_approx (no meteor-1.5.jar given): METEOR 1.5\'s algorithm without its paraphrase table.');
  for (const [k, why] of Object.entries(unavailable)) notes.push(`${k} unavailable: ${why}`);
  if (ctx.cfg.dataset === 'sound') notes.push('The sound world is not AudioCaps: the seeds\' figures are for orientation only.');
  return {
    ...base(ctx, AUDIO_CAPTIONING.id, `${AUDIO_CAPTIONING.title} (${domainLabel(ctx.cfg)}, M = ${p.M()})`),
    columns: [...metricCols, 'distinctCaptions', 'gain_vs_plain'],
    columnLabels: { METEOR_approx: 'METEOR≈', Bleu_1: 'B@1', Bleu_4: 'B@4', ROUGE_L: 'R-L', distinctCaptions: 'distinct', gain_vs_plain: 'gain %' },
    rows, notes,
  };
}

// ------------------------------------------------------------------ the summary's claims
const ci = (d: PairedDiff, digits: number, unit: string) => `${d.diff >= 0 ? '+' : ''}${d.diff.toFixed(digits)}${unit}, 95% CI [${d.lo.toFixed(digits)}, ${d.hi.toFixed(digits)}] over ${d.images} clips`;

function byFamilyBest(t: ResultTable, key: string): ResultRow[] {
  const best = new Map<string, ResultRow>();
  for (const r of t.rows) {
    const f = String(r.details?.family ?? r.id);
    if (!best.has(f) || (r.ours[key] ?? -Infinity) > (best.get(f)!.ours[key] ?? -Infinity)) best.set(f, r);
  }
  return [...best.values()].sort((a, b) => (b.ours[key] ?? -Infinity) - (a.ours[key] ?? -Infinity));
}

/** What this run shows, from its numbers: which bridge closes the gap most, which method captions best. */
export function audioClaims(tables: Map<string, ResultTable>, views: TestViews | null, seed: number): string[] {
  const out: string[] = [];
  const gap = tables.get('audio_gap');
  if (gap && views) {
    const bridges = gap.rows.filter((r) => ['DiffusionBridge', 'DiffusionLink', 'DiffGAP'].includes(r.id)).sort((a, b) => b.ours.paired! - a.ours.paired!);
    const repOf = (id: string) => AUDIO_GAP_PANEL.rows.find((r) => r.row === id)!.rep;
    const [best, second] = bridges;
    const before = gap.rows.find((r) => r.id === 'mean-removed')!;
    const d = pairedBootstrap(pairedPerClip(views, repOf(second.id)), pairedPerClip(views, repOf(best.id)), seed);
    const d0 = pairedBootstrap(pairedPerClip(views, 'mean-removed'), pairedPerClip(views, repOf(best.id)), seed);
    out.push(`Closes the modality gap most (paired cosine with the clip's captions): **${best.id}**, ${before.ours.paired!.toFixed(3)} → ${best.ours.paired!.toFixed(3)} (${ci(d0, 3, '')} over no bridge); next ${second.id} ${second.ours.paired!.toFixed(3)} (best − next ${ci(d, 3, '')}); ${d.lo > 0 ? 'the lead holds' : 'the lead is within the interval of zero'}. Geometric criteria — relative modality gap: ${bridges.map((r) => `${r.id} ${r.ours.rmg!.toFixed(3)}`).join(', ')}, before ${before.ours.rmg!.toFixed(3)}; probe accuracy (0.5 = no linearly visible gap): ${bridges.map((r) => `${r.id} ${r.ours.separability!.toFixed(2)}`).join(', ')}, before ${before.ours.separability!.toFixed(2)}.`);
  }
  const cap = tables.get('audio_captioning');
  if (cap) {
    const ranked = byFamilyBest({ ...cap, rows: cap.rows.filter((r) => r.details?.family !== 'reference' && typeof r.ours.CIDEr === 'number') }, 'CIDEr');
    const [best, second] = ranked;
    const fa = second.details?.perImage as string, fb = best.details?.perImage as string;
    const d = fa && fb ? pairedBootstrap(perImageMetric(fa, 'CIDEr'), perImageMetric(fb, 'CIDEr'), seed) : null;
    out.push(`Captions best (CIDEr, best row of each family): **${best.id}** ${best.ours.CIDEr!.toFixed(1)}, then ${ranked.slice(1).map((r) => `${r.id} ${r.ours.CIDEr!.toFixed(1)}`).join(', ')}; best vs ${second.id}: ${d ? ci(d, 1, ' CIDEr') : '–'}${d ? (d.lo > 0 ? ' (holds)' : ' (not resolved: the interval includes zero)') : ''}.`);
    const refs = cap.rows.filter((r) => r.details?.family === 'reference' && typeof r.ours.CIDEr === 'number');
    if (refs.length) out.push(`For scale, the reference rows score CIDEr ${refs.map((r) => `${r.id.replace('ref:', '')} ${r.ours.CIDEr!.toFixed(1)}`).join(', ')}.`);
    const dl = cap.rows.find((r) => r.id === 'DiffusionLink');
    if (dl) out.push(`Diffusion-Link's relative CIDEr gain over Plain here: ${dl.ours.gain_vs_plain?.toFixed(1) ?? '–'}% (the paper reports up to ${SEED_REPORTED.DiffusionLink.gain_vs_plain}% zero-shot on AudioCaps over its own baseline).`);
  }
  const ret = tables.get('audio_retrieval');
  if (ret) {
    const raw = ret.rows.find((r) => r.id === 'raw')!;
    out.push(`Retrieval R@1 (A→T / T→A): encoder ${raw.ours.a2t_r1} / ${raw.ours.t2a_r1}; ${ret.rows.filter((r) => r.id !== 'raw').map((r) => `${r.id} ${r.ours.a2t_r1} / ${r.ours.t2a_r1}`).join('; ')}.`);
  }
  out.push('One seed; intervals resample test clips (paired), not training runs, so they understate run-to-run variation.');
  return out;
}

// ------------------------------------------------------------------ everything
export interface ReproduceAudioOptions {
  cfg: AudioExperimentConfig;
  backend: string;
  outDir: string;
  cacheRoot: string;
  log?: (line: string) => void;
  onTable?: (t: ResultTable) => void;
}

/** Digits of a panel's markdown (cosines need three). */
export const AUDIO_DIGITS: Record<string, number> = { audio_captioning: 1, audio_gap: 3, audio_retrieval: 1 };

/** Writes a panel's .json/.csv/.md (the markdown with the panel's digits). */
export function writeAudioTable(outDir: string, t: ResultTable): void {
  writeResultTable(outDir, t);
  writeFileAtomic(join(outDir, `${t.table}.md`), tableToMarkdown(t, AUDIO_DIGITS[t.table] ?? 1));
}

export async function writeAudioFigures(outDir: string, tables: Map<string, ResultTable>): Promise<string[]> {
  const dir = join(outDir, 'figures');
  const out: string[] = [];
  const save = async (name: string, spec: Record<string, unknown>) => { await saveFigure(spec, join(dir, name)); out.push(name); };
  const cap = tables.get('audio_captioning'), gap = tables.get('audio_gap'), ret = tables.get('audio_retrieval');
  if (cap) await save('audio_captioning', barsFigure(cap, ['CIDEr', 'Bleu_4'], `Audio captioning (${cap.dataset}, ${cap.scale})`, (id) => id));
  if (gap) await save('audio_gap', barsFigure(gap, ['paired', 'separability'], `Modality gap before and after each bridge (${gap.dataset}, ${gap.scale})`, (id) => id));
  if (ret) await save('audio_retrieval', barsFigure(ret, ['a2t_r1', 't2a_r1'], `Retrieval R@1 x100 (${ret.dataset}, ${ret.scale})`, (id) => id));
  return out;
}

export async function reproduceAudio(opts: ReproduceAudioOptions): Promise<{ tables: Map<string, ResultTable>; summary: string; pipeline: AudioPipeline }> {
  const ctx: AudioRunContext = { cfg: opts.cfg, backend: opts.backend, outDir: opts.outDir };
  const p = new AudioPipeline(opts.cfg, opts.cacheRoot, opts.log);
  const t0 = Date.now();
  const tables = new Map<string, ResultTable>();
  const keep = (t: ResultTable) => { writeAudioTable(opts.outDir, t); tables.set(t.table, t); opts.onTable?.(t); };
  keep(await runAudioCaptioning(p, ctx));
  const views = await testViews(p);
  keep(await runAudioGap(p, ctx, views));
  keep(await runAudioRetrieval(p, ctx, views));
  const figures = await writeAudioFigures(opts.outDir, tables);
  const seconds = (Date.now() - t0) / 1000;
  const summary = audioSummary(ctx, tables, audioClaims(tables, views, opts.cfg.seed), p, seconds, figures);
  writeFileAtomic(join(opts.outDir, 'summary.md'), summary);
  writeJsonAtomic(join(opts.outDir, 'stages.json'), { stages: p.cache.events, seconds });
  return { tables, summary, pipeline: p };
}

function audioSummary(ctx: AudioRunContext, tables: Map<string, ResultTable>, claims: string[], p: AudioPipeline, seconds: number, figures: string[]): string {
  const prov = provenance(ctx.backend);
  const cfg = ctx.cfg;
  const fresh = p.cache.events.filter((e) => !e.cached).length;
  const lines = [
    `# Audio table: ${cfg.dataset}, scale ${cfg.scale}, variant ${cfg.variant}, seed ${cfg.seed}`,
    '',
    `dbridge ${prov.version}, commit ${prov.commit.slice(0, 12)}${prov.dirty ? ' (uncommitted changes in lib/)' : ''}, backend ${ctx.backend}, ${prov.date}.`,
    `${p.cache.events.length} stages (${fresh} computed now, ${p.cache.events.length - fresh} from the cache), ${seconds.toFixed(0)} s.`,
    '',
    '## What this run shows',
    '',
    ...claims.map((c) => `- ${c}`),
    '',
    '## Decoder health',
    '',
    ...decoderHealth(tables).flatMap((l) => [l, '']),
  ];
  for (const id of AUDIO_TABLE_IDS) {
    const t = tables.get(id);
    if (t) lines.push(tableToMarkdown(t, AUDIO_DIGITS[id]), '');
  }
  if (figures.length) lines.push('## Figures', '', ...figures.map((f) => `![${f}](figures/${f}.png)`), '');
  return lines.join('\n');
}

export type { AudioCaptionRow };
