// A running sum of device scalars (losses, gradient norms) that stays on the device until it is
// read with `await`, so a training loop never waits for the accelerator between steps (webgpu
// has no synchronous read in Node at all). A NaN or Inf anywhere in the window shows in the sum.
import { tf } from '../tf.ts';

/** Training steps between host reads of the running loss (progress bars, divergence checks). */
export const READ_EVERY = 10;

export class DeviceSum {
  private sum: tf.Scalar | null = null;
  /** Number of scalars added since the last reset. */
  count = 0;

  /** Adds `x` to the sum and takes ownership of it (it is disposed). */
  add(x: tf.Scalar): void {
    if (this.sum === null) this.sum = x;
    else {
      const prev = this.sum;
      this.sum = tf.add(prev, x) as tf.Scalar;
      tf.dispose([prev, x]);
    }
    this.count++;
  }

  /** The sum read back to the host (0 when empty); the sum is kept. */
  async read(): Promise<number> {
    return this.sum === null ? 0 : (await this.sum.data())[0];
  }

  /** The mean over the added scalars (NaN when empty). */
  async mean(): Promise<number> {
    return this.count === 0 ? NaN : (await this.read()) / this.count;
  }

  /** Hands the sum tensor over to the caller (a zero when empty) and starts a new window. */
  take(): tf.Scalar {
    const s = this.sum ?? tf.scalar(0);
    this.sum = null;
    this.count = 0;
    return s;
  }

  /** Starts a new window. */
  reset(): void {
    this.sum?.dispose();
    this.sum = null;
    this.count = 0;
  }

  dispose(): void { this.reset(); }
}
