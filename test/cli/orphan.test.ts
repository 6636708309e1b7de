// Killing the wrapper that started dbridge (`npm run`, bin/dbridge.js) must not leave the node
// worker running on, orphaned: the worker watches its wrapper from a worker thread (so it works
// while the main thread computes without yielding) and stops once the wrapper is gone. Started
// directly, nothing is watched (nohup keeps working).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(process.cwd(), 'lib', 'cli', 'main.ts');

/** wrapper -> child: the child arms the watchdog, reports its pid, then blocks its main thread. */
const CHILD = `import('${MAIN}').then((m) => {
  const w = m.exitWithWrapper(100);
  console.log(JSON.stringify({ pid: process.pid, watched: w }));
  setTimeout(() => { const t = Date.now(); while (Date.now() - t < 60000) {} }, 50);
});`;
const WRAPPER = `const c = require('node:child_process').spawn(process.execPath, ['--import', 'tsx', '-e', ${JSON.stringify(CHILD)}], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env }); setInterval(() => {}, 1000);`;

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function runWrapped(env: NodeJS.ProcessEnv): Promise<{ wrapper: ReturnType<typeof spawn>; child: { pid: number; watched: number[] } }> {
  const wrapper = spawn(process.execPath, ['-e', WRAPPER], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const child = await new Promise<{ pid: number; watched: number[] }>((res) => {
    let buf = '';
    wrapper.stdout!.on('data', (d: Buffer) => { buf += d; const line = buf.split('\n')[0]; if (buf.includes('\n')) res(JSON.parse(line)); });
  });
  return { wrapper, child };
}

test('a worker whose wrapper is killed with SIGKILL stops, even while its main thread computes', async () => {
  const { wrapper, child } = await runWrapped({ DBRIDGE_WRAPPED: '1', npm_lifecycle_event: '' });
  assert.deepEqual(child.watched, [wrapper.pid]);
  assert.ok(alive(child.pid));
  wrapper.kill('SIGKILL');
  const t0 = Date.now();
  while (alive(child.pid) && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!alive(child.pid), 'the worker still runs after its wrapper was killed');
  console.log(`# worker stopped ${Date.now() - t0} ms after its wrapper was killed`);
});

test('started directly (no wrapper), nothing is watched', async () => {
  const { wrapper, child } = await runWrapped({ DBRIDGE_WRAPPED: '', npm_lifecycle_event: '' });
  assert.deepEqual(child.watched, []);
  wrapper.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(alive(child.pid), 'an unwrapped process must keep running (nohup)');
  process.kill(child.pid, 'SIGKILL');
});
