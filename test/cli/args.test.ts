// Option parsing (lib/cli/args.ts): typed values from the declaration, plain decimal numbers only,
// ranges, a missing value, an option given twice, nearest-name suggestions for options, choices
// and commands, and --help / -h on every command. Each bad input is a one-line DbridgeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineCommand, parseArgs, nearestNames, editDistance, helpText } from '../../lib/cli/args.ts';
import { main, loadCommand } from '../../lib/cli/main.ts';
import { COMMANDS } from '../../lib/cli/registry.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

const spec = defineCommand({
  name: 'demo', summary: 'a test command',
  options: [
    { name: 'steps', type: 'int', min: 1, help: 'steps' },
    { name: 'M', type: 'int', default: 600, min: 1, max: 1000, help: 'start step' },
    { name: 'lr', type: 'number', min: 0, help: 'learning rate' },
    { name: 'output', type: 'string', help: 'output' },
    { name: 'method', type: 'string', default: 'greedy', choices: ['greedy', 'beam'], help: 'decoding' },
    { name: 'dim-mults', type: 'intlist', default: [1, 2], min: 1, help: 'multipliers' },
    { name: 'only', type: 'list', help: 'areas' },
    { name: 'resume', type: 'boolean', help: 'resume' },
    { name: 'limit', type: 'int', min: 1, help: 'rows' },
    { name: 'rate', type: 'number', above: 0, help: 'a rate' },
  ],
  check(args) { if (args.steps !== undefined && args.steps > args.M) throw new DbridgeError(`--steps ${args.steps} must be at most --M ${args.M}`); },
  async run() {},
});

const oneLine = (re: RegExp) => (e: unknown) => e instanceof DbridgeError && re.test(e.message) && !e.message.includes('\n');
const bad = (argv: string[], re: RegExp) => assert.throws(() => parseArgs(spec, argv), oneLine(re), argv.join(' '));

test('values are typed from the declaration, with defaults, camelCase keys and --no-flag', () => {
  const a = parseArgs(spec, ['--steps', '5', '--lr=2e-5', '--dim-mults', '1,2,4', '--only', 'a,b', '--resume', '--output', 'y.npy']);
  assert.deepEqual({ ...a }, {
    steps: 5, M: 600, lr: 2e-5, output: 'y.npy', method: 'greedy', dimMults: [1, 2, 4], only: ['a', 'b'], resume: true, limit: undefined, rate: undefined,
    seed: 0, backend: undefined, quiet: false, help: false,
  });
  assert.equal(parseArgs(spec, ['--no-resume']).resume, false);
});

test('numbers: plain decimals only; integers digits only', () => {
  bad(['--steps='], /--steps: expected an integer \(digits only\), got ''/);
  bad(['--M', '0x258'], /--M: expected an integer \(digits only\), got '0x258'/);
  bad(['--M', '6e2'], /--M: expected an integer/);
  bad(['--M', '600.0'], /--M: expected an integer/);
  bad(['--M', ' 600'], /--M: expected an integer/);
  bad(['--lr', '0x10'], /--lr: expected a decimal number/);
  bad(['--lr', 'Infinity'], /--lr: expected a decimal number/);
  bad(['--lr', 'NaN'], /--lr: expected a decimal number/);
  bad(['--lr', ''], /--lr: expected a decimal number/);
  bad(['--lr', '1e999'], /--lr: 1e999 is out of range/);
  bad(['--dim-mults', '1,,2'], /expected a comma-separated list of integers/);
  bad(['--dim-mults', '1,2.5'], /expected a comma-separated list of integers/);
  bad(['--steps', '99999999999999999999'], /too large/);
  assert.equal(parseArgs(spec, ['--lr', '.5']).lr, 0.5);
  assert.equal(parseArgs(spec, ['--M', '+600']).M, 600);
});

