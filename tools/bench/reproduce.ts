// Benchmark of the main job: `npm run reproduce` (built-in world, mini scale, official variant)
// from an empty stage cache, timed per stage; target at most 15 minutes on the 2-core CPU.
// --quick runs the smoke scale instead, --seed N another seed (an unseen world). The tables go to
// results/world-<scale>[-seed<N>]/ as with `npm run reproduce` (the stage cache is a fresh
// temporary folder, removed afterwards, or DBRIDGE_BENCH_CACHE, kept, so an interrupted run can be
// resumed); the summary is copied to results/bench/.
// Records the machine's load: the CPU other processes took during the run, in cores
// (foreign-cpu.ts; above 0.25 the run is "under load" and its wall time overstates the job), the
// 1-minute load average sampled every 10 s (which counts the job's own two workers too), and this
// process's CPU time.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, resultsDirName } from '../../lib/experiments/config.ts';
import { reproduce } from '../../lib/experiments/run.ts';
import { backendName } from '../../lib/backend.ts';
import { REPO_ROOT } from '../../lib/util/provenance.ts';
import { sample as cpuSample, foreignCores, underLoad, QUIET_FOREIGN_CORES } from './foreign-cpu.ts';

export async function bench(opts: { quick: boolean; seed?: number }): Promise<Record<string, unknown>> {
  const scale = opts.quick ? 'smoke' : 'mini';
  const seed = opts.seed ?? 0;
  const cfg = resolveConfig({ dataset: 'world', scale, seed });
  const keep = process.env.DBRIDGE_BENCH_CACHE || null;
  const cacheRoot = keep ?? mkdtempSync(join(tmpdir(), 'dbridge-bench-cache-'));
  const outDir = join(REPO_ROOT, 'results', resultsDirName(cfg));
  const loads: number[] = [loadavg()[0]];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 10_000);
  sampler.unref();
  try {
    const t0 = Date.now(), c0 = process.cpuUsage(), s0 = cpuSample();
    const r = await reproduce({ cfg, backend: backendName(), outDir, cacheRoot });
    const seconds = (Date.now() - t0) / 1000, cpu = process.cpuUsage(c0), s1 = cpuSample();
    const others = s0 && s1 ? +foreignCores(s0, s1).toFixed(3) : null;
    // keep the run's summary beside the timing (results/bench/ is committed; results/world-*/ is not)
    copyFileSync(join(outDir, 'summary.md'), join(REPO_ROOT, 'results', 'bench', `reproduce-${scale}-summary.md`));
    const byStage: Record<string, number> = {};
    for (const e of r.pipeline.cache.events) byStage[e.stage] = +((byStage[e.stage] ?? 0) + e.seconds).toFixed(1);
    const meanLoad = loads.reduce((a, b) => a + b, 0) / loads.length;
    return {
      scale, seed, seconds: +seconds.toFixed(1), cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(1),
      targetSeconds: scale === 'mini' ? 900 : null, withinTarget: scale === 'mini' ? seconds <= 900 : null,
      load: {
        cores: cpus().length, otherProcessesCores: others, mean1m: +meanLoad.toFixed(2), max1m: +Math.max(...loads).toFixed(2),
        underLoad: underLoad([others], [meanLoad]), quietForeignCores: QUIET_FOREIGN_CORES,
      },
      secondsByStage: byStage, stages: r.pipeline.cache.events.length, cachedStages: r.pipeline.cache.events.filter((e) => e.cached).length,
      stageTimes: r.pipeline.cache.events.map((e) => ({ stage: e.stage, key: e.key, seconds: +e.seconds.toFixed(1) })),
    };
  } finally {
    clearInterval(sampler);
    if (!keep) rmSync(cacheRoot, { recursive: true, force: true });
  }
}
