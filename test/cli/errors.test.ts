// Every bad input exits 2 with one line naming the file or option, never a stack trace: spawned
// CLI processes (exit status and stderr), a folder given as a file, a file system error on a path
// the user gave, and the table's option cases run in process.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsErrorToDbridge } from '../../lib/cli/main.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { readJson } from '../../lib/util/fs.ts';
import { setupBackend, tmpDir } from '../helpers.ts';
import { captionFolder, cli, oneLine, smallBridgeSetup, tinyDecoderArgs } from './fixtures.ts';

before(async () => { await setupBackend(); });

test('spawned: bad input exits 2 with one line on stderr and no stack trace', () => {
  const dir = tmpDir();
  writeFileSync(join(dir, 'file'), 'x');
  const cases: [string[], RegExp][] = [
    [['brige'], /^dbridge: error: unknown command 'brige' \(did you mean bridge\?\)/],
    [['bridge', '--checkpoint', dir, '--input', dir, '--preprocessed', '--output', join(dir, 'file', 'y.npy')], /^dbridge: error: --output .*: .*file is a file, not a folder/],
    [['gap', '--embeddings', join(dir, 'file')], /^dbridge: error: --embeddings .*file is a file; a folder is expected/],
  ];
  for (const [argv, re] of cases) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...argv], { encoding: 'utf8', env: { ...process.env, DBRIDGE_BACKEND: 'wasm' } });
    assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('a folder given as a file, a missing file, a file system error: one line naming the path', async () => {
  const { dir, ck, mean } = await smallBridgeSetup();
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  await assert.rejects(cli(['bridge', '--checkpoint', ck, '--input', sub, '--mean', mean, '--output', join(dir, 'y.npy')]), oneLine(/sub/));
  await assert.rejects(cli(['train-diffusion', '--embeddings', sub, '--config', 'smoke', '--out', join(dir, 'o')]), oneLine(/--embeddings .*sub is a folder; a file is expected/));
  await assert.rejects(cli(['score', '--references', sub, '--candidates', sub]), oneLine(/--references .*sub is a folder; a file is expected/));
  assert.throws(() => readJson(sub), oneLine(/JSON file .*sub is a folder; a file is expected/));
  const err = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR', syscall: 'read', path: '/x/y' });
  assert.equal(fsErrorToDbridge(err)?.message, 'read /x/y: is a folder, a file is expected (EISDIR)');
  assert.equal(fsErrorToDbridge(new Error('plain bug')), null);
  assert.ok(fsErrorToDbridge(Object.assign(new Error('x'), { code: 'ENOSPC', syscall: 'write', path: '/d' })) instanceof DbridgeError);
});

test('the issue\'s option cases: --limit -2, --steps=, --M 0x258, --M 6e2, --steps > --M, --output --quiet', async () => {
  const { dir, ck, input, mean } = await smallBridgeSetup();
  const root = captionFolder();
  const dec = join(root, 'dec');
  await cli(tinyDecoderArgs(root, dec));
  const y = join(dir, 'y.npy');
  const bridge = (extra: string[]) => cli(['bridge', '--checkpoint', ck, '--input', input, '--mean', mean, '--output', y, ...extra]);
  await assert.rejects(cli(['caption', '--decoder', dec, '--embeddings', join(root, 'train', 'image.npy'), '--output', join(root, 'c.json'), '--limit', '-2']), oneLine(/--limit must be a positive integer, got -2/));
  await assert.rejects(bridge(['--steps=']), oneLine(/--steps: expected an integer \(digits only\), got ''/));
  await assert.rejects(bridge(['--M', '0x258']), oneLine(/--M: expected an integer \(digits only\), got '0x258'/));
  await assert.rejects(bridge(['--M', '6e2']), oneLine(/--M: expected an integer \(digits only\), got '6e2'/));
  await assert.rejects(bridge(['--M', '600', '--steps', '700']), oneLine(/--steps 700 must be at most --M 600/));
  await assert.rejects(bridge(['--M', '1200']), oneLine(/M must be an integer in \[1, 1000\], got 1200/));
  await assert.rejects(bridge(['--eta', '-1']), oneLine(/--eta must be a non-negative|--eta must be >= 0/));
  await assert.rejects(bridge(['--workers', '0']), oneLine(/--workers must be a positive integer, got 0/));
  await assert.rejects(bridge(['--weights', 'emma']), oneLine(/--weights: 'emma' is not one of config, raw, ema \(did you mean ema\?\)/));
  await assert.rejects(cli(['reproduce', '--tables', 'table9']), oneLine(/--tables: 'table9' is not one of/));
  await assert.rejects(cli(['reproduce', '--scale', 'smok']), oneLine(/did you mean smoke\?/));
  await assert.rejects(cli(['bench', '--only', 'diffusoin']), oneLine(/unknown bench area 'diffusoin'.*did you mean diffusion\?/));
  // a good caption run with --limit writes exactly that many rows
  await cli(['caption', '--decoder', dec, '--embeddings', join(root, 'train', 'image.npy'), '--output', join(root, 'c.json'), '--limit', '2']);
  assert.equal(readJson<unknown[]>(join(root, 'c.json')).length, 2);
});
