// What the notebooks call: a session (backend + resolved config + cached pipeline + result folder)
// and one function per table, so each notebook is markdown plus one call per step. The scale comes
// from DBRIDGE_SCALE (default `mini`; the notebook runner and CI set `smoke`), the dataset from
// DBRIDGE_DATASET (default world). The session says at the top which scale is in effect, warns at
// smoke scale that the numbers exercise code paths rather than measure anything, and reports each
// pipeline stage on one line that updates in place: running (with elapsed time), computed, or
// reused from its cache folder.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { initBackend } from '../backend.ts';
import { resolveConfig, resultsDirName, type ExperimentConfig } from './config.ts';
import { Pipeline } from './pipeline.ts';
import { runTable1, runCaptionTable, runCost, type RunContext, type TableId } from './run.ts';
import { TABLE2, TABLE3, TABLE4, TABLE5 } from './tables.ts';
import { tableToMarkdown, writeResultTable, type ResultTable } from './report.ts';
import { REPO_ROOT } from '../util/provenance.ts';
import { readJson } from '../util/fs.ts';
import { StatusLine, formatSeconds } from '../util/progress.ts';
import { LOCK_FILE } from '../util/lock.ts';
import { jupyterOutput, escapeHtml, type MimeBundle } from '../util/jupyter.ts';

export interface Session {
  cfg: ExperimentConfig;
  backend: string;
  pipeline: Pipeline;
  ctx: RunContext;
}

/** The scale notebooks run at: DBRIDGE_SCALE, else mini. */
export function notebookScale(): string {
  return process.env.DBRIDGE_SCALE ?? 'mini';
}

const SMOKE_NOTE = 'Smoke scale: every stage runs for a few steps on a toy-sized world (the encoder retrieves at ' +
  'chance), which exercises the code paths in seconds; the numbers are not results and say nothing about the method. ' +
  'For results, start JupyterLab without DBRIDGE_SCALE (mini, the default) or with DBRIDGE_SCALE=mini.';

/** Shows markdown (rendered in a notebook, with a plain-text copy); prints it outside notebooks. */
export function showMarkdown(markdown: string, html?: string): void {
  const out = jupyterOutput();
  if (!out) { console.log(markdown); return; }
  const bundle: MimeBundle = { 'text/markdown': markdown, 'text/plain': markdown };
  if (html) bundle['text/html'] = html;
  out.display(bundle);
}

/** The visible note that smoke-scale numbers are not science (nothing at other scales). */
export function showScaleNote(scale: string): void {
  if (scale !== 'smoke') return;
  showMarkdown(`> ⚠ ${SMOKE_NOTE}`,
    `<div style="border-left: 4px solid #e0a000; background: rgba(224,160,0,0.12); padding: 6px 10px; margin: 4px 0">⚠ ${escapeHtml(SMOKE_NOTE)}</div>`);
}

/** Prints the scale in effect and where it comes from, with the smoke note when it applies. */
export function showScale(scale: string, extra = ''): void {
  const source = process.env.DBRIDGE_SCALE ? 'from DBRIDGE_SCALE' : 'the default; set DBRIDGE_SCALE=smoke|mini before starting JupyterLab to change it';
  showMarkdown(`**Scale: ${scale}** (${source})${extra ? ' · ' + extra : ''}`);
  showScaleNote(scale);
}

/**
 * A pipeline log for notebooks (lib/experiments/cache.ts's lines): one updating line per stage,
 * "running" with its elapsed time, then "computed in ..." or "reused from <cache folder>".
 */
