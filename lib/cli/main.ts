// dbridge command-line entry: `dbridge <command> [options]`. Finds the command in the registry
// (a mistyped name gets the nearest one), parses its options, runs it. A DbridgeError, or a file
// system error caused by a path the user gave (missing, a folder for a file, not writable), prints
// one line and exits 2; a bug prints its stack and exits 1. When the wrapper that started this process
// goes away (`npm run` or bin/dbridge.js killed), the command stops instead of running on orphaned.
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from './registry.ts';
import { parseArgs, helpText, didYouMean, wantsHelp, type CommandSpec } from './args.ts';
import { DbridgeError } from '../util/errors.ts';
import { packageVersion } from '../util/provenance.ts';

const here = dirname(fileURLToPath(import.meta.url));

function topHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `dbridge ${packageVersion()} — Diffusion Bridge in TypeScript`,
    '',
    'Usage: dbridge <command> [options]    (npm run dbridge -- <command> [options])',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}${existsSync(join(here, 'commands', COMMANDS[n].file + '.ts')) ? '' : ' (not yet available)'}`),
    '',
    'Run `dbridge <command> --help` (or -h) for the options of a command. Bad input exits with status 2 and one line.',
  ].join('\n');
}

/** Loads a command's spec by its name, with the nearest valid name when there is none. */
export async function loadCommand(name: string): Promise<CommandSpec> {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) throw new DbridgeError(`unknown command '${name}'${didYouMean(name, Object.keys(COMMANDS))}; run dbridge --help for the list`);
  const path = join(here, 'commands', entry.file + '.ts');
  if (!existsSync(path)) throw new DbridgeError(`command '${name}' is not available in this version`);
  return (await import(path)).default as CommandSpec;
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, a file is expected',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EEXIST: 'already exists',
  ENOTEMPTY: 'the folder is not empty',
  EMFILE: 'too many open files',
};

/**
 * A file system error (ENOENT, EISDIR, ENOSPC, ...) as a one-line DbridgeError naming the path when
 * Node gives it, or null for anything else. These come from paths and disks the user controls, not from bugs.
 */
export function fsErrorToDbridge(e: unknown): DbridgeError | null {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err !== 'object' || typeof err.code !== 'string' || !(err.code in FS_REASONS)) return null;
  const path = err.path ?? (err as { dest?: string }).dest;
  const where = [err.syscall, path].filter(Boolean).join(' ');
  return new DbridgeError(`${where ? `${where}: ` : ''}${FS_REASONS[err.code]} (${err.code})`);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] && !rest[0].startsWith('-')) { console.log(helpText(await loadCommand(rest[0]))); return 0; }
    console.log(topHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') { console.log(packageVersion()); return 0; }
  if (name.startsWith('-')) throw new DbridgeError(`expected a command before the options, got '${name}'; run dbridge --help for the list`);
  const spec = await loadCommand(name);
  if (wantsHelp(rest)) { console.log(helpText(spec)); return 0; }
  const args = parseArgs(spec, rest);
  if (args.quiet) process.env.DBRIDGE_QUIET = '1';
  try {
    await spec.run(args);
  } catch (e) {
    throw fsErrorToDbridge(e) ?? e;
  }
  return 0;
}

// The watchdog runs in a worker thread: the main thread may compute for minutes without yielding
// (a training step of the paper network), so a timer there would not fire. Plain JS (eval'd CommonJS).
const WATCHDOG = `
const { readFileSync, writeSync } = require('node:fs');
const { workerData: { parent, watched, pollMs } } = require('node:worker_threads');
const alive = (pid) => {
  try { process.kill(pid, 0); } catch (e) { if (e.code !== 'EPERM') return false; }
  try { const s = readFileSync('/proc/' + pid + '/stat', 'utf8'); return s[s.lastIndexOf(')') + 2] !== 'Z'; } catch { return true; }
};
setInterval(() => {
  const gone = process.ppid !== parent ? parent : watched.find((w) => !alive(w));
  if (gone === undefined) return;
  writeSync(2, '\\ndbridge: the wrapper that started this process (' + gone + ') is gone; stopping\\n');
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 10000);
}, pollMs);
`;

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function isNpm(pid: number): boolean {
  try {
    return /(^|[/\0])np[mx](\s|\0|$)|np[mx]-cli\.js/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * When dbridge runs under a wrapper (`npm run` starts it as npm -> sh -> node; bin/dbridge.js as
 * node -> node), stops it (SIGTERM, then SIGKILL after 10 s) once the wrapper is gone, so killing
 * the wrapper, even with SIGKILL, which it cannot forward, never leaves a worker training on,
 * orphaned (its folder lock is then taken over by the next run). Started directly (node, tsx,
 * nohup), nothing is watched. Returns the watched pids.
 */
export function exitWithWrapper(pollMs = 1000): number[] {
  if (!process.env.npm_lifecycle_event && !process.env.DBRIDGE_WRAPPED) return [];
  const parent = process.ppid;
  // under npm, watch every process up to npm itself (npm -> sh -> node: killing npm leaves sh waiting)
  const watched = [parent];
  if (process.env.npm_lifecycle_event) {
    let p: number | null = parent;
    for (let i = 0; i < 3 && p && p > 1 && !isNpm(p); i++) {
      p = parentOf(p);
      if (p && p > 1) watched.push(p);
    }
    if (!p || !isNpm(p)) watched.splice(1);
  }
  new Worker(WATCHDOG, { eval: true, workerData: { parent, watched, pollMs } }).unref();
  return watched;
}

const invoked = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked) {
  exitWithWrapper();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      const user = e instanceof DbridgeError ? e : fsErrorToDbridge(e);
      if (user) { console.error(`dbridge: error: ${user.message.replace(/\s*\n\s*/g, '; ')}`); process.exit(2); }
      console.error(e);
      process.exit(1);
    },
  );
}
