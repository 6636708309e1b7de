// User-facing errors. A DbridgeError carries a one-line reason that the CLI prints as is
// (no stack trace) before exiting non-zero; anything else is a bug and is printed with its stack.

export class DbridgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DbridgeError';
  }
}

/** Throws a DbridgeError with `message` unless `cond` holds. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new DbridgeError(typeof message === 'function' ? message() : message);
}

/** Throws unless every value is finite, naming `what` and the first bad index. */
export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new DbridgeError(`${what} contains ${v} at flat index ${i}; values must be finite`);
  }
}
