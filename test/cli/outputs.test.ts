// Outputs are checked before any work and written only at the end (lib/util/fs.ts, lib/cli/outputs.ts):
// an output that is an input, a folder, or under a file is refused with one line and nothing changes;
// a folder holding a run is continued only with --resume and replaced only with --force, and then only
// once the new run has finished; a failing or refused run leaves every existing file as it was.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { readJson, replaceFolder, writeFolderAtomic, checkOutputFile, checkOutputDir } from '../../lib/util/fs.ts';
import { folderLockHolder, lockFolder, LOCK_FILE } from '../../lib/util/lock.ts';
import { setupBackend, tmpDir } from '../helpers.ts';
import { captionFolder, cli, oneLine, smallBridgeSetup, tinyDecoderArgs, SMALL_STATE_DICT, SMALL_UNET } from './fixtures.ts';

before(async () => { await setupBackend(); });

/** Every file under `dir` with its bytes, to compare before and after a refused run. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else out.set(relative(dir, p), readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

test('bridge / caption: an output that is an input, a folder, or under a file is refused before any work', async () => {
  const { dir, ck, input, mean } = await smallBridgeSetup();
  const before = snapshot(dir);
  const bridge = (out: string, extra: string[] = []) => cli(['bridge', '--checkpoint', ck, '--input', input, '--mean', mean, '--M', '400', '--output', out, ...extra]);
  await assert.rejects(bridge(input), oneLine(/--output .*x\.npy is the same file as --input; writing it would destroy the input/));
  await assert.rejects(bridge(join(dir, '.', 'x.npy')), oneLine(/same file as --input/));
  symlinkSync(input, join(dir, 'link.npy'));
  await assert.rejects(bridge(join(dir, 'link.npy')), oneLine(/same file as --input/));
  await assert.rejects(bridge(mean), oneLine(/same file as --mean/));
  await assert.rejects(bridge(ck), oneLine(/--output .*ck is a folder; give a file path/));
  await assert.rejects(bridge(join(input, 'y.npy')), oneLine(/--output .*: .*x\.npy is a file, not a folder/));
  await assert.rejects(cli(['bridge', '--checkpoint', ck, '--input', input, '--mean', mean, '--output', '--quiet']), oneLine(/--output needs a value, got the option '--quiet'/));
  await assert.rejects(cli(['caption', '--decoder', ck, '--embeddings', input, '--output', input]), oneLine(/--output .* is the same file as --embeddings/));
  const after = snapshot(dir); after.delete('link.npy');
  assert.deepEqual(after, before);
  assert.ok(!existsSync('--quiet'));
  // and a good output is written
  await bridge(join(dir, 'out', 'y.npy'));
  assert.ok(existsSync(join(dir, 'out', 'y.npy')));
});

test('train-decoder: an existing decoder survives a refused run (bad --lm, no --resume/--force) and a failing --force run', async () => {
  const root = captionFolder();
  const dec = join(root, 'decoder');
  await cli(tinyDecoderArgs(root, dec));
  const before = snapshot(dec);
  assert.ok(before.has('weights.safetensors') && before.has(join('resume', 'state.json')) && before.has('train_log.json'));
  await assert.rejects(cli(tinyDecoderArgs(root, dec, ['--lm', join(root, 'no-such-gpt2')])), oneLine(/--lm .*no-such-gpt2: not found \(give tiny, small, or a Hugging Face GPT-2 folder\)/));
  await assert.rejects(cli(tinyDecoderArgs(root, dec)), oneLine(/already holds a caption decoder; pass --resume to continue it, --force to replace it/));
  await assert.rejects(cli(tinyDecoderArgs(root, dec, ['--resume', '--force'])), oneLine(/--resume and --force exclude each other/));
  // --force whose run fails inside the trainer (prefix + captions exceed the LM's positions)
  await assert.rejects(cli(tinyDecoderArgs(root, dec, ['--force', '--max-seq-len', '200'])), oneLine(/exceed the LM's 128 positions/));
  assert.deepEqual(snapshot(dec), before);
  assert.deepEqual(readdirSync(root).sort(), ['decoder', 'text_mean.npy', 'train'], 'no temporary sibling left');
  // --force that succeeds replaces the folder
  await cli(tinyDecoderArgs(root, dec, ['--force', '--bucket-by-length']));
  assert.equal(readJson<{ options: { bucketByLength: boolean } }>(join(dec, 'train_log.json')).options.bucketByLength, true);
  assert.deepEqual(readdirSync(root).sort(), ['decoder', 'text_mean.npy', 'train']);
  assert.ok(!existsSync(join(dec, LOCK_FILE)));
});

test('train-decoder --force killed with -9 mid-run: the old decoder is intact, the next --force cleans up and replaces it', async () => {
  const root = captionFolder();
  const dec = join(root, 'decoder');
  await cli(tinyDecoderArgs(root, dec));
  const before = snapshot(dec);
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...tinyDecoderArgs(root, dec, ['--force', '--quiet', '--backend', 'wasm'], '100000')], { stdio: 'ignore' });
  const t0 = Date.now();
  const tmp = () => readdirSync(root).find((f) => f.startsWith('.decoder.new-'));
  while (!(tmp() && existsSync(join(root, tmp()!, 'resume'))) && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 100));
  assert.ok(tmp(), 'the --force run trains into a temporary sibling');
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const after = snapshot(dec);
  after.delete(LOCK_FILE); // the killed process's lock: its holder is dead, the next run takes it over
  assert.equal(folderLockHolder(dec), null);
  assert.deepEqual(after, before);
  await cli(tinyDecoderArgs(root, dec, ['--force', '--bucket-by-length']));
  assert.deepEqual(readdirSync(root).sort(), ['decoder', 'text_mean.npy', 'train'], 'the killed run\'s sibling is removed');
  assert.notDeepEqual(snapshot(dec), before);
});

test('train-diffusion / import-official / world: folders that are files, hold foreign files or another run are refused', async () => {
  const { dir, ck, input } = await smallBridgeSetup();
  const file = join(dir, 'afile');
  writeFileSync(file, 'x');
  await assert.rejects(cli(['train-diffusion', '--embeddings', input, '--config', 'smoke', '--out', file]), oneLine(/--out .*afile is a file; give a folder/));
  const foreign = join(dir, 'mine');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'thesis.tex'), 'precious');
  await assert.rejects(cli(['train-diffusion', '--embeddings', input, '--config', 'smoke', '--out', foreign, '--force']), oneLine(/holds files that are not a diffusion checkpoint; choose a new or empty folder \(nothing there is replaced\)/));
  await assert.rejects(cli(['world', '--scale', 'smoke', '--out', foreign, '--force']), oneLine(/holds files that are not a generated world/));
  await assert.rejects(cli(['train-diffusion', '--embeddings', input, '--config', 'smoke', '--out', dirname(input)]), oneLine(/holds files that are not a diffusion checkpoint/));
  assert.equal(readFileSync(join(foreign, 'thesis.tex'), 'utf8'), 'precious');
  const before = snapshot(ck);
  await assert.rejects(cli(['import-official', '--state-dict', SMALL_STATE_DICT, ...SMALL_UNET, '--out', ck]), oneLine(/already holds a diffusion checkpoint/));
  assert.deepEqual(snapshot(ck), before);
  await cli(['import-official', '--state-dict', SMALL_STATE_DICT, ...SMALL_UNET, '--out', ck, '--force']);
  assert.ok(existsSync(join(ck, 'weights.safetensors')) && !existsSync(join(ck, LOCK_FILE)));
});

test('world: the same world is reused, another one is refused without --force and replaced whole with it', async () => {
  const dir = tmpDir();
  const w = join(dir, 'w');
  const tiny = ['world', '--scale', 'smoke', '--pretrain', '2', '--train', '1', '--val', '1', '--test', '1', '--out', w];
  await cli(tiny);
  const first = snapshot(w);
  await cli(tiny); // same world: reused
  assert.deepEqual(snapshot(w), first);
  await assert.rejects(cli([...tiny, '--seed', '1']), oneLine(/holds another world \(scale smoke, seed 0, domain a\); pass --force/));
  assert.deepEqual(snapshot(w), first);
  await cli([...tiny, '--seed', '1', '--force']);
  assert.equal(readJson<{ seed: number }>(join(w, 'world.json')).seed, 1);
  assert.deepEqual(readdirSync(dir), ['w']);
});

test('writeFolderAtomic / replaceFolder: a failed write leaves the folder as it was; a lock moves with the folder', async () => {
  const dir = join(tmpDir(), 'out');
  mkdirSync(dir);
  writeFileSync(join(dir, 'old.txt'), 'old');
  await assert.rejects(writeFolderAtomic(dir, (tmp) => { writeFileSync(join(tmp, 'half.txt'), 'x'); throw new Error('boom'); }), /boom/);
  assert.deepEqual(readdirSync(dir), ['old.txt']);
  assert.deepEqual(readdirSync(dirname(dir)), ['out']);
  const lock = lockFolder(dir);
  await writeFolderAtomic(dir, (tmp) => { writeFileSync(join(tmp, 'new.txt'), 'new'); });
  assert.deepEqual(readdirSync(dir).sort(), [LOCK_FILE, 'new.txt']);
  lock.release();
  assert.deepEqual(readdirSync(dir), ['new.txt']);
  const t = join(dirname(dir), 'fresh');
  mkdirSync(t);
  replaceFolder(t, join(dirname(dir), 'a', 'b'));
  assert.ok(existsSync(join(dirname(dir), 'a', 'b')));
  assert.throws(() => checkOutputFile('', { what: '--output' }), oneLine(/--output: the path is empty/));
  assert.throws(() => checkOutputDir(dir, { what: '--out', inputs: { '--world': join(dir, 'new.txt') }, replaces: true }), oneLine(/--world .* lies inside it/));
});
