// Example captions for the notebooks: the first k test images of the main domain, two of their
// references, and what each run (row of a table) wrote for them.
import type { Pipeline } from './pipeline.ts';
import type { TableRun } from './tables.ts';
import { loadSplit } from './data.ts';
import { readJson } from '../util/fs.ts';

export async function exampleCaptions(p: Pipeline, runs: readonly TableRun[], k = 4): Promise<string> {
  const main = p.cfg.domains.main;
  const emb = await p.embeddings(main);
  const test = p.limitSplit(loadSplit(emb.output.dir, 'test'), 'test');
  const byRun = new Map<string, Map<string | number, string>>();
  for (const run of runs) {
    const caps = await p.captions(main, main, run);
    const file = caps.output.file;
    byRun.set(run.row, new Map(file ? readJson<{ image_id: string | number; caption: string }[]>(file).map((c) => [c.image_id, c.caption]) : []));
  }
  const lines: string[] = [];
  for (const im of test.index.images.slice(0, k)) {
    lines.push(`**image ${im.image_id}** (${im.file})`, '');
    for (const r of im.text_rows.slice(0, 2)) lines.push(`- reference: ${test.index.texts[r].caption}`);
    for (const run of runs) lines.push(`- ${run.label}: *${byRun.get(run.row)?.get(im.image_id) ?? '–'}*`);
    lines.push('');
  }
  return lines.join('\n');
}
