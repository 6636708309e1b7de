// dbridge command-line entry: `dbridge <command> [options]`. Finds the command in the registry
// (a mistyped name gets the nearest one), parses its options, runs it. A DbridgeError, or a file
// system error caused by a path the user gave (missing, a folder for a file, not writable), prints
// one line and exits 2; a bug prints its stack and exits 1. When the process that started this one
// goes away (the `npm run` wrapper killed), the command stops instead of running on orphaned.
import { existsSync } from 'node:fs';
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
 * A file system error about a path (ENOENT, EISDIR, ENOSPC, ...) as a one-line DbridgeError, or
 * null for anything else. These come from paths and disks the user controls, not from bugs.
 */
export function fsErrorToDbridge(e: unknown): DbridgeError | null {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err !== 'object' || typeof err.code !== 'string' || !(err.code in FS_REASONS)) return null;
  const path = err.path ?? (err as { dest?: string }).dest;
  if (!path) return null;
  return new DbridgeError(`${err.syscall ? `${err.syscall} ` : ''}${path}: ${FS_REASONS[err.code]} (${err.code})`);
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

/**
 * Exits (status 129, as after SIGHUP) once the process that started this one is gone: `npm run`
 * and `npx` start dbridge through wrappers, and killing a wrapper must not leave a worker training
 * on. Exit handlers still run, so folder locks are released.
 */
export function exitWithParent(pollMs = 1000): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      process.stderr.write(`\ndbridge: the process that started this one (${parent}) is gone; stopping\n`);
      process.exit(129);
    }
  }, pollMs);
  timer.unref();
  for (const sig of ['SIGHUP'] as const) process.once(sig, () => { process.stderr.write(`\ndbridge: ${sig}; stopping\n`); process.exit(129); });
}

const invoked = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked) {
  exitWithParent();
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
