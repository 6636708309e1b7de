// Folder locks: `<dir>/.lock` holds the pid (and host, command, start time) of the process that
// writes into the folder, so two processes never train into one checkpoint folder or compute one
// cached stage at once. A lock whose holder is dead (killed, crashed, machine restarted) is taken
// over; a lock held by a live process is either refused (`lockFolder`, what trainers use) or waited
// for (`waitForFolderLock`, what the experiment stage cache uses). Locks are re-entrant within a
// process (a stage that trains into its own folder), and released on exit.
// Limits: liveness is checked with kill(pid, 0), so a lock written on another host (a shared
// filesystem) is treated as live, and the message says which file to remove if that host's process is gone.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DbridgeError } from './errors.ts';

export const LOCK_FILE = '.lock';

export interface LockHolder {
  pid: number;
  host?: string;
  command?: string;
  since?: string;
}

export interface FolderLock {
  readonly dir: string;
  /** Removes the lock (once the last re-entrant holder in this process releases it). */
  release(): void;
}

// locks this process holds: resolved dir -> re-entrancy count
const held = new Map<string, number>();
let exitHook = false;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Parses a lock file: JSON, or a bare pid (the stage cache's older format). Null when unreadable. */
function readHolder(file: string): LockHolder | null {
  let text: string;
  try { text = readFileSync(file, 'utf8').trim(); } catch { return null; }
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const j = JSON.parse(text) as LockHolder;
    return Number.isInteger(j?.pid) ? j : null;
  } catch { return null; }
}

/** True when `h` is a live process other than this one (or one on another host, which we cannot check). */
function live(h: LockHolder | null): h is LockHolder {
  if (!h || h.pid <= 0) return false;
  if (h.host && h.host !== hostname()) return true;
  return h.pid !== process.pid && alive(h.pid);
}

function describe(h: LockHolder, dir: string): string {
  const where = h.host && h.host !== hostname() ? ` on host ${h.host}` : '';
  const what = h.command ? ` (${h.command}${h.since ? `, since ${h.since}` : ''})` : '';
  return `process ${h.pid}${where}${what}; wait for it to finish, or remove ${join(dir, LOCK_FILE)} if that process is gone`;
}

function releaseAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const dir of held.keys()) {
      const h = readHolder(join(dir, LOCK_FILE));
      if (h?.pid === process.pid) rmSync(join(dir, LOCK_FILE), { force: true });
    }
    held.clear();
  });
}

function handle(dir: string): FolderLock {
  let released = false;
  return {
    dir,
    release() {
      if (released) return;
      released = true;
      const n = (held.get(dir) ?? 1) - 1;
      if (n > 0) { held.set(dir, n); return; }
      held.delete(dir);
      const h = readHolder(join(dir, LOCK_FILE));
      if (h?.pid === process.pid) rmSync(join(dir, LOCK_FILE), { force: true });
    },
  };
}

/**
 * One attempt to take `<dir>/.lock`: the lock, or the live process that holds it. A dead holder's
 * lock is moved aside atomically (rename) and removed; if a live process re-took it in between,
 * its lock is put back.
 */
function tryLock(dir: string, command: string): FolderLock | LockHolder {
  const abs = resolve(dir);
  const file = join(abs, LOCK_FILE);
  if (held.has(abs) && readHolder(file)?.pid === process.pid) {
    held.set(abs, held.get(abs)! + 1);
    return handle(abs);
  }
  mkdirSync(abs, { recursive: true });
  const me: LockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
      held.set(abs, 1);
      releaseAllOnExit();
      return handle(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const h = readHolder(file);
    if (live(h)) return h;
    // stale (dead holder, our own pid left by an earlier process, or unreadable): move it aside
    const aside = `${file}.stale-${process.pid}`;
    try { renameSync(file, aside); } catch { continue; }
    const moved = readHolder(aside);
    if (live(moved)) { try { linkSync(aside, file); } catch { /* a third process took it meanwhile */ } }
    rmSync(aside, { force: true });
  }
  throw new DbridgeError(`could not take the lock ${file}: it keeps changing hands`);
}

/**
 * Locks `dir` (created if missing) for this process, or throws a one-line DbridgeError naming the
 * live process that holds it. `command` is recorded in the lock (e.g. 'dbridge train-diffusion').
 */
export function lockFolder(dir: string, command = processCommand()): FolderLock {
  const r = tryLock(dir, command);
  if ('release' in r) return r;
  throw new DbridgeError(`${dir} is in use by ${describe(r, dir)}`);
}

/**
 * Waits while a live process holds `dir`'s lock (polling every `pollMs`), then takes it. Returns
 * null, without the lock, as soon as `until()` says the wait is over (e.g. the holder finished the work).
 */
export async function waitForFolderLock(dir: string, opts: {
  onWait?: (holder: LockHolder) => void; until?: () => boolean; pollMs?: number; command?: string;
} = {}): Promise<FolderLock | null> {
  let told = false;
  for (;;) {
    const r = tryLock(dir, opts.command ?? processCommand());
    if ('release' in r) return r;
    if (!told) { opts.onWait?.(r); told = true; }
    await new Promise((res) => setTimeout(res, opts.pollMs ?? 2000));
    if (opts.until?.()) return null;
  }
}

/** The live process holding `dir`'s lock, if any (ourselves excluded). */
export function folderLockHolder(dir: string): LockHolder | null {
  const h = readHolder(join(dir, LOCK_FILE));
  return live(h) ? h : null;
}

/** Whether this process holds `dir`'s lock. */
export function holdsFolderLock(dir: string): boolean {
  return held.has(resolve(dir)) && existsSync(join(dir, LOCK_FILE));
}

function processCommand(): string {
  const argv = process.argv.slice(2).filter((a) => !a.startsWith('-')).slice(0, 1);
  return ['dbridge', ...argv].join(' ');
}
