// What every result file records about the code that produced it: package version, git commit
// (and whether the tree had uncommitted changes), backend, Node version, time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let version: string | null = null;
export function packageVersion(): string {
  if (!version) version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

let commit: { commit: string; dirty: boolean } | null = null;
export function gitCommit(): { commit: string; dirty: boolean } {
  if (commit) return commit;
  try {
    const c = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'lib'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    commit = { commit: c, dirty: status.trim().length > 0 };
  } catch {
    commit = { commit: 'unknown', dirty: false };
  }
  return commit;
}

let device: string | null = null;
/** Called by initBackend: the accelerator the backend runs on (the WebGPU adapter), recorded in results. */
export function recordDevice(d: string | null): void { device = d; }

export interface Provenance {
  package: string;
  version: string;
  commit: string;
  dirty: boolean;
  backend: string;
  /** The WebGPU adapter when the backend is webgpu. */
  device?: string;
  node: string;
  date: string;
}

export function provenance(backend: string): Provenance {
  const g = gitCommit();
  return { package: 'dbridge', version: packageVersion(), commit: g.commit, dirty: g.dirty, backend, ...(device ? { device } : {}), node: process.version, date: new Date().toISOString() };
}
