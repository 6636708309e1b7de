// Notebook output of lib/: progress as one display updated in place (never stderr), figures as one
// bundle of Vega-Lite spec + PNG from the spec written to results, the smoke-scale note, the
// notebook stage lines, and the kernel's busy/idle fix (tools/notebooks/kernel-patch.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setJupyterOutput, type MimeBundle } from '../../lib/util/jupyter.ts';
import { Progress, withProgressLabel } from '../../lib/util/progress.ts';
import { showFigure, figureBundle, VEGALITE_MIME } from '../../lib/plots/vega.ts';
import { showTable } from '../../lib/experiments/notebook.ts';
import type { ResultTable } from '../../lib/experiments/report.ts';
import { serializeShellMessages, ignoreWatchesUnder, queueSends, type ShellServer } from '../../tools/notebooks/kernel-patch.ts';
import { tmpDir } from '../helpers.ts';

function capture(): { shown: { bundle: MimeBundle; id?: string }[]; restore: () => void } {
  const shown: { bundle: MimeBundle; id?: string }[] = [];
  setJupyterOutput({ display: (bundle, id) => shown.push({ bundle, id }) });
  return { shown, restore: () => setJupyterOutput(undefined) };
}

test('in a notebook, Progress updates one display in place, labelled by its stage, and writes nothing to stderr', async () => {
  const { shown, restore } = capture();
  const write = process.stderr.write;
  const quiet = process.env.DBRIDGE_QUIET;
  delete process.env.DBRIDGE_QUIET;
  let stderr = '';
  process.stderr.write = ((s: string) => { stderr += s; return true; }) as typeof process.stderr.write;
  try {
    await withProgressLabel('diffusion', async () => {
      const p = new Progress({ total: 3, label: 'train-diffusion', unit: 'steps' });
      p.update(1, { loss: 0.5 });
      p.update(3, { loss: 0.25 });
      p.finish();
    });
  } finally {
    process.stderr.write = write;
    if (quiet !== undefined) process.env.DBRIDGE_QUIET = quiet;
    restore();
  }
  assert.equal(stderr, '');
  assert.ok(shown.length >= 2);
  assert.equal(new Set(shown.map((s) => s.id)).size, 1, 'all updates go to one display');
  assert.ok(shown[0].id);
  const last = shown[shown.length - 1].bundle;
  assert.match(String(last['text/plain']), /^✓ diffusion › train-diffusion 100% 3\/3 steps/);
  assert.match(String(last['text/html']), /<progress value="1.0000"/);
  assert.match(String(shown[0].bundle['text/plain']), /33% 1\/3 steps .* loss=0\.5000/);
});

test('a progress field not known yet (NaN) is left out, not printed as loss=NaN', async () => {
  const { shown, restore } = capture();
  const quiet = process.env.DBRIDGE_QUIET;
  delete process.env.DBRIDGE_QUIET;
  try {
    const p = new Progress({ total: 2, label: 'train', unit: 'steps' });
    p.update(1, { loss: NaN, lr: 0.001 });
    p.finish({ loss: NaN });
  } finally {
    if (quiet !== undefined) process.env.DBRIDGE_QUIET = quiet;
    restore();
  }
  const texts = shown.map((s) => String(s.bundle['text/plain']));
  assert.ok(texts.length >= 1);
  for (const t of texts) assert.doesNotMatch(t, /NaN/);
  assert.match(texts[0], /lr=/);
});

