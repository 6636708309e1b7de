// What notebooks/07-audio-bridges.ipynb calls (it defines nothing): an audio session (backend +
// resolved audio config + cached AudioPipeline + result folder), one call per panel, the sound
// world's example clips and each method's captions for them. The scale comes from DBRIDGE_SCALE
// (the notebook runner sets `smoke` in CI; `mini` otherwise; notebook.ts's notebookScale), the dataset
// from DBRIDGE_AUDIO_DATASET (default sound). Results land where `npm run reproduce -- --dataset sound`
// writes them; stages show as notebook.ts's stage lines.
import { join, relative } from 'node:path';
import { initBackend } from '../backend.ts';
import { notebookScale, showScale, stageDisplay } from './notebook.ts';
import { resultsDirName, type ExperimentConfig } from './config.ts';
import { resolveAudioConfig, type AudioExperimentConfig } from './audio-config.ts';
import { AudioPipeline } from './audio-pipeline.ts';
import { AUDIO_CAPTIONING } from './audio-tables.ts';
import {
  type AudioRunContext, type TestViews, audioClaims, runAudioCaptioning, runAudioGap, runAudioRetrieval, testViews, writeAudioTable,
} from './audio-run.ts';
import type { ResultTable } from './report.ts';
import { readSoundWorldEntries } from '../world/sound/generate.ts';
import { REPO_ROOT } from '../util/provenance.ts';

export interface AudioSession {
  cfg: AudioExperimentConfig;
  backend: string;
  pipeline: AudioPipeline;
  ctx: AudioRunContext;
  tables: Map<string, ResultTable>;
  views?: TestViews;
}

export async function audioSession(opts: { dataset?: string; scale?: string; variant?: string; seed?: number } = {}): Promise<AudioSession> {
  const backend = await initBackend(undefined, { quiet: true });
  const cfg = resolveAudioConfig({
    dataset: opts.dataset ?? process.env.DBRIDGE_AUDIO_DATASET ?? 'sound',
    scale: opts.scale ?? notebookScale(),
    variant: opts.variant ?? process.env.DBRIDGE_VARIANT ?? 'official',
    seed: opts.seed ?? 0,
  });
  const outDir = join(REPO_ROOT, 'results', resultsDirName(cfg as unknown as ExperimentConfig));
  const cacheRoot = join(REPO_ROOT, 'data', 'cache');
  const pipeline = new AudioPipeline(cfg, cacheRoot, stageDisplay(cacheRoot));
  showScale(cfg.scale, `dataset ${cfg.dataset} · variant ${cfg.variant} · seed ${cfg.seed} · backend ${backend} · results in \`${relative(REPO_ROOT, outDir)}/\` · stage cache \`data/cache/\``);
  return { cfg, backend, pipeline, ctx: { cfg, backend, outDir }, tables: new Map() };
}

/** Runs (or reuses) one panel of the audio table, writes its files and returns it. */
export async function runAudioPanel(s: AudioSession, id: 'audio_captioning' | 'audio_gap' | 'audio_retrieval'): Promise<ResultTable> {
  if (id !== 'audio_captioning') s.views ??= await testViews(s.pipeline);
  const t = id === 'audio_captioning' ? await runAudioCaptioning(s.pipeline, s.ctx)
    : id === 'audio_gap' ? await runAudioGap(s.pipeline, s.ctx, s.views)
    : await runAudioRetrieval(s.pipeline, s.ctx, s.views);
  writeAudioTable(s.ctx.outDir, t);
  s.tables.set(id, t);
  return t;
}

/** The claims of the panels run so far (as in summary.md). */
export function audioSessionClaims(s: AudioSession): string[] {
  return audioClaims(s.tables, s.views ?? null, s.cfg.seed);
}

/** The first `n` test clips of the sound world: file, ground-truth events and the five references. */
export async function soundExamples(s: AudioSession, n = 3): Promise<{ file: string; events: string; captions: string[] }[]> {
  const w = await s.pipeline.world(s.cfg.domains.main);
  return readSoundWorldEntries(w.output.dir, 'dataset').filter((e) => e.split === 'test').slice(0, n).map((e) => ({
    file: join(w.output.dir, e.filepath, e.filename),
    events: `${e.scene.layout}: ${e.scene.events.map((v) => `${v.kind}${v.pitch ? ` (${v.pitch})` : ''}${v.direction ? ` (${v.direction})` : ''}, ${v.loudness}, x${v.count} at ${v.start.toFixed(2)} s`).join('; ')}`,
    captions: e.sentences.map((x) => x.raw),
  }));
}

/** Each method's caption for the first `n` test clips (markdown rows: method | captions). */
export async function methodCaptions(s: AudioSession, n = 3): Promise<string> {
  const lines = ['| method | ' + Array.from({ length: n }, (_, i) => `clip ${i}`).join(' | ') + ' |', `|---|${Array.from({ length: n }, () => '---').join('|')}|`];
  for (const run of AUDIO_CAPTIONING.runs) {
    const caps = (await s.pipeline.captionList(run)).slice(0, n);
    if (caps.length) lines.push(`| ${run.row} | ${caps.map((c) => c.caption.replace(/\|/g, '/')).join(' | ')} |`);
  }
  return lines.join('\n');
}
