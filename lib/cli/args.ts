// Command-line options shared by every dbridge command, declared once: each command lists its
// options (name, type, default, range, choices, help) and `defineCommand` infers the type of the
// parsed arguments from that list, so commands read `args.batchSize` as a number without casts.
// The parser refuses, with one line naming the option, anything it does not understand: an unknown
// option (with the nearest valid name), a missing value (`--output --quiet`), an option given twice,
// a number that is not plain decimal (`0x258`, `6e2` for an integer, an empty `--steps=`), a value
// out of range, a choice not offered. `--help` / `-h` print the generated help.
import { DbridgeError } from '../util/errors.ts';

export type OptionType = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'intlist';

export type OptionValue = string | number | boolean | readonly string[] | readonly number[];

export interface OptionSpec {
  /** Long name without dashes, kebab-case (e.g. 'dim-mults'); the parsed key is camelCase ('dimMults'). */
  name: string;
  type: OptionType;
  help: string;
  default?: OptionValue;
  required?: boolean;
  /** Allowed values of a 'string' option (or of each element of a 'list'). */
  choices?: readonly string[];
  /** Inclusive bounds of an 'int' / 'number' option (or of each element of an 'intlist'). */
  min?: number;
  max?: number;
  /** Exclusive lower bound of a 'number' option (a learning rate: > 0). */
  above?: number;
}

/** Options every command accepts. */
export const COMMON_OPTIONS = [
  { name: 'seed', type: 'int', default: 0, min: 0, help: 'random seed (every run is seeded)' },
  { name: 'backend', type: 'string', help: 'tensor backend: auto | tensorflow | webgpu | wasm | cpu (default: env DBRIDGE_BACKEND or auto)' },
  { name: 'quiet', type: 'boolean', default: false, help: 'no progress output' },
  { name: 'help', type: 'boolean', default: false, help: 'show this help (also -h)' },
] as const satisfies readonly OptionSpec[];

// ---- types inferred from a declaration --------------------------------------------------------

/** 'dim-mults' -> 'dimMults' (the key of an option in the parsed arguments). */
export type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

type Choice<O> = O extends { choices: readonly (infer C extends string)[] } ? C : string;

/** The parsed type of one option. */
export type ValueOf<O extends OptionSpec> =
  O['type'] extends 'string' ? Choice<O>
  : O['type'] extends 'int' | 'number' ? number
  : O['type'] extends 'boolean' ? boolean
  : O['type'] extends 'list' ? Choice<O>[]
  : number[];

/** Options that always have a value after parsing: required, defaulted, or boolean. */
type Always<O> = O extends { required: true } ? true : O extends { default: OptionValue } ? true : O extends { type: 'boolean' } ? true : false;

/** The parsed arguments of a command whose options are `Os` (plus the common options). */
export type ArgsOf<Os extends readonly OptionSpec[]> = {
  readonly [O in Os[number] | (typeof COMMON_OPTIONS)[number] as Camel<O['name']>]: Always<O> extends true ? ValueOf<O> : ValueOf<O> | undefined;
};

/** A command as the registry and `main` see it (argument types erased). */
export interface CommandSpec {
  name: string;
  summary: string;
  usage?: string;           // e.g. '--input X.npy --output Y.npy'
  description?: string;     // longer text for --help
  options: readonly OptionSpec[];
  /** Checks between options (steps <= M, exclusive flags), run after parsing, before any work. */
  check?(args: ParsedArgs): void;
  run(args: ParsedArgs): Promise<void>;
}

export type ParsedArgs = Readonly<Record<string, OptionValue | undefined>>;

/** A command whose `check` and `run` get arguments typed from its option list. */
export interface CommandDef<Os extends readonly OptionSpec[]> {
  name: string;
  summary: string;
  usage?: string;
  description?: string;
  options: Os;
  check?(args: ArgsOf<Os>): void;
  run(args: ArgsOf<Os>): Promise<void>;
}

/** Declares a command; the argument types of `check` and `run` are inferred from `options`. */
export function defineCommand<const Os extends readonly OptionSpec[]>(def: CommandDef<Os>): CommandSpec & { options: Os } {
  // parseArgs produces exactly the declared keys and types (checked by test/cli/args.test.ts)
  return def as unknown as CommandSpec & { options: Os };
}