test('showFigure writes the spec, SVG and PNG and shows one bundle: the same Vega-Lite object plus its PNG', async () => {
  const { shown, restore } = capture();
  const dir = tmpDir();
  const spec = { title: 'a test figure', data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } };
  try {
    await showFigure(spec, join(dir, 'fig'));
  } finally {
    restore();
  }
  assert.equal(shown.length, 1);
  const b = shown[0].bundle;
  const vl = b[VEGALITE_MIME] as Record<string, unknown>;
  assert.equal(typeof vl, 'object', 'the spec goes as an object, not a JSON string');
  assert.deepEqual(vl, JSON.parse(readFileSync(join(dir, 'fig.vl.json'), 'utf8')), 'the shown spec is the one written to results');
  assert.equal(vl.$schema, 'https://vega.github.io/schema/vega-lite/v5.json');
  assert.deepEqual((vl.config as { mark: unknown }).mark, { tooltip: true });
  assert.deepEqual(vl.data, spec.data);
  const bytes = Buffer.from(String(b['image/png']), 'base64');
  assert.deepEqual(bytes, Buffer.from(readFileSync(join(dir, 'fig.png'))));
  assert.deepEqual(Array.from(bytes.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
  assert.match(readFileSync(join(dir, 'fig.svg'), 'utf8'), /^<svg/);
  // a spec's own config is kept
  const own = figureBundle({ ...spec, config: { mark: { tooltip: false }, axis: { grid: false } } }, bytes)[VEGALITE_MIME] as { config: unknown };
  assert.deepEqual(own.config, { mark: { tooltip: false }, axis: { grid: false } });
});

test('outside a notebook nothing is displayed; showTable carries the smoke note only at smoke scale', () => {
  setJupyterOutput(null);
  const log = console.log;
  const printed: string[] = [];
  console.log = (s: string) => { printed.push(String(s)); };
  const table = (scale: string): ResultTable => ({ table: 'table1', title: 'T', dataset: 'world', scale, variant: 'official', seed: 0, backend: 'cpu', provenance: {} as ResultTable['provenance'], columns: ['v'], rows: [{ id: 'a', label: 'row a', ours: { v: 0.5 }, paper: null }], notes: [], config: {} } as unknown as ResultTable);
  try {
    showTable(table('smoke'));
    const atSmoke = printed.splice(0);
    showTable(table('mini'));
    assert.ok(atSmoke.some((l) => /Smoke scale: .*not results/.test(l)));
    assert.ok(!printed.some((l) => /Smoke scale/.test(l)));
    assert.ok(printed.some((l) => l.includes('row a')));
  } finally {
    console.log = log;
    setJupyterOutput(undefined);
  }
});

test('kernel patch: shell messages are handled one at a time in order (busy/idle per cell); control stays concurrent', async () => {
  const events: string[] = [];
  class FakeServer implements ShellServer {
    shell = { name: 'shell' };
    control = { name: 'control' };
    async handleShellMessage(sock: unknown, id: unknown): Promise<void> {
      events.push(`busy ${id}`);
      await new Promise((r) => setTimeout(r, id === 'c1' ? 30 : 5));
      events.push(`idle ${id}`);
    }
  }
  serializeShellMessages(FakeServer.prototype);
  serializeShellMessages(FakeServer.prototype); // idempotent
  const s = new FakeServer();
  await Promise.all([s.handleShellMessage(s.shell, 'c1'), s.handleShellMessage(s.shell, 'c2'), s.handleShellMessage(s.control, 'interrupt'), s.handleShellMessage(s.shell, 'c3')]);
  const shell = events.filter((e) => !e.includes('interrupt'));
  assert.deepEqual(shell, ['busy c1', 'idle c1', 'busy c2', 'idle c2', 'busy c3', 'idle c3']);
  assert.ok(events.indexOf('busy interrupt') < events.indexOf('idle c1'), 'the control channel is not queued behind cells');
});

test('kernel patch: files under the generated types folder are not watched; others are', () => {
  const watched: string[] = [];
  const sys = { watchFile: (path: string) => { watched.push(path); return { close() {} }; } };
  ignoreWatchesUnder(sys, '/repo/notebooks/node_modules');
  sys.watchFile('/repo/notebooks/node_modules/dbridge/types/lib/index.d.ts');
  sys.watchFile('/repo/notebooks/local.ts');
  assert.deepEqual(watched, ['/repo/notebooks/local.ts']);
});

test('library code writes status lines through logLine, so notebooks never show them as stderr', () => {
  // Allowed: the CLI, the progress module itself, and defaults that notebooks replace (the runner's
  // stage log, which notebookSession passes its own; the backend line, which it silences).
  const allowed = new Set(['lib/util/progress.ts', 'lib/experiments/cache.ts', 'lib/experiments/pipeline.ts', 'lib/backend.ts']);
  const root = join(import.meta.dirname, '..', '..');
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) { if (rel !== 'lib/cli') walk(rel); continue; }
      if (!rel.endsWith('.ts') || allowed.has(rel)) continue;
      readFileSync(join(root, rel), 'utf8').split('\n').forEach((l, i) => {
        if (/process\.stderr\.write\(|console\.(error|warn)\(/.test(l)) offenders.push(`${rel}:${i + 1}`);
      });
    }
  };
  walk('lib');
  assert.deepEqual(offenders, [], 'use logLine from lib/util/progress.ts');
});

test('kernel patch: socket sends wait for each other (zeromq refuses overlapping sends with EBUSY)', async () => {
  const sent: string[] = [];
  let busy = false;
  // like zeromq.js: a non-extensible socket whose `send` is a read-only property of the prototype
  class Socket {}
  Object.defineProperty(Socket.prototype, 'send', { writable: false, configurable: true, value: async (msg: unknown): Promise<void> => {
    if (busy) throw Object.assign(new Error('Socket is busy writing'), { code: 'EBUSY' });
    busy = true;
    await new Promise((r) => setTimeout(r, 2));
    sent.push(String(msg));
    busy = false;
  } });
  const sock = Object.preventExtensions(new Socket()) as unknown as { send(msg: unknown): Promise<void> };
  queueSends(sock);
  const first = sock.send('a');
  assert.equal(busy, true, 'with nothing in flight the send starts at once, synchronously');
  await Promise.all([first, ...['b', 'c', 'd'].map((m) => sock.send(m))]);
  assert.deepEqual(sent, ['a', 'b', 'c', 'd']);
  await sock.send('e');
  assert.deepEqual(sent, ['a', 'b', 'c', 'd', 'e']);
});
