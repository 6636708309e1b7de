// `npm run notebooks:strip`: removes outputs and execution counts from notebooks/*.ipynb before a commit.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/util/fs.ts';
import { REPO_ROOT } from '../../lib/util/provenance.ts';

const dir = join(REPO_ROOT, 'notebooks');
for (const f of readdirSync(dir).filter((x) => x.endsWith('.ipynb'))) {
  const nb = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  for (const c of nb.cells) if (c.cell_type === 'code') { c.outputs = []; c.execution_count = null; }
  writeFileAtomic(join(dir, f), JSON.stringify(nb, null, 1) + '\n');
}
