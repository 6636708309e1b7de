// File helpers: atomic writes (write a temporary sibling, then rename) so an interrupted or failed
// run never leaves a half-written result nor destroys the previous one, for files and whole
// folders; checks of output paths made before any work starts (an output that is an input, that is
// a folder where a file is meant, or whose parent is not a writable folder); JSON reading with
// errors that name the file.
import {
  accessSync, constants, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DbridgeError } from './errors.ts';
import { LOCK_FILE, holdsFolderLock } from './lock.ts';

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  ensureDir(dirname(path));
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** The temporary sibling a folder is built in before `replaceFolder` moves it into place. */
export function tempSiblingOf(dir: string, tag = 'new'): string {
  const abs = resolve(dir);
  return join(dirname(abs), `.${basename(abs)}.${tag}-${process.pid}`);
}

/**
 * Removes temporary siblings of `dir` (`.NAME.new-PID`, `.NAME.old-PID`) left by processes that
 * were killed before they finished; those of live processes are kept.
 */
export function removeStaleSiblings(dir: string): void {
  const abs = resolve(dir);
  const parent = dirname(abs);
  if (!existsSync(parent)) return;
  const re = new RegExp(`^\\.${basename(abs).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(new|old)-(\\d+)$`);
  for (const f of readdirSync(parent)) {
    const m = re.exec(f);
    if (!m) continue;
    const pid = Number(m[2]);
    let alive = pid === process.pid;
    if (!alive) { try { process.kill(pid, 0); alive = true; } catch (e) { alive = (e as NodeJS.ErrnoException).code === 'EPERM'; } }
    if (!alive) rmSync(join(parent, f), { recursive: true, force: true });
  }
}

/**
 * Moves the finished folder `tmp` to `dir`, replacing what `dir` held only now that the new one is
 * complete (rename the old one aside, rename the new one in, delete the old). A lock file this
 * process holds in `dir` moves along, so the folder stays locked until released.
 */
export function replaceFolder(tmp: string, dir: string): void {
  const abs = resolve(dir);
  if (!existsSync(abs)) {
    ensureDir(dirname(abs));
    renameSync(tmp, abs);
    return;
  }
  if (holdsFolderLock(abs)) copyFileSync(join(abs, LOCK_FILE), join(tmp, LOCK_FILE));
  const old = tempSiblingOf(abs, 'old');
  rmSync(old, { recursive: true, force: true });
  renameSync(abs, old);
  try {
    renameSync(tmp, abs);
  } catch (e) {
    renameSync(old, abs);
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}

/**
 * Builds a folder atomically: `write(tmp)` fills a temporary sibling, which then replaces `dir`
 * (`replaceFolder`). When `write` throws, `dir` is left exactly as it was and the sibling is removed.
 */
export async function writeFolderAtomic<T>(dir: string, write: (tmp: string) => T | Promise<T>): Promise<T> {
  const tmp = tempSiblingOf(dir);
  rmSync(tmp, { recursive: true, force: true });
  ensureDir(tmp);
  try {
    const r = await write(tmp);
    replaceFolder(tmp, dir);
    return r;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** True when `dir` exists and holds anything besides lock and temporary files. */
export function folderHasContent(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return false;
  return readdirSync(dir).some((f) => f !== LOCK_FILE && !f.endsWith('.tmp'));
}

export function readJson<T = unknown>(path: string, what = 'JSON file'): T {
  requireFile(path, what);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new DbridgeError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Throws a one-line DbridgeError unless `path` is an existing file (not a folder). */
export function requireFile(path: string, what: string): void {
  if (!existsSync(path)) throw new DbridgeError(`${what} not found: ${path}`);
  if (statSync(path).isDirectory()) throw new DbridgeError(`${what} ${path} is a folder; a file is expected`);
}

/** Throws a one-line DbridgeError unless `path` is an existing folder. */
export function requireDir(path: string, what: string): void {
  if (!existsSync(path)) throw new DbridgeError(`${what} not found: ${path}`);
  if (!statSync(path).isDirectory()) throw new DbridgeError(`${what} ${path} is a file; a folder is expected`);
}

/** The canonical absolute path (symlinks resolved as far as the path exists). */
export function canonicalPath(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  return parent === abs ? abs : join(canonicalPath(parent), basename(abs));
}

export interface OutputCheck {
  /** The option or role naming the output in messages, e.g. '--output'. */
  what: string;
  /** The run's inputs by option name ('--input': path); undefined entries are skipped. */
  inputs?: Record<string, string | undefined>;
}

function checkParent(path: string, what: string): void {
  // the nearest existing ancestor must be a writable folder (missing folders below it are created)
  let p = dirname(resolve(path));
  while (!existsSync(p)) p = dirname(p);
  if (!statSync(p).isDirectory()) throw new DbridgeError(`${what} ${path}: ${p} is a file, not a folder`);
  try { accessSync(p, constants.W_OK); } catch { throw new DbridgeError(`${what} ${path}: the folder ${p} is not writable`); }
}

/**
 * Checks, before any work, that the output file `path` can be written without harm: it is not one
 * of the inputs, not a folder, and its parent is (or can be made in) a writable folder.
 */
export function checkOutputFile(path: string, opts: OutputCheck): void {
  if (path.trim() === '') throw new DbridgeError(`${opts.what}: the path is empty`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new DbridgeError(`${opts.what} ${path} is a folder; give a file path`);
  const me = canonicalPath(path);
  for (const [name, input] of Object.entries(opts.inputs ?? {})) {
    if (input !== undefined && canonicalPath(input) === me) {
      throw new DbridgeError(`${opts.what} ${path} is the same file as ${name}; writing it would destroy the input: choose another ${opts.what}`);
    }
  }
  checkParent(path, opts.what);
}

/**
 * Checks, before any work, that the output folder `path` can be written: not a file, its parent a
 * writable folder, and (when the run replaces it) not holding any input, which would go with it.
 */
export function checkOutputDir(path: string, opts: OutputCheck & { replaces?: boolean }): void {
  if (path.trim() === '') throw new DbridgeError(`${opts.what}: the path is empty`);
  if (existsSync(path) && !statSync(path).isDirectory()) throw new DbridgeError(`${opts.what} ${path} is a file; give a folder`);
  const me = canonicalPath(path);
  for (const [name, input] of Object.entries(opts.inputs ?? {})) {
    if (input === undefined) continue;
    const c = canonicalPath(input);
    if (c === me) throw new DbridgeError(`${opts.what} ${path} is the same folder as ${name}; choose another ${opts.what}`);
    if (opts.replaces && c.startsWith(me + '/')) throw new DbridgeError(`${opts.what} ${path} would be replaced, but ${name} ${input} lies inside it; choose another ${opts.what}`);
  }
  checkParent(join(path, 'x'), opts.what);
}
