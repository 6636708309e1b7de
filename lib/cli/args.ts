// Command-line option parsing shared by every dbridge command: typed options declared once
// (name, type, default, help), generated --help, and a clear error for an unknown option, a
// missing value, a bad number or a missing required option.
import { DbridgeError } from '../util/errors.ts';

export type OptionType = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'intlist';

export interface OptionSpec {
  name: string;             // long name without dashes, kebab-case (e.g. 'dim-mults')
  type: OptionType;
  help: string;
  default?: string | number | boolean | string[] | number[];
  required?: boolean;
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage?: string;           // e.g. '--input X.npy --output Y.npy'
  description?: string;     // longer text for --help
  options: OptionSpec[];
  run(args: ParsedArgs): Promise<void>;
}

export type ParsedArgs = Record<string, string | number | boolean | string[] | number[] | undefined>;

/** Options every command accepts. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { name: 'seed', type: 'int', default: 0, help: 'random seed (every run is seeded)' },
  { name: 'backend', type: 'string', help: 'tensor backend: auto | tensorflow | webgpu | wasm | cpu (default: env DBRIDGE_BACKEND or auto)' },
  { name: 'quiet', type: 'boolean', default: false, help: 'no progress output' },
  { name: 'help', type: 'boolean', default: false, help: 'show this help' },
];

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function convert(spec: OptionSpec, raw: string): string | number | boolean | string[] | number[] {
  const bad = (what: string) => new DbridgeError(`--${spec.name}: expected ${what}, got '${raw}'`);
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) throw new DbridgeError(`--${spec.name}: '${raw}' is not one of ${spec.choices.join(', ')}`);
      return raw;
    case 'int': {
      const v = Number(raw);
      if (!Number.isInteger(v)) throw bad('an integer');
      return v;
    }
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw bad('a number');
      return v;
    }
    case 'boolean':
      if (['true', '1', 'yes'].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      throw bad('true or false');
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    case 'intlist': {
      const parts = raw.split(',').map((s) => Number(s.trim()));
      if (parts.some((v) => !Number.isInteger(v))) throw bad('a comma-separated list of integers');
      return parts;
    }
  }
}

/**
 * Parses argv for `spec` (plus COMMON_OPTIONS). Keys of the result are camelCase
 * (`--dim-mults` -> `dimMults`). Throws DbridgeError on anything it does not understand.
 */
export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const all = [...spec.options, ...COMMON_OPTIONS];
  const byName = new Map(all.map((o) => [o.name, o]));
  const out: ParsedArgs = {};
  for (const o of all) if (o.default !== undefined) out[camel(o.name)] = o.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new DbridgeError(`${spec.name}: unexpected argument '${arg}' (options start with --; see dbridge ${spec.name} --help)`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    let o = byName.get(name);
    if (!o && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      o = byName.get(name.slice(3))!;
      out[camel(o.name)] = false;
      continue;
    }
    if (!o) {
      const near = all.map((x) => x.name).filter((n) => n.includes(name) || name.includes(n)).slice(0, 3);
      throw new DbridgeError(`${spec.name}: unknown option --${name}${near.length ? ` (did you mean ${near.map((n) => '--' + n).join(', ')}?)` : ''}; see dbridge ${spec.name} --help`);
    }
    if (o.type === 'boolean' && value === undefined) { out[camel(o.name)] = true; continue; }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new DbridgeError(`${spec.name}: --${o.name} needs a value`);
    }
    out[camel(o.name)] = convert(o, value);
  }
  if (!out.help) {
    for (const o of all) {
      if (o.required && out[camel(o.name)] === undefined) throw new DbridgeError(`${spec.name}: --${o.name} is required (${o.help}); see dbridge ${spec.name} --help`);
    }
  }
  return out;
}

export function helpText(spec: CommandSpec): string {
  const lines = [`dbridge ${spec.name}${spec.usage ? ' ' + spec.usage : ''}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  const fmt = (o: OptionSpec) => {
    const flag = `--${o.name}${o.type === 'boolean' ? '' : ' ' + (o.type === 'list' || o.type === 'intlist' ? 'A,B,...' : o.type.toUpperCase())}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${Array.isArray(o.default) ? o.default.join(',') : o.default})` : '';
    const req = o.required ? ' (required)' : '';
    const ch = o.choices ? ` [${o.choices.join(' | ')}]` : '';
    return `  ${flag.padEnd(30)} ${o.help}${ch}${def}${req}`;
  };
  if (spec.options.length) lines.push('', 'Options:', ...spec.options.map(fmt));
  lines.push('', 'Common options:', ...COMMON_OPTIONS.map(fmt));
  return lines.join('\n');
}
