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

/** A zeromq socket as tslab uses it: `send` is asynchronous and refuses a second call in flight. */
export interface SendingSocket {
  send(msg: unknown): Promise<void>;
}

const patchedProtos = new WeakSet<object>();
const lastSend = new WeakMap<object, Promise<void>>();

/**
 * Makes `send` of `sock` (and of every socket sharing its class) wait for the same socket's
 * previous send when one is still in flight (and send at once otherwise): zeromq.js 6 throws EBUSY ("Socket is busy writing; only one send operation may be
 * in progress at any time") when tslab sends again before the last send finished, which kills the
 * kernel. It happened during a long training stage at mini scale, where progress displays, stage
 * lines and streams follow each other quickly. zeromq's sockets are not extensible and `send` is a
 * read-only property of their prototype, so the prototype's property is redefined, with one queue
 * per socket. A failed send is logged to the kernel's stderr instead of becoming an unhandled
 * rejection.
 */
export function queueSends(sock: SendingSocket): void {
  let proto: object | null = sock;
  while (proto && !Object.getOwnPropertyDescriptor(proto, 'send')) proto = Object.getPrototypeOf(proto);
  if (!proto || patchedProtos.has(proto)) return;
  const send = (proto as SendingSocket).send;
  Object.defineProperty(proto, 'send', {
    configurable: true, writable: false,
    value: function (this: object, msg: unknown): Promise<void> {
      // Nothing in flight: send now, synchronously, as tslab expects (a status "busy" must leave
      // before the cell's synchronous work starts). Otherwise wait for the previous send.
      const prev = lastSend.get(this);
      const start = () => { try { return Promise.resolve(send.call(this, msg)); } catch (e) { return Promise.reject(e); } };
      const last: Promise<void> = (prev ? prev.then(start) : start())
        .catch((e: unknown) => { process.stderr.write(`dbridge kernel: a message could not be sent: ${String(e)}\n`); })
        .then(() => { if (lastSend.get(this) === last) lastSend.delete(this); });
      lastSend.set(this, last);
      return last;
    },
  });
  patchedProtos.add(proto);
}

/** Applies `queueSends` to every socket tslab's ZmqServer binds (before any message is sent). */
export function queueSendsOfBoundSockets(proto: { bindSocket(sock: SendingSocket, port: number): Promise<void> }): void {
  const bind = proto.bindSocket;
  if ((bind as { queued?: true }).queued) return;
  const patched = function (this: unknown, sock: SendingSocket, port: number) {
    queueSends(sock);
    return bind.call(this, sock, port);
  };
  (patched as { queued?: true }).queued = true;
  proto.bindSocket = patched;
}
