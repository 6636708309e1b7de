// Benchmark of the built-in world's stages as the main job runs them (issue 11 budget: world
// generation of both domains + encoder training + embedding of both domains in about 4-5 minutes on
// the 2-core CPU at the `mini` scale): world a, world b (reusing a's pre-training split), the
// encoder, the embeddings of both domains. Measures each stage's wall time, this process's CPU time
// (user + system: the figure that does not depend on what else the machine runs) and the load
// average, then what the world is calibrated against (docs/world.md): the reference statistics of
// each domain's test split (random / most frequent train caption, verbatim fraction, a sixth
// annotator; lib/world/reference.ts) and the encoder's geometry on val (Table 1's column, raw
// cosine, centroid distance, spectrum) and test retrieval, each beside its target.
// `quick` runs the same stages at the smoke scale. DBRIDGE_BENCH_KEEP=DIR keeps the worlds, encoder
// and embeddings in DIR (for figures) instead of a temporary folder that is removed.
// --seed N measures another seed (default 0). The calibration table also goes to
// results/bench/world-calibration.md (docs/world.md quotes it).
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld, WORLD_FILES, referenceStatistics } from '../../lib/world/index.ts';
import { loadWorldEncoder, trainWorldEncoder } from '../../lib/world/encoder.ts';
import { loadKarpathy } from '../../lib/data/karpathy.ts';
import { embedDataset } from '../../lib/embed/embed.ts';
import { imageFolderLoader, karpathyEmbedSplits } from '../../lib/embed/sources.ts';
import { gapStatisticsFromDir } from '../../lib/embeddings/gap.ts';
import { CALIBRATION_TARGETS, calibrationMarkdown, calibrationReport } from '../../lib/world/calibration.ts';
import { DEFAULT_ARCH, DEFAULT_TRAIN } from '../../lib/world/encoder.ts';
import { backendName } from '../../lib/backend.ts';
import { provenance, REPO_ROOT } from '../../lib/util/provenance.ts';
import { writeFileAtomic } from '../../lib/util/fs.ts';

/** Where the calibration table is written (docs/world.md quotes it; test/world checks the quote). */
export const CALIBRATION_MD = join(REPO_ROOT, 'results', 'bench', 'world-calibration.md');

const TARGET_SECONDS = 300;

async function timed<T>(f: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number; load: number }> {
  const w0 = Date.now(), c0 = process.cpuUsage(), l0 = loadavg()[0];
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (Date.now() - w0) / 1000, cpu: (c.user + c.system) / 1e6, load: +((l0 + loadavg()[0]) / 2).toFixed(2) };
}

export async function bench(opts: { quick: boolean; seed?: number }): Promise<Record<string, unknown>> {
  const scale = opts.quick ? 'smoke' : 'mini';
  const seed = opts.seed ?? 0;
  const keep = process.env.DBRIDGE_BENCH_KEEP;
  const root = keep ?? join(tmpdir(), `dbridge-bench-world-${process.pid}`);
  const dirs = { a: join(root, 'world-a'), b: join(root, 'world-b'), encoder: join(root, 'encoder'), embA: join(root, 'embeddings-a'), embB: join(root, 'embeddings-b') };
  rmSync(root, { recursive: true, force: true });
  const embed = (worldDir: string, outDir: string, domain: string) => timed(async () => {
    const encoder = await loadWorldEncoder(dirs.encoder);
    try {
      return await embedDataset({
        outDir, encoder, dataset: `world-${domain}`, progress: false,
        splits: karpathyEmbedSplits(loadKarpathy(join(worldDir, WORLD_FILES.dataset), { dataset: 'world' })),
        loadMedia: imageFolderLoader(worldDir),
      });
    } finally {
      encoder.dispose();
    }
  });
  try {
    const worldA = await timed(() => generateWorld({ scale, seed, domain: 'a', outDir: dirs.a, quiet: true }));
    const worldB = await timed(() => generateWorld({ scale, seed, domain: 'b', outDir: dirs.b, quiet: true, pretrainFrom: dirs.a }));
    const train = await timed(() => trainWorldEncoder({ worldDir: dirs.a, outDir: dirs.encoder, seed, quiet: true }));
    const embedA = await embed(dirs.a, dirs.embA, 'a');
    const embedB = await embed(dirs.b, dirs.embB, 'b');
    const stages = { worldA, worldB, train, embedA, embedB };
    const totalWall = Object.values(stages).reduce((s, v) => s + v.wall, 0), totalCpu = Object.values(stages).reduce((s, v) => s + v.cpu, 0);
    const gap = gapStatisticsFromDir(dirs.embA, 'val');
    const references = { a: await referenceStatistics(dirs.a, { split: 'test', seed }), b: await referenceStatistics(dirs.b, { split: 'test', seed }) };
    const r = train.value;
    const calibration = calibrationReport({ gap, retrieval: r.retrieval ?? null, references });
    const p = provenance(backendName());
    const t = DEFAULT_TRAIN, a = DEFAULT_ARCH;
    mkdirSync(join(REPO_ROOT, 'results', 'bench'), { recursive: true });
    writeFileAtomic(CALIBRATION_MD, calibrationMarkdown(calibration, [
      `<!-- written by tools/bench/world.ts (npm run bench -- --only world); do not edit -->`,
      `Measured by \`npm run bench -- --only world\` at commit ${p.commit.slice(0, 12)}${p.dirty ? ' (uncommitted changes)' : ''} on ${p.date.slice(0, 10)}: ` +
      `scale ${scale}, seed ${seed}, backend ${p.backend}; encoder defaults: ${r.step} steps x ${t.batchSize} pairs, temperature ${t.fixedTemperature ?? 'learned'}, ` +
      `D ${a.dim}, width ${a.width}, head hidden ${a.headHidden || 'none (linear)'}. ` +
      `Reference statistics on each domain's test split; geometry on domain a's val split; R@1 on domain a's 500 test images.`,
    ].join('\n')));
    return {
      scale, seed,
      counts: { a: worldA.value.counts, b: worldB.value.counts },
      seconds: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, { wall: +v.wall.toFixed(1), cpu: +v.cpu.toFixed(1), load: v.load }])),
      total: { wall: +totalWall.toFixed(1), cpu: +totalCpu.toFixed(1), targetSeconds: TARGET_SECONDS, withinTargetCpu: totalCpu <= TARGET_SECONDS, withinTargetWall: totalWall <= TARGET_SECONDS },
      encoder: { steps: r.step, finalLoss: r.loss, temperature: 1 / r.logitScale, stepsPerSecondWall: r.stepsPerSecond },
      retrieval: r.retrieval,
      calibration,
      targets: CALIBRATION_TARGETS,
      gap: { split: 'val', raw: gap.raw, preprocessed: gap.preprocessed, centroid: gap.centroid, separability: gap.separability, panel: gap.panel },
      references: Object.fromEntries(Object.entries(references).map(([d, x]) => [d, {
        train: x.train, verbatim: x.verbatim, randomCaption: x.randomCaption.corpus, frequentCaption: { caption: x.frequentCaption.caption, count: x.frequentCaption.count, ...x.frequentCaption.corpus }, sixthAnnotator: x.sixthAnnotator?.corpus ?? null,
      }])),
    };
  } finally {
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}