export function stageDisplay(cacheRoot: string): (line: string) => void {
  const rel = (p: string) => relative(REPO_ROOT, p) || p;
  const running = new Map<string, { status: StatusLine; dir: string; timer: NodeJS.Timeout }[]>();
  const live = jupyterOutput() !== null; // elsewhere (a script) a ticking line would print every second
  return (line: string) => {
    const done = /^\[stage\] (\S+): done in ([\d.]+) s$/.exec(line);
    if (done) {
      const r = running.get(done[1])?.shift();
      if (!r) return;
      clearInterval(r.timer);
      r.status.set(`✓ ${done[1]}: computed in ${formatSeconds(Number(done[2]))} → ${rel(r.dir)}`);
      return;
    }
    const m = /^\[stage\] (\S+): (running|cached) \((.+)\)$/.exec(line);
    if (!m) { console.log(line); return; }
    const [, name, what, key] = m;
    const dir = join(cacheRoot, key);
    const status = new StatusLine();
    if (what === 'cached') {
      const marker = join(dir, 'done.json');
      const secs = existsSync(marker) ? readJson<{ seconds?: number }>(marker, 'stage marker').seconds : undefined;
      status.set(`✓ ${name}: reused from ${rel(dir)}${secs !== undefined ? ` (computed earlier in ${formatSeconds(secs)})` : ''}`);
      return;
    }
    // Running: the elapsed time ticks whenever the stage yields to the event loop; a stage that
    // fails logs no "done", and its lock (released by the cache either way) tells the timer it ended.
    const t0 = Date.now();
    const lock = join(dir, LOCK_FILE);
    status.set(`… ${name}: running (${rel(dir)})`);
    const entry = { status, dir, timer: setInterval(() => {
      const el = formatSeconds((Date.now() - t0) / 1000);
      if (existsSync(lock)) { if (live) status.set(`… ${name}: running ${el} (${rel(dir)})`); return; }
      clearInterval(entry.timer);
      const list = running.get(name);
      if (list?.includes(entry)) { list.splice(list.indexOf(entry), 1); status.set(`✗ ${name}: stopped after ${el} (${rel(dir)})`); }
    }, 1000) };
    entry.timer.unref();
    running.set(name, [...(running.get(name) ?? []), entry]);
  };
}

export async function notebookSession(opts: { dataset?: string; scale?: string; variant?: string; seed?: number } = {}): Promise<Session> {
  const backend = await initBackend(undefined, { quiet: true });
  const cfg = resolveConfig({
    dataset: opts.dataset ?? process.env.DBRIDGE_DATASET ?? 'world',
    scale: opts.scale ?? notebookScale(),
    variant: opts.variant ?? process.env.DBRIDGE_VARIANT ?? 'official',
    seed: opts.seed ?? 0,
    denoiser: process.env.DBRIDGE_DENOISER,
  });
  const outDir = join(REPO_ROOT, 'results', resultsDirName(cfg, process.env.DBRIDGE_DENOISER));
  const cacheRoot = join(REPO_ROOT, 'data', 'cache');
  const pipeline = new Pipeline(cfg, cacheRoot, stageDisplay(cacheRoot));
  showScale(cfg.scale, `dataset ${cfg.dataset} · variant ${cfg.variant} · seed ${cfg.seed} · backend ${backend} · results in \`${relative(REPO_ROOT, outDir)}/\` · stage cache \`data/cache/\``);
  return { cfg, backend, pipeline, ctx: { cfg, backend, outDir } };
}

/** Runs (or reuses) one table, writes its result files and returns it. */
export async function runTable(s: Session, id: TableId): Promise<ResultTable> {
  const t = id === 'table1' ? await runTable1(s.pipeline, s.ctx)
    : id === 'table2' ? await runCaptionTable(s.pipeline, s.ctx, TABLE2)
    : id === 'table3' ? await runCaptionTable(s.pipeline, s.ctx, TABLE3)
    : id === 'table4' ? await runCaptionTable(s.pipeline, s.ctx, TABLE4)
    : id === 'table5' ? await runCaptionTable(s.pipeline, s.ctx, TABLE5)
    : await runCost(s.pipeline, s.ctx);
  writeResultTable(s.ctx.outDir, t);
  return t;
}

/** Shows a result table (ours beside the paper's) as markdown, with the smoke note at smoke scale. */
export function showTable(t: ResultTable, digits?: number): void {
  showScaleNote(t.scale);
  showMarkdown(tableToMarkdown(t, digits));
}
