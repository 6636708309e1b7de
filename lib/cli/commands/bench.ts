// `dbridge bench` (npm run bench): runs the speed benchmarks in tools/bench/<area>.ts and writes
// results/bench/<area>.json with provenance. Speed targets live here, never in tests.
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand, didYouMean } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { checkOutputDir, writeJsonAtomic } from '../../util/fs.ts';
import { provenance, REPO_ROOT } from '../../util/provenance.ts';
import { DbridgeError } from '../../util/errors.ts';
import { cpus, totalmem } from 'node:os';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'tools', 'bench');

export function benchAreas(): string[] {
  return readdirSync(benchDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
}

const spec = defineCommand({
  name: 'bench',
  summary: 'run the speed benchmarks and write results/bench/<area>.json',
  usage: '[--only AREA,...] [--quick] [--seed N]',
  // --seed (a common option) reaches the areas that run a seeded job (reproduce: the world and every stage)
  description: 'Areas are the files of tools/bench/. Each result file records the machine, backend, package version and git commit.',
  options: [
    { name: 'only', type: 'list', help: 'run only these areas' },
    { name: 'quick', type: 'boolean', default: false, help: 'fewer repetitions (a smoke check of the harness)' },
    { name: 'out', type: 'string', default: join(REPO_ROOT, 'results', 'bench'), help: 'output folder' },
  ],
  check(args) {
    checkOutputDir(args.out, { what: '--out' });
  },
  async run(args) {
    const backend = await initBackend(args.backend);
    const areas = benchAreas();
    const only = args.only ?? areas;
    for (const a of only) if (!areas.includes(a)) throw new DbridgeError(`unknown bench area '${a}' (have: ${areas.join(', ')})${didYouMean(a, areas)}`);
    for (const area of only) {
      process.stderr.write(`bench: ${area}\n`);
      const mod = (await import(join(benchDir, area + '.ts'))) as { bench(o: { quick: boolean; seed: number }): Promise<Record<string, unknown>> };
      const t0 = Date.now();
      const results = await mod.bench({ quick: Boolean(args.quick), seed: args.seed ?? 0 });
      const out = {
        area,
        provenance: provenance(backend),
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1) },
        quick: Boolean(args.quick),
        seed: args.seed ?? 0,
        wallSeconds: (Date.now() - t0) / 1000,
        results,
      };
      writeJsonAtomic(join(args.out, `${area}.json`), out);
      console.log(JSON.stringify({ area, results }, null, 2));
    }
  },
});
export default spec;
