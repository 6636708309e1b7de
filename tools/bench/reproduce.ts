// Benchmark of the main job: `npm run reproduce` (built-in world, mini scale, official variant)
// from an empty stage cache, timed per stage; target at most 15 minutes on the 2-core CPU.
// --quick runs the smoke scale instead. The tables go to results/world-<scale>/ as with
// `npm run reproduce` (the stage cache is a fresh temporary folder, removed afterwards).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../lib/experiments/config.ts';
import { reproduce } from '../../lib/experiments/run.ts';
import { backendName } from '../../lib/backend.ts';
import { REPO_ROOT } from '../../lib/util/provenance.ts';
import { copyFileSync } from 'node:fs';

export async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const scale = opts.quick ? 'smoke' : 'mini';
  const cacheRoot = mkdtempSync(join(tmpdir(), 'dbridge-bench-cache-'));
  const outDir = join(REPO_ROOT, 'results', `world-${scale}`);
  try {
    const t0 = Date.now();
    const r = await reproduce({ cfg: resolveConfig({ dataset: 'world', scale }), backend: backendName(), outDir, cacheRoot });
    const seconds = (Date.now() - t0) / 1000;
    // keep the run's summary beside the timing (results/bench/ is committed; results/world-*/ is not)
    copyFileSync(join(outDir, 'summary.md'), join(REPO_ROOT, 'results', 'bench', `reproduce-${scale}-summary.md`));
    const byStage: Record<string, number> = {};
    for (const e of r.pipeline.cache.events) byStage[e.stage] = +((byStage[e.stage] ?? 0) + e.seconds).toFixed(1);
    return { scale, seconds: +seconds.toFixed(1), targetSeconds: scale === 'mini' ? 900 : null, withinTarget: scale === 'mini' ? seconds <= 900 : null, secondsByStage: byStage, stages: r.pipeline.cache.events.length };
  } finally {
    rmSync(cacheRoot, { recursive: true, force: true });
  }
}
