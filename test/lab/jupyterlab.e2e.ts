// The researcher's bench, tested in a real browser: JupyterLab (the project's .venv/, DBRIDGE_JUPYTER
// or PATH) with the project's kernel, driven in headless Chromium (Debian's /usr/bin/chromium or
// DBRIDGE_CHROMIUM) by playwright-core. Opens notebook 01 (Table 1) at smoke scale, runs every cell
// through the UI (Run > Run All Cells) and asserts: the results table is rendered, an interactive
// Vega-Lite figure is drawn (vega-embed), no cell shows an error or stderr output, and the kernel
// reports Busy (not Idle) while cells are still running. Screenshots go to results/lab/.
// Missing Chromium or JupyterLab fails the test; it never skips. Run: `npm run test:lab` (not part
// of `npm test`: it needs a browser and Python; .ci/run installs both and runs it as its own step).
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../lib/util/provenance.ts';
import { writeJsonAtomic } from '../../lib/util/fs.ts';
import { prepareKernel } from '../../tools/notebooks/kernelspec.ts';
import { ensureJupyterLab, startJupyterLab } from '../../tools/notebooks/jupyterlab.ts';

const NOTEBOOK = 'notebooks/01-table1-modality-gap.ipynb';
const CHROMIUM = process.env.DBRIDGE_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'results', 'lab');
const RUN_TIMEOUT_MS = 6 * 60_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForServer(url: string, lab: ChildProcess, log: () => string): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < 90_000) {
    if (lab.exitCode !== null) throw new Error(`jupyter lab exited with ${lab.exitCode}:\n${log()}`);
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`JupyterLab did not answer at ${url} within 90 s:\n${log()}`);
}

