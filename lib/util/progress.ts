// A progress bar for long work: count/total, rate, ETA and caller-supplied fields (loss, ...).
// Where it shows:
// - in a Jupyter notebook (the project's tslab kernel): one display in the cell's output that
//   updates in place (an HTML bar plus a text line), never stderr, which JupyterLab paints as a
//   warning;
// - on a terminal: one line on stderr, redrawn;
// - otherwise (logs, CI): a line on stderr at most every `logEverySeconds`.
// Silent when DBRIDGE_QUIET=1. Labels get the enclosing `withProgressLabel` context as a prefix
// ("decoder (plain) › epoch 1/10"), so a bar says which stage it belongs to. Anything that uses
// `Progress` (training harnesses included) shows up in notebooks this way without knowing of them.
import { AsyncLocalStorage } from 'node:async_hooks';
import { jupyterOutput, newDisplayId, escapeHtml, type JupyterOutput } from './jupyter.ts';

export interface ProgressOptions {
  total: number;
  label: string;
  unit?: string;            // e.g. 'steps', 'images'
  logEverySeconds?: number; // non-TTY print interval
  stream?: NodeJS.WriteStream; // a stream forces text output there (no notebook display)
}

const context = new AsyncLocalStorage<string[]>();

/**
 * A status line from library code: stderr in the CLI (stdout stays for data), stdout in a notebook
 * (JupyterLab paints stderr as a warning). Silent when DBRIDGE_QUIET=1.
 */
export function logLine(line: string): void {
  if (process.env.DBRIDGE_QUIET === '1') return;
  if (jupyterOutput()) console.log(line);
  else process.stderr.write(line + '\n');
}

/** Runs `fn` with `label` prefixed to every progress label (and status line) shown inside it. */
export function withProgressLabel<T>(label: string, fn: () => Promise<T>): Promise<T> {
  return context.run([...(context.getStore() ?? []), label], fn);
}

function contextual(label: string): string {
  const ctx = context.getStore() ?? [];
  // "embed" › "embed world-a" says it twice: keep the label alone when it starts with its context
  return ctx.length > 0 && !label.startsWith(ctx[ctx.length - 1]) ? [...ctx, label].join(' › ') : label;
}

/** Seconds between two redraws of a notebook display (each redraw is a message to the front end). */
const NOTEBOOK_REDRAW_SECONDS = 0.5;

export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private done = 0;
  private printedFinal = false;
  private readonly quiet = process.env.DBRIDGE_QUIET === '1';
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly notebook: JupyterOutput | null;
  private readonly displayId = newDisplayId();
  private readonly label: string;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.notebook = opts.stream ? null : jupyterOutput();
    this.label = contextual(opts.label);
  }

  /** Record that `done` items are finished (absolute count) with optional fields to show. */
  update(done: number, fields: Record<string, number | string> = {}): void {
    this.done = done;
    const now = Date.now();
    const interval = this.notebook ? NOTEBOOK_REDRAW_SECONDS * 1000 : this.tty ? 100 : (this.opts.logEverySeconds ?? 10) * 1000;
    if (done < this.opts.total && now - this.lastPrint < interval) return;
    this.lastPrint = now;
    this.print(fields, done >= this.opts.total);
  }

  finish(fields: Record<string, number | string> = {}): void {
    this.done = this.opts.total;
    if (!this.printedFinal) this.print(fields, true);
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.start) / 1000;
  }

  private print(fields: Record<string, number | string>, final: boolean): void {
    if (final) this.printedFinal = true;
    if (this.quiet) return;
    const { total } = this.opts;
    const unit = this.opts.unit ?? 'it';
    const el = this.elapsedSeconds;
    const rate = el > 0 ? this.done / el : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    // a field not known yet (NaN: e.g. the loss before the first logged window) is left out
    const extra = Object.entries(fields)
      .filter(([, v]) => !(typeof v === 'number' && Number.isNaN(v)))
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
      .join(' ');
    const stats = `${this.done}/${total} ${unit} ${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s ` +
      `elapsed ${formatSeconds(el)} eta ${final ? '0s' : formatSeconds(eta)}${extra ? ' ' + extra : ''}`;
    if (this.notebook) {
      this.notebook.display(progressBundle(this.label, frac, stats, final), this.displayId);
      return;
    }
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const line = `${this.label} [${bar}] ${stats}`;
    if (this.tty) this.stream.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else this.stream.write(line + '\n');
  }
}

/** The notebook form of a progress line: an HTML bar with its text, and the text alone. */
export function progressBundle(label: string, fraction: number, stats: string, final: boolean): Record<string, string> {
  const text = `${final ? '✓' : '…'} ${label} ${Math.round(fraction * 100)}% ${stats}`;
  const html = `<div style="font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 13px)">` +
    `<progress value="${fraction.toFixed(4)}" max="1" style="width: 16em; vertical-align: middle"></progress> ` +
    `<b>${escapeHtml(label)}</b> ${escapeHtml(`${Math.round(fraction * 100)}% ${stats}`)}${final ? ' ✓' : ''}</div>`;
  return { 'text/plain': text, 'text/html': html };
}

/**
 * A one-line status that updates in place in a notebook (e.g. "running <stage> … 12 s") and is a
 * plain line on stdout elsewhere. `set` replaces the line; lines are prefixed by the context.
 */
export class StatusLine {
  private readonly notebook = jupyterOutput();
  private readonly id = newDisplayId();
  set(text: string): void {
    if (process.env.DBRIDGE_QUIET === '1') return;
    const line = contextual(text);
    if (this.notebook) this.notebook.display({ 'text/plain': line }, this.id);
    else console.log(line);
  }
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return v.toFixed(4);
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.round(s % 60).toString().padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60).toString().padStart(2, '0')}m`;
}