// ---- parsing -----------------------------------------------------------------------------------

export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Damerau-Levenshtein distance (adjacent transpositions count 1): 'brige' -> 'bridge' is 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The valid names closest to `typed` (at most 3), or none when nothing is close. */
export function nearestNames(typed: string, names: readonly string[]): string[] {
  const t = typed.toLowerCase();
  const limit = Math.max(1, Math.floor(t.length / 3));
  const scored = names.map((n) => {
    const l = n.toLowerCase();
    const d = editDistance(t, l);
    const prefix = t.length >= 3 && (l.startsWith(t) || t.startsWith(l));
    return { n, d, ok: d <= limit || prefix };
  }).filter((x) => x.ok);
  scored.sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  return scored.slice(0, 3).map((x) => x.n);
}

/** ' (did you mean X?)' or ''. */
export function didYouMean(typed: string, names: readonly string[], prefix = ''): string {
  const near = nearestNames(typed, names);
  return near.length ? ` (did you mean ${near.map((n) => prefix + n).join(', ')}?)` : '';
}

const INT = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseInteger(flag: string, raw: string): number {
  if (!INT.test(raw)) throw new DbridgeError(`${flag}: expected an integer (digits only), got '${raw}'`);
  const v = Number(raw);
  if (!Number.isSafeInteger(v)) throw new DbridgeError(`${flag}: ${raw} is too large`);
  return v;
}

function checkRange(o: OptionSpec, flag: string, v: number): void {
  if (o.above !== undefined && !(v > o.above)) throw new DbridgeError(`${flag} must be > ${o.above}, got ${v}`);
  if (o.type !== 'number' && o.max === undefined && (o.min === 0 || o.min === 1) && v < o.min) {
    throw new DbridgeError(`${flag} must be a ${o.min === 1 ? 'positive' : 'non-negative'} integer, got ${v}`);
  }
  if (o.min !== undefined && v < o.min) throw new DbridgeError(`${flag} must be ${o.max !== undefined ? `in [${o.min}, ${o.max}]` : `>= ${o.min}`}, got ${v}`);
  if (o.max !== undefined && v > o.max) throw new DbridgeError(`${flag} must be ${o.min !== undefined ? `in [${o.min}, ${o.max}]` : `<= ${o.max}`}, got ${v}`);
}

function checkChoice(o: OptionSpec, flag: string, v: string): void {
  if (o.choices && !o.choices.includes(v)) throw new DbridgeError(`${flag}: '${v}' is not one of ${o.choices.join(', ')}${didYouMean(v, o.choices)}`);
}

