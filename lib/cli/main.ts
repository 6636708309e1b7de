// dbridge command-line entry: `dbridge <command> [options]`. Finds the command in the registry,
// parses its options, runs it; a DbridgeError prints one line and exits 2, a bug prints its stack
// and exits 1.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from './registry.ts';
import { parseArgs, helpText, type CommandSpec } from './args.ts';
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
    'Run `dbridge <command> --help` for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { console.log(topHelp()); return 0; }
  if (name === '--version') { console.log(packageVersion()); return 0; }
  const entry = COMMANDS[name];
  if (!entry) throw new DbridgeError(`unknown command '${name}'; run dbridge --help for the list`);
  const path = join(here, 'commands', entry.file + '.ts');
  if (!existsSync(path)) throw new DbridgeError(`command '${name}' is not available in this version`);
  const spec = (await import(path)).default as CommandSpec;
  const args = parseArgs(spec, rest);
  if (args.help) { console.log(helpText(spec)); return 0; }
  if (args.quiet) process.env.DBRIDGE_QUIET = '1';
  await spec.run(args);
  return 0;
}

const invoked = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof DbridgeError) { console.error(`dbridge: error: ${e.message}`); process.exit(2); }
      console.error(e);
      process.exit(1);
    },
  );
}
