// A fix to tslab 1.0.22's kernel, applied by tools/notebooks/kernel.ts: tslab handles every shell
// message as soon as it arrives and publishes `busy` then, `idle` when that message is done. Run
// All sends all execute requests at once, so every cell announces `busy` at the start and the
// first cell to finish announces `idle` while the others still run (JupyterLab shows "Idle"
// during Run All). Handling the shell channel's messages one after another, as ipykernel does,
// makes `busy` start when a cell starts and `idle` follow the last one. The control channel
// (interrupt, shutdown) stays concurrent. Execution order and error semantics are unchanged:
// tslab already runs cells one at a time, and after an error it cancels requests that arrive
// within 200 ms, which now includes every queued cell.

/** The part of tslab's ZmqServer this patch touches. */
export interface ShellServer {
  shell?: unknown;
  handleShellMessage(sock: unknown, ...frames: unknown[]): Promise<void>;
}

const PATCHED = Symbol.for('dbridge.serializedShell');
const QUEUE = Symbol.for('dbridge.shellQueue');

/** Makes `proto.handleShellMessage` process shell-socket messages one at a time, in arrival order. */
export function serializeShellMessages(proto: ShellServer): void {
  const p = proto as ShellServer & { [PATCHED]?: true };
  if (p[PATCHED]) return;
  const handle = proto.handleShellMessage;
  proto.handleShellMessage = function (this: ShellServer & { [QUEUE]?: Promise<void> }, sock: unknown, ...frames: unknown[]): Promise<void> {
    if (sock !== this.shell) return handle.call(this, sock, ...frames);
    const run = () => handle.call(this, sock, ...frames);
    const next = (this[QUEUE] ?? Promise.resolve()).then(run, run);
    this[QUEUE] = next.catch(() => undefined);
    return next;
  };
  p[PATCHED] = true;
}

/** The part of TypeScript's `sys` that tslab's compiler host watches files through. */
export interface WatchingSys {
  watchFile?(path: string, callback: (...args: unknown[]) => void, ...rest: unknown[]): { close(): void };
}

/**
 * Stops tslab's compiler from watching files under `dir` (lib's generated declarations): when
 * `npm run lab` or `npm run notebooks` rewrites them while a kernel runs, TypeScript's watch
 * program in that kernel fails ("Unexpected pending rebuildTimer") and the kernel dies. A running
 * kernel keeps the types it started with; restarting it picks up new ones, as for lib/ itself.
 */
export function ignoreWatchesUnder(sys: WatchingSys, dir: string): void {
  const watch = sys.watchFile;
  if (!watch) return;
  sys.watchFile = function (path: string, callback: (...args: unknown[]) => void, ...rest: unknown[]) {
    return path.startsWith(dir) ? { close() {} } : watch.call(this, path, callback, ...rest);
  };
}
