// Running the metric jars (METEOR 1.5, SPICE 1.0) through Java: locating the jar, a clear error when
// it or java is missing, and a line-oriented child process for METEOR's -stdio protocol.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DbridgeError } from '../util/errors.ts';

/** Resolves a jar path given by the user (option or environment variable); errors if it is not a file. */
export function checkJar(path: string, what: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new DbridgeError(`${what} not found: ${abs}`);
  if (!statSync(abs).isFile()) throw new DbridgeError(`${what} is not a file: ${abs}`);
  return abs;
}

/** A child process read line by line (stdout), with its stderr kept for error messages. */
export class LineProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private buf = '';
  private readonly lines: string[] = [];
  private waiting: { resolve: (l: string) => void; reject: (e: Error) => void } | null = null;
  private stderr = '';
  private ended: Error | null = null;

  constructor(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; what: string }) {
    this.child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).replace(/\r$/, '');
        this.buf = this.buf.slice(i + 1);
        if (this.waiting) { const w = this.waiting; this.waiting = null; w.resolve(line); } else this.lines.push(line);
      }
    });
    this.child.stderr.on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-4000); });
    const fail = (e: Error) => {
      this.ended = e;
      if (this.waiting) { const w = this.waiting; this.waiting = null; w.reject(e); }
    };
    this.child.on('error', (e: NodeJS.ErrnoException) => {
      fail(new DbridgeError(e.code === 'ENOENT' ? `${opts.what}: '${cmd}' not found (install Java or pass its path)` : `${opts.what}: ${e.message}`));
    });
    this.child.on('exit', (code, signal) => {
      const tail = this.stderr.trim().split('\n').slice(-3).join(' | ');
      fail(new DbridgeError(`${opts.what} exited early (${signal ?? 'code ' + code})${tail ? ': ' + tail : ''}`));
    });
    this.child.stdin.on('error', () => { /* reported through 'exit' */ });
  }

  write(line: string): void {
    if (this.ended) throw this.ended;
    this.child.stdin.write(line + '\n');
  }

  readLine(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject }; });
  }

  close(): void {
    this.child.stdin.end();
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** Runs a command to completion; rejects with a DbridgeError carrying the tail of stderr. */
export function runToEnd(cmd: string, args: string[], opts: { cwd?: string; what: string }): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { err = (err + d).slice(-4000); });
    child.on('error', (e: NodeJS.ErrnoException) => reject(new DbridgeError(e.code === 'ENOENT' ? `${opts.what}: '${cmd}' not found (install Java or pass its path)` : `${opts.what}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new DbridgeError(`${opts.what} failed (${signal ?? 'code ' + code})${err.trim() ? ': ' + err.trim().split('\n').slice(-3).join(' | ') : ''}`));
    });
  });
}