/** Lab settings for the test: no autosave (the committed notebook stays as it is), no news/update checks. */
function testSettings(dir: string): void {
  writeJsonAtomic(join(dir, '@jupyterlab', 'docmanager-extension', 'plugin.jupyterlab-settings'), { autosave: false });
  writeJsonAtomic(join(dir, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'), { fetchNews: 'false', checkForUpdates: false });
}

/** Input prompts of the notebook's code cells: '[3]:', '[*]:' (running or queued), '[ ]:' (not run). */
async function prompts(page: Page): Promise<string[]> {
  return page.$$eval('.jp-Notebook .jp-CodeCell .jp-InputPrompt', (els) => els.map((e) => (e.textContent ?? '').trim()));
}

/** The kernel status JupyterLab shows (status bar: "<kernel> | Idle"). */
async function kernelStatus(page: Page): Promise<string> {
  const text = await page.$$eval('.jp-StatusBar-TextItem', (els) => els.map((e) => e.textContent ?? '').join(' '));
  return /\|\s*(Idle|Busy|Starting|Restarting|Connecting|Unknown|Dead|Disconnected)/.exec(text)?.[1] ?? '?';
}

test('JupyterLab runs notebook 01 at smoke scale in headless Chromium: table, interactive figure, no error', { timeout: RUN_TIMEOUT_MS + 4 * 60_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set DBRIDGE_CHROMIUM)`);
  const jupyterPath = prepareKernel();
  const jupyter = ensureJupyterLab({ install: false });
  const tmp = mkdtempSync(join(tmpdir(), 'dbridge-lab-'));
  testSettings(join(tmp, 'settings'));
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  const token = randomBytes(12).toString('hex');
  const lab = startJupyterLab({
    jupyter, jupyterPath, port, token, openBrowser: false, stdio: 'pipe',
    settingsDir: join(tmp, 'settings'), workspacesDir: join(tmp, 'workspaces'),
    env: { DBRIDGE_SCALE: 'smoke' },
  });
  let labLog = '';
  lab.stdout?.on('data', (d) => { labLog += d; });
  lab.stderr?.on('data', (d) => { labLog += d; });
  const tail = () => labLog.split('\n').slice(-40).join('\n');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'] });
  try {
    await waitForServer(`http://127.0.0.1:${port}/api/status?token=${token}`, lab, tail);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`http://127.0.0.1:${port}/lab/tree/${NOTEBOOK}?token=${token}`);
    await page.waitForSelector('.jp-Notebook .jp-CodeCell', { timeout: 120_000 });
    // The notebook names the project's kernel: no kernel-selection dialog may appear.
    await page.waitForFunction(`/\\|\\s*Idle/.test(Array.from(document.querySelectorAll('.jp-StatusBar-TextItem')).map((e) => e.textContent).join(' '))`, undefined, { timeout: 120_000 })
      .catch(async () => { throw new Error(`the kernel never became Idle (dialog: ${await page.$eval('.jp-Dialog', (e) => e.textContent).catch(() => 'none')})\n${tail()}`); });
    const nCells = (await prompts(page)).length;
    assert.ok(nCells >= 5, `expected the notebook's code cells, found ${nCells}`);

    // Run > Run All Cells, through the menu bar.
    await page.click('.lm-MenuBar-itemLabel:text-is("Run")');
    await page.click('.lm-Menu-itemLabel:text-is("Run All Cells")');

    // Wait until every code cell has an execution count; sample the kernel status meanwhile.
    const t0 = Date.now();
    let pendingSamples = 0, busySamples = 0;
    for (;;) {
      const p = await prompts(page);
      const done = p.filter((x) => /^\[\d+\]:$/.test(x)).length;
      if (done === p.length) break;
      if (Date.now() - t0 > RUN_TIMEOUT_MS) throw new Error(`cells still running after ${RUN_TIMEOUT_MS / 1000} s: ${p.join(' ')}\n${tail()}`);
      // a later cell waits while an earlier one runs: the kernel is busy by any reading
      if (done >= 1 && p.includes('[*]:') && p.lastIndexOf('[*]:') > p.indexOf('[*]:')) {
        pendingSamples++;
        if ((await kernelStatus(page)) === 'Busy') busySamples++;
      }
      await page.waitForTimeout(500);
    }
    const seconds = (Date.now() - t0) / 1000;

    await page.locator('.jp-RenderedMarkdown table').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'notebook-01-table.png') });
    const vega = page.locator('.vega-embed');
    if (await vega.count() > 0) { await vega.first().scrollIntoViewIfNeeded(); await page.waitForTimeout(500); }
    await page.screenshot({ path: join(SHOTS, 'notebook-01-figure.png') });

    const errors = await page.$$eval('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]', (els) => els.map((e) => (e.textContent ?? '').slice(0, 400)));
    assert.deepEqual(errors, [], `cells showed errors or stderr output:\n${errors.join('\n---\n')}`);
    const tableRows = await page.$$eval('.jp-RenderedMarkdown table', (ts) => ts.map((t) => Array.from(t.querySelectorAll('tbody tr'), (r) => (r as { textContent: string | null }).textContent ?? '')));
    const results = tableRows.find((rows) => rows.some((r) => r.includes('(a)')) && rows.some((r) => r.includes('(f)')));
    assert.ok(results, `the Table 1 results (rows (a)-(f)) were not rendered; tables found: ${JSON.stringify(tableRows).slice(0, 600)}`);
    const figures = await page.$$eval('.vega-embed', (els) => els.filter((e) => e.querySelector('svg, canvas')).length);
    assert.ok(figures >= 1, 'no interactive Vega-Lite figure (vega-embed with svg/canvas) was drawn');
    const smokeNote = await page.locator('text=Smoke scale').count();
    assert.ok(smokeNote >= 1, 'the smoke-scale note is not shown');
    assert.ok(pendingSamples === 0 || busySamples / pendingSamples >= 0.5,
      `JupyterLab showed the kernel Idle while cells were still queued (${busySamples}/${pendingSamples} samples Busy)`);
    console.log(`notebook 01 ran in ${seconds.toFixed(0)} s through the UI; ${figures} Vega-Lite figure(s); kernel Busy in ${busySamples}/${pendingSamples} samples while cells were queued; screenshots in results/lab/`);
  } finally {
    await browser.close();
    lab.kill('SIGTERM');
    await new Promise((r) => { const t = setTimeout(() => { lab.kill('SIGKILL'); r(null); }, 10_000); lab.once('exit', () => { clearTimeout(t); r(null); }); });
    rmSync(tmp, { recursive: true, force: true });
  }
});
