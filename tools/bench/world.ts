// Benchmark of the built-in world's first stages (issue 4 target: world generation + encoder
// training + embedding <= 5 minutes on the 2-core CPU at the `mini` scale). Measures each stage's
// wall time and this process's CPU time (user + system: the figure that does not depend on what
// else the machine runs), then the encoder's test retrieval and the gap statistics of val.
// `quick` runs the same stages at the smoke scale. DBRIDGE_BENCH_KEEP=DIR keeps the world, encoder and
// embeddings in DIR (for figures) instead of a temporary folder that is removed.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { generateWorld, WORLD_FILES } from '../../lib/world/index.ts';
import { loadWorldEncoder, trainWorldEncoder } from '../../lib/world/encoder.ts';
import { loadKarpathy } from '../../lib/data/karpathy.ts';
import { embedDataset } from '../../lib/embed/embed.ts';
import { imageFolderLoader, karpathyEmbedSplits } from '../../lib/embed/sources.ts';
import { gapStatisticsFromDir } from '../../lib/embeddings/gap.ts';

const TARGET_SECONDS = 300;

async function timed<T>(f: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  const w0 = Date.now(), c0 = process.cpuUsage();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (Date.now() - w0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

export async function bench(opts: { quick: boolean }): Promise<Record<string, unknown>> {
  const scale = opts.quick ? 'smoke' : 'mini';
  const keep = process.env.DBRIDGE_BENCH_KEEP;
  const root = keep ?? join(tmpdir(), `dbridge-bench-world-${process.pid}`);
  const worldDir = join(root, 'world'), encDir = join(root, 'encoder'), embDir = join(root, 'embeddings');
  rmSync(root, { recursive: true, force: true });
  try {
    const world = await timed(() => generateWorld({ scale, seed: 0, domain: 'a', outDir: worldDir, quiet: true }));
    const train = await timed(() => trainWorldEncoder({ worldDir, outDir: encDir, seed: 0, quiet: true }));
    const embed = await timed(async () => {
      const encoder = await loadWorldEncoder(encDir);
      try {
        return await embedDataset({
          outDir: embDir, encoder, dataset: 'world-a', progress: false,
          splits: karpathyEmbedSplits(loadKarpathy(join(worldDir, WORLD_FILES.dataset), { dataset: 'world' })),
          loadMedia: imageFolderLoader(worldDir),
        });
      } finally {
        encoder.dispose();
      }
    });
    const gap = await timed(() => gapStatisticsFromDir(embDir, 'val'));
    const stages = { world, train, embed };
    const totalWall = world.wall + train.wall + embed.wall, totalCpu = world.cpu + train.cpu + embed.cpu;
    const r = train.value;
    return {
      scale,
      counts: world.value.counts,
      seconds: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, { wall: +v.wall.toFixed(1), cpu: +v.cpu.toFixed(1) }])),
      total: { wall: +totalWall.toFixed(1), cpu: +totalCpu.toFixed(1), targetSeconds: TARGET_SECONDS, withinTargetCpu: totalCpu <= TARGET_SECONDS, withinTargetWall: totalWall <= TARGET_SECONDS },
      encoder: { steps: r.step, finalLoss: r.loss, temperature: 1 / r.logitScale, stepsPerSecondWall: r.stepsPerSecond },
      retrieval: r.retrieval,
      gap: { split: 'val', raw: gap.value.raw, preprocessed: gap.value.preprocessed, centroid: gap.value.centroid, separability: gap.value.separability, seconds: +gap.wall.toFixed(1) },
    };
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}
