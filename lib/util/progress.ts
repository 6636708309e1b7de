// A progress bar for long work: count/total, rate, ETA and caller-supplied fields (loss, ...).
// Writes to stderr; on a TTY it redraws one line, otherwise it prints a line at most every
// `logEverySeconds` so logs and notebooks stay readable. Silent when DBRIDGE_QUIET=1.

export interface ProgressOptions {
  total: number;
  label: string;
  unit?: string;            // e.g. 'steps', 'images'
  logEverySeconds?: number; // non-TTY print interval
  stream?: NodeJS.WriteStream;
}

export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private done = 0;
  private printedFinal = false;
  private readonly quiet = process.env.DBRIDGE_QUIET === '1';
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Record that `done` items are finished (absolute count) with optional fields to show. */
  update(done: number, fields: Record<string, number | string> = {}): void {
    this.done = done;
    const now = Date.now();
    const interval = this.tty ? 100 : (this.opts.logEverySeconds ?? 10) * 1000;
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
    const { total, label } = this.opts;
    const unit = this.opts.unit ?? 'it';
    const el = this.elapsedSeconds;
    const rate = el > 0 ? this.done / el : 0;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const width = 24;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
      .join(' ');
    const line = `${label} [${bar}] ${this.done}/${total} ${unit} ${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s ` +
      `elapsed ${formatSeconds(el)} eta ${final ? '0s' : formatSeconds(eta)}${extra ? ' ' + extra : ''}`;
    if (this.tty) this.stream.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else this.stream.write(line + '\n');
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
