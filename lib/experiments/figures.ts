// Writes the reproduction's figures into <out>/figures/ (Vega-Lite spec, SVG, PNG each) from the
// tables of this run: M sweep, ablation, Table 1 cosines and their distributions, UMAP.
import { join } from 'node:path';
import type { Pipeline } from './pipeline.ts';
import type { RunContext } from './run.ts';
import type { ResultTable } from './report.ts';
import { saveFigure } from '../plots/vega.ts';
import { mSweepFigure, ablationFigure, cosineFigure, cosineDistributionFigure, umapFigure } from '../plots/figures.ts';
import { umapPoints } from './umap.ts';
import { loadSplit, loadMeans } from './data.ts';
import { readNpy } from '../io/npy.ts';
import { toFloat32 } from '../io/dtype.ts';
import { TABLE1_ROWS } from './tables.ts';

export async function umapFigureFor(p: Pipeline, ctx: RunContext, maxImages = 300) {
  const main = ctx.cfg.domains.main;
  const emb = await p.embeddings(main);
  const br = await p.bridged(main, main, 'val', p.M(main));
  const means = loadMeans(emb.output.dir);
  const points = umapPoints({ split: loadSplit(emb.output.dir, 'val'), textMean: means.text, imageMean: means.image, bridged: toFloat32(readNpy(br.output.file)), maxImages, seed: ctx.cfg.seed });
  return umapFigure(points, `UMAP of val embeddings: image, text and bridged image (${ctx.cfg.dataset}, M = ${p.M(main)})`);
}

/** Returns the names of the figures written. */
export async function writeFigures(p: Pipeline, ctx: RunContext, tables: Map<string, ResultTable>): Promise<string[]> {
  const dir = join(ctx.outDir, 'figures');
  const written: string[] = [];
  const save = async (name: string, spec: Record<string, unknown>) => { await saveFigure(spec, join(dir, name)); written.push(name); };
  const t1 = tables.get('table1'), t4 = tables.get('table4'), t5 = tables.get('table5');
  if (t5) await save('m_sweep', mSweepFigure({ ...t5, rows: t5.rows.filter((r) => /^M=\d+$/.test(r.id)) })); // the sweep itself, not the reference/oracle rows
  if (t4) await save('ablation', ablationFigure(t4));
  if (t1) {
    await save('table1_cosines', cosineFigure(t1));
    const samples = (t1.extra?.samples ?? null) as Record<string, number[]> | null;
    if (samples) await save('cosine_distributions', cosineDistributionFigure(samples, Object.fromEntries(TABLE1_ROWS.map((r) => [r.row, `(${r.row}) ${r.label}`]))));
    await save('umap', await umapFigureFor(p, ctx));
  }
  return written;
}
