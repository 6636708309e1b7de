// The DDIM time grid of the official samplers (ddim_sample / ddim_sample_with_img):
//   times = reversed(int(torch.linspace(-1, M-1, S+1)))  ;  pairs = zip(times[:-1], times[1:])
// The network is called at the first element of every pair; the last pair ends at -1.
// The official float32 linspace truncated toward zero equals trunc(-1 + j·M/S) computed exactly
// (checked against every (M, S) of the reference grid), which is what is computed here, in integers.
import { DbridgeError } from '../util/errors.ts';

/** trunc(linspace(-1, M-1, S+1)), reversed: S+1 integers from M-1 down to -1. */
export function ddimTimes(M: number, S: number): number[] {
  if (!Number.isInteger(M) || M < 1) throw new DbridgeError(`the start step M must be a positive integer, got ${M}`);
  if (!Number.isInteger(S) || S < 1) throw new DbridgeError(`the number of DDIM steps must be a positive integer, got ${S}`);
  const out: number[] = [];
  for (let j = 0; j <= S; j++) {
    const num = j * M - S; // (-1 + j*M/S) * S
    out.push((num - (num % S)) / S); // exact truncation toward zero
  }
  return out.reverse();
}

/** Consecutive (t, t_next) pairs of ddimTimes(M, S); t_next = -1 means "return the predicted x0". */
export function ddimTimePairs(M: number, S: number): [number, number][] {
  const ts = ddimTimes(M, S);
  return ts.slice(0, -1).map((t, i) => [t, ts[i + 1]] as [number, number]);
}

/** The timesteps at which the network is called, in order. */
export function ddimNetworkTimes(M: number, S: number): number[] {
  return ddimTimePairs(M, S).map(([t]) => t);
}
