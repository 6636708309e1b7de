// Folder locks (lib/util/lock.ts): one process writes into a folder at a time; a live holder is
// refused (trainers) or waited for (the stage cache), a dead holder's lock is taken over, locks are
// re-entrant within a process, and a second CLI process training into a locked checkpoint folder
// is refused with one line naming the holder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lockFolder, waitForFolderLock, folderLockHolder, LOCK_FILE } from '../../lib/util/lock.ts';
import { main } from '../../lib/cli/main.ts';
import { writeNpy } from '../../lib/io/npy.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { tmpDir } from '../helpers.ts';

test('a lock is taken, re-entrant in one process, released by its last holder', () => {
  const dir = join(tmpDir(), 'ck');
  const a = lockFolder(dir, 'test');
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  const b = lockFolder(dir, 'test');
  b.release();
  assert.ok(existsSync(join(dir, LOCK_FILE)), 'still held by the outer holder');
  a.release();
  a.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
});

test('a live holder is refused with its pid; a dead one is taken over; a bare-pid lock is read', () => {
  const dir = tmpDir();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, command: 'dbridge train-diffusion' }));
  assert.throws(() => lockFolder(dir), (e: unknown) => e instanceof DbridgeError && new RegExp(`in use by process ${process.ppid} \\(dbridge train-diffusion\\)`).test(e.message));
  assert.equal(folderLockHolder(dir)?.pid, process.ppid);
  writeFileSync(join(dir, LOCK_FILE), '999999999');
  assert.equal(folderLockHolder(dir), null);
  const l = lockFolder(dir);
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  l.release();
  writeFileSync(join(dir, LOCK_FILE), 'garbage');
  lockFolder(dir).release();
});

test('waitForFolderLock waits for a live holder and stops when told', async () => {
  const dir = tmpDir();
  writeFileSync(join(dir, LOCK_FILE), String(process.ppid));
  let waited = 0, flag = false;
  setTimeout(() => { flag = true; }, 150);
  const r = await waitForFolderLock(dir, { pollMs: 50, onWait: () => { waited++; }, until: () => flag });
  assert.equal(r, null);
  assert.equal(waited, 1);
});

test('a process killed with -9 leaves a lock that the next one takes over', async () => {
  const dir = tmpDir();
  const child = spawn(process.execPath, ['--import', 'tsx', '-e',
    `import('${join(process.cwd(), 'lib/util/lock.ts')}').then((m) => { m.lockFolder(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000); })`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => child.stdout!.on('data', (d: Buffer) => { if (String(d).includes('locked')) res(); }));
  assert.throws(() => lockFolder(dir), /in use by process/);
  child.kill('SIGKILL');
  await new Promise((res) => child.on('exit', res));
  lockFolder(dir).release();
});

test('train-diffusion into a folder another live process trains into is refused, its files untouched', async () => {
  const dir = tmpDir();
  const emb = join(dir, 'text.npy');
  writeNpy(emb, { dtype: 'float32', shape: [16, 16], data: new Rng(1).normals(256) });
  const out = join(dir, 'ck');
  mkdirSync(out);
  writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: process.ppid, command: 'dbridge train-diffusion' }));
  await assert.rejects(main(['train-diffusion', '--embeddings', emb, '--config', 'smoke', '--out', out, '--steps', '1', '--quiet']),
    (e: unknown) => e instanceof DbridgeError && /is in use by process/.test(e.message) && !e.message.includes('\n'));
  assert.ok(!existsSync(join(out, 'text_mean.npy')) && !existsSync(join(out, 'state.json')));
});
