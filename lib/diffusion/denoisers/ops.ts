// Channels-last building blocks of the denoisers ([B, L, C] tensors), written for tfjs-wasm:
// every weight gradient goes through lib/nn's transpose-free `linear`/`matMul2d`, convolutions are
// im2col (taps concatenated along channels, then one matMul), and softmax over a non-last axis is
// written out (exp(x - max) / sum) so that it also differentiates on wasm.
// Follows lucidrains' denoising-diffusion-pytorch 1d file (v2.0.17, as copied into
// mongeoroo/diffusion-bridge); the only divergences are layout (channels-last) and fused arithmetic
// (e.g. RMSNorm gain and FiLM scale folded into one per-channel factor), which change rounding only.
import { tf } from '../../tf.ts';
import { linear } from '../../nn/layers.ts';

/**
 * Stride-1 convolution with zero padding `pad` on both sides over the channel-concatenation of
 * `inputs` (each [B, L, Ci]), without materialising that concatenation: the im2col patch row is
 * [tap 0 of every input, tap 1 of every input, ...], i.e. weight row j*Cin + c with c running over
 * the concatenated channels — the layout of lib/nn `conv1d` / `torchConvWeightToIm2col`.
 * w: [k*Cin, Cout], b: [Cout].
 */
export function convCat(inputs: tf.Tensor[], w: tf.Tensor, b: tf.Tensor | undefined, k: number, pad: number): tf.Tensor {
  return tf.tidy(() => {
    const [B, L] = inputs[0].shape as [number, number, number];
    const cin = inputs.reduce((s, x) => s + x.shape[2]!, 0);
    if (w.shape[0] !== k * cin) throw new Error(`convCat: weight [${w.shape}] does not fit k=${k}, Cin=${cin}`);
    const Lout = L + 2 * pad - k + 1;
    if (k === 1 && pad === 0) {
      const x = inputs.length === 1 ? inputs[0] : tf.concat(inputs, 2);
      return linear(x, w, b);
    }
    const padded = inputs.map((x) => (pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [0, 0]]) : x));
    const taps: tf.Tensor[] = [];
    for (let j = 0; j < k; j++) {
      for (const xp of padded) taps.push(j === 0 && Lout === xp.shape[1] ? xp : tf.slice(xp, [0, j, 0], [B, Lout, xp.shape[2]!]));
    }
    return linear(taps.length === 1 ? taps[0] : tf.concat(taps, 2), w, b);
  });
}

/**
 * Nearest x2 upsampling followed by a k=3, pad=1 convolution, computed at the low resolution:
 * with u[2i] = u[2i+1] = x[i], y[2i] = W0 x[i-1] + (W1+W2) x[i] and y[2i+1] = (W0+W1) x[i] + W2 x[i+1],
 * i.e. one k=3 im2col matMul against [[W0, 0], [W1+W2, W0+W1], [0, W2]] ([3C, 2Cout]) whose two
 * output halves interleave. Same MACs as the plain form, half the patch memory, no upsampled copy.
 * x: [B, L, C], w: [3C, Cout] (im2col layout) -> [B, 2L, Cout].
 */
export function upsampleConv3(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [B, L, C] = x.shape as [number, number, number];
    const cout = w.shape[1]!;
    const w0 = tf.slice(w, [0, 0], [C, cout]);
    const w1 = tf.slice(w, [C, 0], [C, cout]);
    const w2 = tf.slice(w, [2 * C, 0], [C, cout]);
    const z = tf.zeros([C, cout]);
    const wc = tf.concat([
      tf.concat([w0, z], 1),
      tf.concat([tf.add(w1, w2), tf.add(w0, w1)], 1),
      tf.concat([z, w2], 1),
    ], 0);
    const bc = tf.concat([b, b], 0);
    const y = convCat([x], wc, bc, 3, 1); // [B, L, 2*Cout]
    return y.reshape([B, 2 * L, cout]);
  });
}

/** x / max(||x||_channels, 1e-12) * factor, the channel-normalising part of lucidrains' RMSNorm. */
export function channelNormalize(x: tf.Tensor, factor: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.shape.length - 1;
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), axis, true)), 1e-12);
    return tf.mul(tf.div(x, norm), factor);
  });
}

/** lucidrains' RMSNorm over channels (last axis): normalize(x) * g * sqrt(C); g [C]. */
export function rmsNorm(x: tf.Tensor, g: tf.Tensor): tf.Tensor {
  return tf.tidy(() => channelNormalize(x, tf.mul(g, Math.sqrt(x.shape[x.shape.length - 1]!))));
}

/** Softmax along any axis (exp(x - max) / sum; the max term contributes no gradient in exact arithmetic). */
export function softmaxAxis(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
    return tf.div(e, tf.sum(e, axis, true));
  });
}

/** x * sigmoid(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/**
 * Sinusoidal time embedding of the official SinusoidalPosEmb, in float32 as the official code
 * computes it: freq_k = exp(k * -(ln(theta)/(half-1))) with k and the factor rounded to float32,
 * angle = float32(t * freq_k), then [sin(angle) | cos(angle)]. Computed on the host (cheap: B x dim).
 */
export function sinusoidalEmbedding(t: ArrayLike<number>, dim: number, theta = 10000): Float32Array {
  const half = Math.floor(dim / 2);
  const f = Math.fround(-(Math.log(theta) / (half - 1)));
  const freqs = new Float32Array(half);
  for (let k = 0; k < half; k++) freqs[k] = Math.fround(Math.exp(Math.fround(k * f)));
  const out = new Float32Array(t.length * 2 * half);
  for (let i = 0; i < t.length; i++) {
    const ti = Math.fround(t[i]);
    const o = i * 2 * half;
    for (let k = 0; k < half; k++) {
      const a = Math.fround(ti * freqs[k]);
      out[o + k] = Math.sin(a);
      out[o + half + k] = Math.cos(a);
    }
  }
  return out;
}

/** Timesteps as host integers: a number (whole batch) or a [B] tensor. */
export function timestepsOf(t: tf.Tensor1D | number, batch: number): Int32Array {
  if (typeof t === 'number') {
    if (!Number.isInteger(t)) throw new Error(`timestep must be an integer, got ${t}`);
    return new Int32Array(batch).fill(t);
  }
  if (t.rank !== 1 || t.shape[0] !== batch) throw new Error(`timesteps have shape [${t.shape}], expected [${batch}]`);
  const d = t.dataSync();
  return Int32Array.from(d, (v) => Math.round(v));
}
