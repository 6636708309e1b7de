// The bench's "was the machine quiet" measure: other processes' CPU = machine busy - own (incl. waited children).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foreignCores, parseProcStat, parseSelfStat, sample, underLoad } from '../../tools/bench/foreign-cpu.ts';

test('parses /proc/stat and /proc/self/stat (a process name with spaces and parentheses)', () => {
  const stat = 'cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 50 2 25 400 10 1 1 1 0 0\ncpu1 50 3 25 400 10 0 1 2 0 0\nintr 1 2 3\n';
  assert.deepEqual(parseProcStat(stat), { busy: 161, total: 981, cores: 2 });
  const self = '4242 (node (bench) x) R 1 2 3 4 5 6 7 8 9 10 30 7 11 2 20 0 1 0';
  assert.equal(parseSelfStat(self), 30 + 7 + 11 + 2);
});

test('foreign cores: what the machine did beyond this process, in cores', () => {
  const a = { busy: 0, total: 0, own: 0, cores: 2 };
  // 1000 ticks over 2 CPUs: own 500 (one core), busy 500 -> nobody else
  assert.equal(foreignCores(a, { busy: 500, total: 1000, own: 500, cores: 2 }), 0);
  // busy 900, own 500 -> others used 400 of 1000 ticks = 0.8 cores
  assert.ok(Math.abs(foreignCores(a, { busy: 900, total: 1000, own: 500, cores: 2 }) - 0.8) < 1e-12);
});

test('live: this process\'s own ticks grow while it spins (without /proc: no sample, the bench falls back to the load average)', () => {
  const s0 = sample();
  if (process.platform !== 'linux') { assert.equal(s0, null); return; }
  assert.ok(s0, '/proc readable');
  const t = Date.now();
  let x = 0;
  while (Date.now() - t < 400) x += Math.sqrt(x + 1);
  const s1 = sample()!;
  assert.ok(s1.own - s0!.own >= 10, `own ticks ${s1.own - s0!.own} (x=${x > 0})`);
  assert.ok(s1.busy - s0!.busy >= s1.own - s0!.own - 5);
});

test('under load: judged by other processes\' CPU in any phase; the load average only when nothing was measured', () => {
  // a load average of 2 on 2 cores is the bench's own two threads: quiet when others took ~0
  assert.equal(underLoad([0.02, 0.01], [2.1, 2.0]), false);
  assert.equal(underLoad([0.02, 0.6], [0.5]), true);
  assert.equal(underLoad([null, 0.1], [9]), false);
  assert.equal(underLoad([null], [1.2]), false);
  assert.equal(underLoad([null, null], [1.2, 3.0]), true);
});
