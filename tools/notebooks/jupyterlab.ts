// Finding, installing and starting JupyterLab for the project's notebooks (used by `npm run lab`
// and the browser test under test/lab/). JupyterLab is a Python application: it is taken from
// DBRIDGE_JUPYTER (a `jupyter` executable), else the project's virtual environment `.venv/`, else a
// `jupyter` on PATH that has JupyterLab; `ensureJupyterLab({ install: true })` creates `.venv/` and
// installs it with pip when none is found. The server runs in the repository root with
// JUPYTER_PATH pointing at the project's kernelspec (kernelspec.ts); the kernel inherits the
// server's environment, so DBRIDGE_SCALE set here is the notebooks' scale.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DbridgeError } from '../../lib/util/errors.ts';
import { writeJsonAtomic } from '../../lib/util/fs.ts';
import { REPO_ROOT } from '../../lib/util/provenance.ts';

const SYSTEM_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function hasLab(jupyter: string): boolean {
  const r = spawnSync(jupyter, ['lab', '--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * .venv/ lies inside this package, whose package.json says "type": "module": Node would then read
 * the CommonJS scripts JupyterLab runs from the venv (its bundled yarn) as ES modules and fail
 * ("Fail to get yarn configuration"). A package.json in .venv/ marks them CommonJS again.
 */
function markVenvCommonJs(venv: string): void {
  const marker = join(venv, 'package.json');
  if (existsSync(venv) && !existsSync(marker)) writeJsonAtomic(marker, { type: 'commonjs', description: 'written by tools/notebooks/jupyterlab.ts: Node scripts in this Python environment are CommonJS' });
}

/** The `jupyter` executable with JupyterLab, or null. */
export function findJupyterLab(root = REPO_ROOT): string | null {
  const env = process.env.DBRIDGE_JUPYTER;
  if (env) {
    if (!hasLab(env)) throw new DbridgeError(`DBRIDGE_JUPYTER=${env}: \`${env} lab --version\` fails; point it at a jupyter that has JupyterLab`);
    return env;
  }
  const venv = join(root, '.venv', 'bin', 'jupyter');
  if (existsSync(venv) && hasLab(venv)) { markVenvCommonJs(join(root, '.venv')); return venv; }
  return hasLab('jupyter') ? 'jupyter' : null;
}

/**
 * pip's options for this machine: where pip is configured with a local package index (file://
 * index or find-links, as on the project's build machines), retrying the unreachable default
 * index would take minutes per package, so it is not retried.
 */
function pipFlags(pip: string): string[] {
  const r = spawnSync(pip, ['config', 'list'], { encoding: 'utf8' });
  const local = /file:\/\/|find-links/.test((r.stdout ?? '') + ' ' + (process.env.PIP_FIND_LINKS ?? ''));
  return local ? ['--retries', '0', '--timeout', '1'] : [];
}

/** Creates <root>/.venv with JupyterLab; returns its `jupyter`. */
export function installJupyterLab(root = REPO_ROOT, log: (line: string) => void = (l) => console.log(l)): string {
  const venv = join(root, '.venv');
  const pip = join(venv, 'bin', 'pip');
  if (!existsSync(pip)) {
    log(`creating the project's Python environment in .venv/ (${SYSTEM_PYTHON} -m venv) ...`);
    const r = spawnSync(SYSTEM_PYTHON, ['-m', 'venv', venv], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new DbridgeError(`could not create .venv with ${SYSTEM_PYTHON} -m venv (on Debian/Ubuntu: apt-get install python3-venv): ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    }
  }
  markVenvCommonJs(venv);
  log('installing JupyterLab into .venv/ (pip install jupyterlab) ...');
  const r = spawnSync(pip, ['install', '--disable-pip-version-check', '-q', ...pipFlags(pip), 'jupyterlab'], { encoding: 'utf8' });
  const jupyter = join(venv, 'bin', 'jupyter');
  if (r.status !== 0 || !hasLab(jupyter)) {
    throw new DbridgeError(`pip could not install JupyterLab into .venv/:\n${(r.stderr || r.stdout).trim().split('\n').filter((l) => !l.startsWith('WARNING: Location')).slice(-15).join('\n')}`);
  }
  log(`JupyterLab ${spawnSync(jupyter, ['lab', '--version'], { encoding: 'utf8' }).stdout.trim()} installed in .venv/`);
  return jupyter;
}

/** The `jupyter` to use; installs JupyterLab into .venv when asked and none is found. */
export function ensureJupyterLab(opts: { install: boolean; root?: string; log?: (line: string) => void }): string {
  const found = findJupyterLab(opts.root);
  if (found) return found;
  if (!opts.install) throw new DbridgeError('JupyterLab not found (DBRIDGE_JUPYTER, .venv/bin/jupyter, jupyter on PATH): `npm run lab` installs it into .venv/, or `pip install jupyterlab`');
  return installJupyterLab(opts.root, opts.log);
}

export interface LabOptions {
  jupyter: string;
  jupyterPath: string;
  port?: number;
  token?: string;
  openBrowser?: boolean;
  /** Lab user-settings folder (the browser test uses one with autosave off). */
  settingsDir?: string;
  workspacesDir?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: 'inherit' | 'pipe';
  extraArgs?: string[];
  root?: string;
}

/** Starts `jupyter lab` in the repository root. */
export function startJupyterLab(o: LabOptions): ChildProcess {
  const args = ['lab', `--ServerApp.root_dir=${o.root ?? REPO_ROOT}`, '--ContentsManager.hide_globs=__pycache__',
    '--ContentsManager.hide_globs=node_modules', '--ContentsManager.hide_globs=*.pyc'];
  if (o.port !== undefined) args.push(`--ServerApp.port=${o.port}`, '--ServerApp.port_retries=0');
  if (o.token !== undefined) args.push(`--IdentityProvider.token=${o.token}`);
  if (o.openBrowser === false) args.push('--no-browser');
  if (o.settingsDir) args.push(`--LabApp.user_settings_dir=${o.settingsDir}`);
  if (o.workspacesDir) args.push(`--LabApp.workspaces_dir=${o.workspacesDir}`);
  if (process.getuid?.() === 0) args.push('--allow-root');
  args.push(...(o.extraArgs ?? []));
  return spawn(o.jupyter, args, {
    cwd: o.root ?? REPO_ROOT,
    env: { ...process.env, ...o.env, JUPYTER_PATH: o.jupyterPath },
    stdio: o.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  });
}