/** Converts the text of one option value, with a one-line error naming the option. */
export function convertValue(o: OptionSpec, raw: string): OptionValue {
  const flag = `--${o.name}`;
  switch (o.type) {
    case 'string':
      if (raw === '') throw new DbridgeError(`${flag}: the value is empty`);
      checkChoice(o, flag, raw);
      return raw;
    case 'int': {
      const v = parseInteger(flag, raw);
      checkRange(o, flag, v);
      return v;
    }
    case 'number': {
      if (!DECIMAL.test(raw)) throw new DbridgeError(`${flag}: expected a decimal number (e.g. 0.5 or 2e-5), got '${raw}'`);
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new DbridgeError(`${flag}: ${raw} is out of range`);
      checkRange(o, flag, v);
      return v;
    }
    case 'boolean':
      if (['true', '1', 'yes'].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      throw new DbridgeError(`${flag}: expected true or false, got '${raw}'`);
    case 'list': {
      const parts = raw.split(',').map((s) => s.trim());
      if (parts.some((s) => s === '')) throw new DbridgeError(`${flag}: expected a comma-separated list without empty entries, got '${raw}'`);
      for (const p of parts) checkChoice(o, flag, p);
      return parts;
    }
    case 'intlist': {
      const parts = raw.split(',').map((s) => s.trim());
      const vs = parts.map((p) => {
        if (!INT.test(p)) throw new DbridgeError(`${flag}: expected a comma-separated list of integers, got '${raw}'`);
        return parseInteger(flag, p);
      });
      for (const v of vs) checkRange(o, flag, v);
      return vs;
    }
  }
}

/** True when `argv` asks for help (`--help`, `-h`, `--help=true`) anywhere. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h' || a === '--help=true');
}

/**
 * Parses argv for `spec` (plus COMMON_OPTIONS). Keys of the result are camelCase
 * (`--dim-mults` -> `dimMults`). Throws a DbridgeError on anything it does not understand; runs
 * the command's `check` unless help was asked for.
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const all: readonly OptionSpec[] = [...spec.options, ...COMMON_OPTIONS];
  const byName = new Map(all.map((o) => [o.name, o]));
  const names = all.map((o) => o.name);
  const see = `see dbridge ${spec.name} --help`;
  if (wantsHelp(argv)) return { help: true };
  const out: Record<string, OptionValue | undefined> = {};
  const given = new Set<string>();
  for (const o of all) out[camel(o.name)] = Array.isArray(o.default) ? [...o.default] : o.default ?? (o.type === 'boolean' ? false : undefined);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      const dashed = /^-[A-Za-z]/.test(arg) ? didYouMean(arg.replace(/^-+/, ''), names, '--') : '';
      throw new DbridgeError(`${spec.name}: unexpected argument '${arg}'${dashed || ' (options start with --)'}; ${see}`);
    }
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    let o = byName.get(name);
    let negated = false;
    if (!o && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') { o = byName.get(name.slice(3))!; negated = true; }
    if (!o) throw new DbridgeError(`${spec.name}: unknown option --${name}${didYouMean(name, names, '--')}; ${see}`);
    if (given.has(o.name)) throw new DbridgeError(`${spec.name}: --${o.name} is given twice`);
    given.add(o.name);
    if (negated) {
      if (value !== undefined) throw new DbridgeError(`${spec.name}: --no-${o.name} takes no value`);
      out[camel(o.name)] = false;
      continue;
    }
    if (o.type === 'boolean' && value === undefined) { out[camel(o.name)] = true; continue; }
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined) throw new DbridgeError(`${spec.name}: --${o.name} needs a value`);
      if (next.startsWith('--') || (next.startsWith('-') && !/^-[\d.]/.test(next))) {
        throw new DbridgeError(`${spec.name}: --${o.name} needs a value, got the option '${next}' (write --${o.name}=${next} if that is the value)`);
      }
      value = next;
      i++;
    }
    out[camel(o.name)] = convertValue(o, value);
  }
  for (const o of all) {
    if (o.required && out[camel(o.name)] === undefined) throw new DbridgeError(`${spec.name}: --${o.name} is required (${o.help}); ${see}`);
  }
  spec.check?.(out);
  return out;
}

/** Throws unless at most one of the named boolean/value options is set. */
export function exclusive(args: ParsedArgs, ...names: string[]): void {
  const set = names.filter((n) => { const v = args[camel(n)]; return v !== undefined && v !== false; });
  if (set.length > 1) throw new DbridgeError(`${set.map((n) => '--' + n).join(' and ')} exclude each other`);
}

export function helpText(spec: CommandSpec): string {
  const lines = [`dbridge ${spec.name}${spec.usage ? ' ' + spec.usage : ''}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  const fmt = (o: OptionSpec) => {
    const flag = `--${o.name}${o.type === 'boolean' ? '' : ' ' + (o.type === 'list' || o.type === 'intlist' ? 'A,B,...' : o.type.toUpperCase())}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${Array.isArray(o.default) ? o.default.join(',') : o.default})` : '';
    const req = o.required ? ' (required)' : '';
    const ch = o.choices ? ` [${o.choices.join(' | ')}]` : '';
    const range = o.above !== undefined ? ` (> ${o.above})` : o.min !== undefined || o.max !== undefined
      ? ` (${o.min !== undefined && o.max !== undefined ? `${o.min}..${o.max}` : o.min !== undefined ? `>= ${o.min}` : `<= ${o.max}`})` : '';
    return `  ${flag.padEnd(30)} ${o.help}${ch}${range}${def}${req}`;
  };
  if (spec.options.length) lines.push('', 'Options:', ...spec.options.map(fmt));
  lines.push('', 'Common options:', ...COMMON_OPTIONS.map(fmt));
  return lines.join('\n');
}
