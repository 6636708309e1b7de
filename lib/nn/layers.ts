// Differentiable building blocks shared by every network (Unet1D, ResMLP, the world encoder,
// GPT-2). Weights of dense layers are stored [in, out] (y = x W + b, the GPT-2 Conv1D layout).
// Gradients are written so that wasm never runs its slow transposed matMul kernels: each
// transpose is an explicit tf.transpose followed by a plain matMul (platform.md: 10-50x faster).
import { tf } from '../tf.ts';

/** y = x @ w (+ b); x [..., in], w [in, out], b [out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1]!;
    if (w.shape[0] !== inDim) throw new Error(`linear: input width ${inDim} does not match weight [${w.shape}]`);
    const lead = x.shape.slice(0, -1);
    const x2 = x.reshape([-1, inDim]) as tf.Tensor2D;
    let y = matMul2d(x2, w as tf.Tensor2D);
    if (b) y = tf.add(y, b);
    return y.reshape([...lead, w.shape[1]!]);
  });
}

/** Plain 2-D matMul whose gradients use explicit transposes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const matMul2d = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      // tidy: the transposes die here, not at the end of the whole backward pass
      return tf.tidy(() => [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)]);
    },
  };
}) as any) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** Batched matMul [B, m, k] x [B, k, n] whose gradients use explicit transposes. */
export const bmm = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor3D[];
      return tf.tidy(() => [
        tf.matMul(dy as tf.Tensor3D, tf.transpose(sb, [0, 2, 1])),
        tf.matMul(tf.transpose(sa, [0, 2, 1]), dy as tf.Tensor3D),
      ]);
    },
  };
}) as any) as unknown as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** Rows of `table` [V, D] at integer `ids` (any shape) -> [...ids.shape, D]. Works on wasm (see kernels.ts). */
export function embedding(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const flat = ids.reshape([-1]);
    return tf.gather(table, flat.toInt()).reshape([...ids.shape, table.shape[1]!]);
  });
}

/** LayerNorm over the last axis (biased variance, like torch). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const axis = x.shape.length - 1;
    const mean = tf.mean(x, axis, true);
    const xc = tf.sub(x, mean);
    const v = tf.mean(tf.square(xc), axis, true);
    return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(v, eps))), gamma), beta);
  });
}

/**
 * lucidrains' RMSNorm: F.normalize(x, dim=channels) * g * sqrt(C) over the channel axis `axis`
 * (normalize divides by max(||x||, 1e-12)).
 */
export function rmsNormChannels(x: tf.Tensor, g: tf.Tensor, axis: number): tf.Tensor {
  return tf.tidy(() => {
    const c = x.shape[axis]!;
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), axis, true)), 1e-12);
    return tf.mul(tf.div(x, norm), tf.mul(g, Math.sqrt(c)));
  });
}

/** GELU, tanh approximation ("gelu_new" in GPT-2). */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  // 0.5 x (1 + tanh(z)) = x sigmoid(2z), z = sqrt(2/pi)(x + 0.044715 x^3): the same function, and
  // sigmoid/mul are 5-20x faster on wasm than pow/tanh.
  return tf.tidy(() => {
    const z2 = tf.mul(2 * Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(x, tf.sigmoid(z2));
  });
}

/** GELU, exact erf form (torch nn.GELU default). */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
}

/** x * sigmoid(1.702 x) (CLIP's quick_gelu). */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(1.702, x))));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/**
 * 1-D convolution, channels-last: x [B, L, Cin], w [k*Cin, Cout] (im2col layout, row j*Cin + c
 * holds torch weight[:, c, j]), zero padding `pad` on both sides, stride 1 or 2.
 * Built from pad + slices + concat + linear, so the weight gradient exists on wasm.
 */
export function conv1d(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | undefined, k: number, opts: { pad?: number; stride?: 1 | 2 } = {}): tf.Tensor {
  return tf.tidy(() => {
    const pad = opts.pad ?? 0, stride = opts.stride ?? 1;
    const [B, L, C] = x.shape as [number, number, number];
    if (w.shape[0] !== k * C) throw new Error(`conv1d: weight [${w.shape}] does not fit k=${k}, Cin=${C}`);
    const xp = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [0, 0]]) : x;
    const Lp = L + 2 * pad;
    const Lout = Math.floor((Lp - k) / stride) + 1;
    if (k === 1 && stride === 1) return linear(xp, w, b);
    const taps: tf.Tensor[] = [];
    if (stride === 1) {
      for (let j = 0; j < k; j++) taps.push(tf.slice(xp, [0, j, 0], [B, Lout, C]));
    } else {
      // x_p[2i + j] = r[i + floor(j/2), j % 2] with r = x_p reshaped [B, Lp/2, 2, C]
      const even = Lp % 2 === 0 ? xp : tf.pad(xp, [[0, 0], [0, 1], [0, 0]]);
      const r = even.reshape([B, even.shape[1]! / 2, 2, C]);
      for (let j = 0; j < k; j++) {
        taps.push(tf.slice(r, [0, Math.floor(j / 2), j % 2, 0], [B, Lout, 1, C]).reshape([B, Lout, C]));
      }
    }
    const patches = taps.length === 1 ? taps[0] : tf.concat(taps, 2);
    return linear(patches, w, b);
  });
}

/** Torch Conv1d weight [out, in, k] (row-major data) -> im2col layout [k*in, out]. */
export function torchConvWeightToIm2col(data: Float32Array, out: number, inC: number, k: number): Float32Array {
  const r = new Float32Array(k * inC * out);
  for (let o = 0; o < out; o++) for (let c = 0; c < inC; c++) for (let j = 0; j < k; j++) {
    r[(j * inC + c) * out + o] = data[(o * inC + c) * k + j];
  }
  return r;
}

/** Torch nn.Linear weight [out, in] -> [in, out]. */
export function transposeMatrix(data: Float32Array, rows: number, cols: number): Float32Array {
  const r = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) r[j * rows + i] = data[i * cols + j];
  return r;
}

/**
 * Softmax attention: q [B, H, Lq, dh], k/v [B, H, Lk, dh]; optional additive mask broadcastable to
 * [B, H, Lq, Lk]. Returns [B, H, Lq, dh]. Scale defaults to 1/sqrt(dh).
 */
export function attention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor, scale?: number): tf.Tensor {
  return tf.tidy(() => {
    const [B, H, Lq, dh] = q.shape as number[];
    const Lk = k.shape[2]!;
    const q3 = q.reshape([B * H, Lq, dh]) as tf.Tensor3D;
    const kT = tf.transpose(k.reshape([B * H, Lk, dh]), [0, 2, 1]) as tf.Tensor3D;
    let s = bmm(q3, kT).mul(scale ?? 1 / Math.sqrt(dh)).reshape([B, H, Lq, Lk]);
    if (mask) s = tf.add(s, mask);
    const p = tf.softmax(s, -1).reshape([B * H, Lq, Lk]) as tf.Tensor3D;
    return bmm(p, v.reshape([B * H, Lk, dh]) as tf.Tensor3D).reshape([B, H, Lq, dh]);
  });
}

/** Additive causal mask [1, 1, L, L]: 0 on and below the diagonal, -1e9 above. */
export function causalMask(L: number): tf.Tensor {
  return tf.tidy(() => {
    const m = new Float32Array(L * L);
    for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = -1e9;
    return tf.tensor4d(m, [1, 1, L, L]);
  });
}
