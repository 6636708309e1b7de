// `npm run notebooks`: executes every notebook in notebooks/ headlessly with the project's tslab
// kernel (nbclient from Debian's python3-nbclient, run by /usr/bin/python3) and fails on any cell
// error. Executed copies go to results/notebooks/ (the committed notebooks stay without outputs).
// The scale comes from DBRIDGE_SCALE (default here: smoke, so CI stays fast).
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../lib/util/provenance.ts';
import { prepareKernel } from './kernelspec.ts';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const probe = spawnSync(python, ['-c', 'import nbclient, nbformat'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error('npm run notebooks needs nbclient for the system Python: `sudo apt-get install -y --no-install-recommends python3-nbclient` (Debian/Ubuntu) or `pip install nbclient`');
  process.exit(2);
}
const only = process.argv.slice(2);
const dir = join(REPO_ROOT, 'notebooks');
const notebooks = readdirSync(dir).filter((f) => f.endsWith('.ipynb')).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
if (notebooks.length === 0) { console.error('no notebooks to run'); process.exit(2); }
const jupyterPath = prepareKernel();
const env = { ...process.env, JUPYTER_PATH: jupyterPath, DBRIDGE_SCALE: process.env.DBRIDGE_SCALE ?? 'smoke' };
console.log(`running ${notebooks.length} notebook(s) at scale ${env.DBRIDGE_SCALE}`);
const r = spawnSync(python, [join(REPO_ROOT, 'tools', 'notebooks', 'exec.py'), join(REPO_ROOT, 'results', 'notebooks'), ...notebooks.map((f) => join(dir, f))], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