test('ranges are checked, alone and against each other (steps <= M)', () => {
  bad(['--limit', '-2'], /--limit must be a positive integer, got -2/);
  bad(['--limit', '0'], /--limit must be a positive integer, got 0/);
  bad(['--M', '0'], /--M must be in \[1, 1000\], got 0/);
  bad(['--M', '1001'], /--M must be in \[1, 1000\], got 1001/);
  bad(['--lr', '-0.5'], /--lr must be >= 0, got -0.5/);
  bad(['--rate', '0'], /--rate must be > 0, got 0/);
  assert.equal(parseArgs(spec, ['--rate', '1e-9']).rate, 1e-9);
  bad(['--dim-mults', '1,0'], /--dim-mults must be a positive integer, got 0/);
  bad(['--steps', '700', '--M', '600'], /--steps 700 must be at most --M 600/);
  assert.equal(parseArgs(spec, ['--steps', '600', '--M', '600']).steps, 600);
});

test('a missing value, a value that is an option, an option given twice, a stray argument', () => {
  bad(['--output'], /--output needs a value$/);
  bad(['--output', '--quiet'], /--output needs a value, got the option '--quiet'/);
  bad(['--output', '-q'], /--output needs a value, got the option '-q'/);
  assert.equal(parseArgs(spec, ['--output=--quiet']).output, '--quiet');
  bad(['--output='], /--output: the value is empty/);
  bad(['--steps', '1', '--steps', '2'], /--steps is given twice/);
  bad(['--resume', '--no-resume'], /--resume is given twice/);
  bad(['--no-resume=1'], /--no-resume takes no value/);
  bad(['extra'], /unexpected argument 'extra' \(options start with --\)/);
  bad(['-steps', '3'], /unexpected argument '-steps' \(did you mean --steps\?\)/);
  bad(['--method', 'bean'], /--method: 'bean' is not one of greedy, beam \(did you mean beam\?\)/);
});

test('unknown options and commands get the nearest valid names', async () => {
  bad(['--stepz', '3'], /unknown option --stepz \(did you mean --steps\?\)/);
  bad(['--dim-mult', '1'], /did you mean --dim-mults\?/);
  bad(['--outptu', 'x'], /did you mean --output\?/);
  bad(['--zzzzzz'], /unknown option --zzzzzz; see dbridge demo --help/);
  await assert.rejects(main(['brige']), oneLine(/unknown command 'brige' \(did you mean bridge\?\)/));
  await assert.rejects(main(['train-difusion']), oneLine(/did you mean train-diffusion\?/));
  await assert.rejects(main(['caption', '--outptu', 'x']), oneLine(/unknown option --outptu \(did you mean --output\?\)/));
  await assert.rejects(main(['--steps', '3']), oneLine(/expected a command before the options/));
  assert.equal(editDistance('brige', 'bridge'), 1);
  assert.equal(editDistance('stpes', 'steps'), 1);
  assert.deepEqual(nearestNames('qzx', ['bridge', 'caption']), []);
});

test('--help and -h work on every command, anywhere in the line, and list the ranges', async () => {
  const log = console.log; const out: string[] = [];
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  try {
    for (const name of Object.keys(COMMANDS)) {
      for (const flag of ['--help', '-h']) {
        out.length = 0;
        assert.equal(await main([name, '--bogus-option', flag]), 0, `${name} ${flag}`);
        assert.match(out.join('\n'), new RegExp(`^dbridge ${name}`), `${name} ${flag}`);
      }
    }
    out.length = 0;
    assert.equal(await main(['help', 'bridge']), 0);
    assert.match(out.join('\n'), /--steps INT .*\(>= 1\)/);
    out.length = 0;
    assert.equal(await main(['-h']), 0);
    assert.match(out.join('\n'), /Commands:/);
  } finally { console.log = log; }
  assert.match(helpText(spec), /--M INT +start step \(1\.\.1000\) \(default: 600\)/);
});

test('every command parses its own defaults (declarations are consistent)', async () => {
  for (const name of Object.keys(COMMANDS)) {
    const s = await loadCommand(name);
    for (const o of s.options) {
      if (o.default === undefined || o.type === 'boolean') continue;
      const raw = Array.isArray(o.default) ? o.default.join(',') : String(o.default);
      assert.deepEqual(parseArgs({ ...s, check: undefined, options: [o] }, [`--${o.name}`, raw])[o.name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())], o.default, `${name} --${o.name}`);
    }
  }
});
