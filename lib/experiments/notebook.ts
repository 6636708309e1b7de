// What the notebooks call: a session (backend + resolved config + cached pipeline + result folder)
// and one function per table, so each notebook is markdown plus one call per step. The scale comes
// from DBRIDGE_SCALE (the notebook runner sets `smoke` in CI; `mini` otherwise), the dataset from
// DBRIDGE_DATASET (default world).
import { join } from 'node:path';
import { initBackend } from '../backend.ts';
import { resolveConfig, resultsDirName, type ExperimentConfig } from './config.ts';
import { Pipeline } from './pipeline.ts';
import { runTable1, runCaptionTable, runCost, type RunContext, type TableId } from './run.ts';
import { TABLE2, TABLE3, TABLE4, TABLE5 } from './tables.ts';
import { writeResultTable, type ResultTable } from './report.ts';
import { REPO_ROOT } from '../util/provenance.ts';

export interface Session {
  cfg: ExperimentConfig;
  backend: string;
  pipeline: Pipeline;
  ctx: RunContext;
}

export async function notebookSession(opts: { dataset?: string; scale?: string; variant?: string; seed?: number } = {}): Promise<Session> {
  const backend = await initBackend(undefined, { quiet: true });
  const cfg = resolveConfig({
    dataset: opts.dataset ?? process.env.DBRIDGE_DATASET ?? 'world',
    scale: opts.scale ?? process.env.DBRIDGE_SCALE ?? 'mini',
    variant: opts.variant ?? process.env.DBRIDGE_VARIANT ?? 'official',
    seed: opts.seed ?? 0,
    denoiser: process.env.DBRIDGE_DENOISER,
  });
  const outDir = join(REPO_ROOT, 'results', resultsDirName(cfg, process.env.DBRIDGE_DENOISER));
  const pipeline = new Pipeline(cfg, join(REPO_ROOT, 'data', 'cache'), (l) => { if (l.includes('running') || l.includes('done')) console.log(l); });
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
