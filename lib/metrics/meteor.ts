// METEOR 1.5 through the user's meteor-1.5.jar, exactly as pycocoevalcap's meteor/meteor.py drives it:
// `java -jar -Xmx2G meteor-1.5.jar - - -stdio -l en -norm` (cwd = the jar's folder, so its data/ with
// paraphrase-en.gz is found; LC_ALL=C), one `SCORE ||| ref1 ||| ... ||| refN ||| hyp` line per image
// (the hypothesis with '|||' removed and double spaces collapsed once, as pycocoevalcap does), each
// answered by a statistics line, then one `EVAL ||| stats1 ||| ...` line answered by one score per
// image and the corpus score. Images are sent in sorted id order like pycocoevalcap; divergence: the
// per-image scores are given back to their own images (pycocoevalcap's COCOEvalCap pairs the sorted
// scores with unsorted ids).
import { dirname } from 'node:path';
import { DbridgeError } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import { LineProcess, checkJar } from './java.ts';

export interface MeteorJarOptions {
  jar: string;
  java?: string;   // default 'java'
  memory?: string; // -Xmx value, default '2G'
}

export interface MeteorResult {
  score: number;
  perImage: Float64Array;
}

/** Sort order of pycocoevalcap's sorted(ids) for numbers or strings (mixed: numbers first). */
export function sortedOrder(ids: (number | string)[]): number[] {
  const idx = ids.map((_, i) => i);
  return idx.sort((a, b) => {
    const x = ids[a], y = ids[b];
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function parseScore(line: string, what: string): number {
  const v = Number(line.trim());
  if (line.trim() === '' || !Number.isFinite(v)) throw new DbridgeError(`METEOR jar: expected a number for ${what}, got '${line.slice(0, 200)}'`);
  return v;
}

/** METEOR 1.5 via the jar; `ids` only fix the order in which images are sent. */
export async function meteorJar(refs: string[][], cands: string[], ids: (number | string)[], opts: MeteorJarOptions): Promise<MeteorResult> {
  const jar = checkJar(opts.jar, 'METEOR jar (meteor-1.5.jar)');
  const proc = new LineProcess(opts.java ?? 'java', ['-jar', `-Xmx${opts.memory ?? '2G'}`, jar, '-', '-', '-stdio', '-l', 'en', '-norm'], {
    cwd: dirname(jar),
    env: { ...process.env, LC_ALL: 'C' },
    what: 'METEOR jar',
  });
  try {
    const order = sortedOrder(ids);
    const stats: string[] = [];
    const progress = new Progress({ total: order.length, label: 'METEOR (jar)', unit: 'images' });
    for (const i of order) {
      const hyp = cands[i].split('|||').join('').split('  ').join(' ');
      proc.write(['SCORE', refs[i].join(' ||| '), hyp].join(' ||| '));
      stats.push((await proc.readLine()).trim());
      progress.update(stats.length);
    }
    progress.finish();
    proc.write(['EVAL', ...stats].join(' ||| '));
    const perImage = new Float64Array(cands.length);
    for (const i of order) perImage[i] = parseScore(await proc.readLine(), `image ${ids[i]}`);
    const score = parseScore(await proc.readLine(), 'the corpus score');
    return { score, perImage };
  } finally {
    proc.close();
  }
}
