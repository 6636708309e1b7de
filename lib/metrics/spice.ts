// SPICE 1.0 through the user's spice-1.0.jar, as pycocoevalcap's spice/spice.py runs it: a JSON list
// [{"image_id", "test", "refs"}] in sorted id order written to a temporary file, then
// `java -jar -Xmx8G spice-1.0.jar IN -cache CACHE -out OUT -subset -silent` (cwd = the jar's folder),
// the corpus score = numpy mean of each image's scores.All.f (NaN where SPICE gives none), per image
// All.f. Divergence: per-image scores are given back to their own images (see meteor.ts) and the
// cache defaults to <jar folder>/cache (pycocoevalcap: its module folder).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DbridgeError } from '../util/errors.ts';
import { ensureDir } from '../util/fs.ts';
import { checkJar, runToEnd } from './java.ts';
import { sortedOrder } from './meteor.ts';
import { npMean } from './numeric.ts';
import { logLine } from '../util/progress.ts';

export interface SpiceJarOptions {
  jar: string;
  java?: string;
  memory?: string; // default '8G'
  cacheDir?: string;
}

export interface SpiceResult {
  score: number;
  perImage: Float64Array;
  /** SPICE's full per-image breakdown (categories -> {pr, re, f, ...}), as the jar wrote it. */
  details: unknown[];
}

const toFloat = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : NaN);

export async function spiceJar(refs: string[][], cands: string[], ids: (number | string)[], opts: SpiceJarOptions): Promise<SpiceResult> {
  const jar = checkJar(opts.jar, 'SPICE jar (spice-1.0.jar)');
  const order = sortedOrder(ids);
  const tmp = mkdtempSync(join(tmpdir(), 'dbridge-spice-'));
  try {
    const inFile = join(tmp, 'input.json');
    const outFile = join(tmp, 'output.json');
    writeFileSync(inFile, JSON.stringify(order.map((i) => ({ image_id: ids[i], test: cands[i], refs: refs[i] })), null, 2));
    const cache = opts.cacheDir ?? join(dirname(jar), 'cache');
    ensureDir(cache);
    logLine(`SPICE (jar): parsing and scoring ${order.length} images; this can take minutes`);
    const t0 = Date.now();
    await runToEnd(opts.java ?? 'java', ['-jar', `-Xmx${opts.memory ?? '8G'}`, jar, inFile, '-cache', cache, '-out', outFile, '-subset', '-silent'], { cwd: dirname(jar), what: 'SPICE jar' });
    logLine(`SPICE (jar): done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    let results: unknown;
    try {
      results = JSON.parse(readFileSync(outFile, 'utf8'));
    } catch (e) {
      throw new DbridgeError(`SPICE jar wrote no readable output: ${(e as Error).message}`);
    }
    if (!Array.isArray(results)) throw new DbridgeError('SPICE jar output is not a list');
    const byId = new Map<string, { f: number; scores: unknown }>();
    const fs: number[] = [];
    for (const item of results as Array<Record<string, unknown>>) {
      const scores = item?.scores as Record<string, Record<string, unknown>> | undefined;
      const f = toFloat(scores?.All?.f);
      fs.push(f);
      byId.set(String(item?.image_id), { f, scores });
    }
    const perImage = new Float64Array(cands.length);
    const details: unknown[] = [];
    for (let i = 0; i < ids.length; i++) {
      const r = byId.get(String(ids[i]));
      if (!r) throw new DbridgeError(`SPICE jar output has no entry for image ${ids[i]}`);
      perImage[i] = r.f;
      details.push(r.scores);
    }
    return { score: npMean(fs), perImage, details };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
