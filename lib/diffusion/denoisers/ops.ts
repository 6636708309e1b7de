// Channels-last building blocks of the denoisers ([B, L, C] tensors), written for tfjs-wasm (see
// the section below and docs/denoisers.md): convolutions on XNNPACK's conv2d with custom gradients,
// dense layers with transpose-free gradients, per-head matMuls as loops of batch-1 matMuls, and
// fused custom-gradient ops (RMSNorm+FiLM+SiLU, linear-attention core) that keep few tensors for
// backprop. Every custom gradient is checked against autodiff / finite differences in
// test/diffusion/denoisers.test.ts. Follows lucidrains' denoising-diffusion-pytorch 1d file
// (v2.0.17, as copied into mongeoroo/diffusion-bridge); the divergences are layout (channels-last)
// and the order of arithmetic (e.g. RMSNorm gain and FiLM scale folded into one per-channel
// factor), which change rounding only.
import { tf } from '../../tf.ts';

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
    const y = conv1dK(x, wc, bc, 3, 1); // [B, L, 2*Cout]
    return y.reshape([B, 2 * L, cout]);
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

/** Timesteps as host integers: a number (whole batch), B host integers, or a [B] tensor (read synchronously: host-resident values only on webgpu). */
export function timestepsOf(t: tf.Tensor1D | number | Int32Array, batch: number): Int32Array {
  if (typeof t === 'number') {
    if (!Number.isInteger(t)) throw new Error(`timestep must be an integer, got ${t}`);
    return new Int32Array(batch).fill(t);
  }
  if (t instanceof Int32Array) {
    if (t.length !== batch) throw new Error(`${t.length} timesteps for a batch of ${batch}`);
    return t;
  }
  if (t.rank !== 1 || t.shape[0] !== batch) throw new Error(`timesteps have shape [${t.shape}], expected [${batch}]`);
  const d = t.dataSync();
  return Int32Array.from(d, (v) => Math.round(v));
}

// ---------------------------------------------------------------------------------------------
// Fast kernels for tfjs-wasm. Its XNNPACK paths are Conv2D and a 2-D matMul (batch 1, no transpose
// flags); a batched matMul falls back to a naive triple loop (~1 GFLOP/s, 10-20x slower), and
// strided slices/concats along the channel axis copy row by row from JS. So: convolutions run as
// tf.conv2d (XNNPACK) with a custom gradient (input gradient = conv2d with the flipped, transposed
// kernel; weight gradient = one plain matMul of transposed im2col patches), and the per-head
// matMuls of attention run as a loop of 2-D matMuls.

type Conv1dFn = (x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor3D;
const convCache = new Map<string, Conv1dFn>();

/**
 * Stride-1 convolution, channels-last: x [B, L, C], w [k*C, O] (im2col layout, row j*C + c),
 * b [O], zero padding `pad` on both sides -> [B, L + 2*pad - k + 1, O]. Forward through XNNPACK's
 * conv2d; gradients for x, w and b without transposed matMuls or Conv2DBackpropFilter.
 */
export function conv1dK(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, k: number, pad: number): tf.Tensor {
  const key = `${k}/${pad}`;
  let f = convCache.get(key);
  if (!f) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    f = tf.customGrad(((xx: tf.Tensor3D, ww: tf.Tensor2D, bb: tf.Tensor1D, save: tf.GradSaveFunc) => {
      save([xx, ww]);
      const value = tf.tidy(() => {
        const [B, L, C] = xx.shape;
        const O = ww.shape[1];
        const xp = pad > 0 ? tf.pad(xx, [[0, 0], [pad, pad], [0, 0]]) : xx;
        const Lp = L + 2 * pad, Lout = Lp - k + 1;
        const y = tf.fused.conv2d({
          x: xp.reshape([B, 1, Lp, C]) as tf.Tensor4D, filter: ww.reshape([1, k, C, O]) as tf.Tensor4D,
          strides: 1, pad: 'valid', bias: bb,
        });
        return y.reshape([B, Lout, O]) as tf.Tensor3D;
      });
      return {
        value,
        // (gradient functions run outside any tidy of tfjs' backprop: their temporaries would live
        // until the whole backward pass ends, so each one is wrapped in its own tidy)
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
          const [sx, sw] = saved as [tf.Tensor3D, tf.Tensor2D];
          const [B, L, C] = sx.shape;
          const O = sw.shape[1];
          const Lout = dy.shape[1]!;
          const q = k - 1 - pad;
          // dx[m] = sum_j' dy_pad[m + j'] W[k-1-j']^T
          const dyp = q > 0 ? tf.pad(dy, [[0, 0], [q, q], [0, 0]]) : dy;
          // flipped, transposed kernel [k, O, C] from contiguous row blocks (tf.reverse is slow on wasm)
          const blocks: tf.Tensor[] = [];
          for (let j = k - 1; j >= 0; j--) blocks.push(tf.transpose(tf.slice(sw, [j * C, 0], [C, O])));
          const wf = (blocks.length === 1 ? blocks[0] : tf.concat(blocks, 0)).reshape([1, k, O, C]) as tf.Tensor4D;
          const dx = tf.conv2d(dyp.reshape([B, 1, L + k - 1, O]) as tf.Tensor4D, wf, 1, 'valid').reshape([B, L, C]);
          // dW[(j, c), o] = sum_{b, l} x_pad[b, l + j, c] dy[b, l, o]: patches^T [k*C, B*Lout] @ dy [B*Lout, O]
          const xp = pad > 0 ? tf.pad(sx, [[0, 0], [pad, pad], [0, 0]]) : sx;
          const xpT = tf.transpose(xp, [2, 0, 1]); // [C, B, Lp]
          const taps: tf.Tensor[] = [];
          for (let j = 0; j < k; j++) taps.push(tf.slice(xpT, [0, 0, j], [C, B, Lout]).reshape([C, B * Lout]));
          // a row of ones under the patches makes the same matMul produce the bias gradient (a
          // reduction over axes 0 and 1 would transpose dy first on wasm)
          taps.push(tf.ones([1, B * Lout]));
          const dwb = tf.matMul(tf.concat(taps, 0) as tf.Tensor2D, dy.reshape([B * Lout, O]) as tf.Tensor2D);
          const dw = tf.slice(dwb, [0, 0], [k * C, O]);
          const db = tf.slice(dwb, [k * C, 0], [1, O]).reshape([O]);
          return [dx, dw, db];
        }),
      };
    }) as any) as unknown as Conv1dFn;
    convCache.set(key, f);
  }
  if (k === 1 && pad === 0) return dense(x, w, b);
  return f(x as tf.Tensor3D, w as tf.Tensor2D, b as tf.Tensor1D);
}

/**
 * Convolution k=4, stride 2, pad 1 (the official Downsample), as a k=2 stride-1 convolution over
 * the input padded by 1 and folded to [B, (L+2)/2, 2C] (x_p[2i + j] = r[i + floor(j/2), j % 2]); the
 * im2col weight [4C, O] is the same matrix for both. L must be even.
 */
export function downsampleConv4(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [B, L, C] = x.shape as [number, number, number];
    if (L % 2 !== 0) throw new Error(`downsampleConv4: length ${L} is odd`);
    const r = tf.pad(x, [[0, 0], [1, 1], [0, 0]]).reshape([B, (L + 2) / 2, 2 * C]);
    return conv1dK(r, w, b, 2, 0);
  });
}

/**
 * [G, m, k] x [G, k, n] as a loop of batch-1 BatchMatMul kernels (each on XNNPACK's fast path),
 * called through the engine directly on [1, m, k] slices: tf.matMul on 2-D tensors would add four
 * reshapes per group, and per-group overhead is what this loop costs at these sizes.
 */
function loopMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  // other backends (webgpu, tensorflow, cpu) have real batched matMul kernels
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b);
  return tf.tidy(() => {
    // (tf.unstack/tf.split would go through the stock wasm Slice, which copies the whole input per part)
    const [G, m, k] = a.shape, n = b.shape[2];
    const outs: tf.Tensor[] = [];
    for (let g = 0; g < G; g++) {
      const ag = tf.slice(a, [g, 0, 0], [1, m, k]), bg = tf.slice(b, [g, 0, 0], [1, k, n]);
      outs.push(tf.engine().runKernel('BatchMatMul', { a: ag, b: bg }, { transposeA: false, transposeB: false }) as tf.Tensor);
    }
    return (G === 1 ? outs[0] : tf.concat(outs, 0)) as tf.Tensor3D;
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const groupedMatMul = tf.customGrad(((a: tf.Tensor3D, b: tf.Tensor3D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: loopMatMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
      const [sa, sb] = saved as tf.Tensor3D[];
      return [
        loopMatMul(dy as tf.Tensor3D, tf.transpose(sb, [0, 2, 1])),
        loopMatMul(tf.transpose(sa, [0, 2, 1]), dy as tf.Tensor3D),
      ];
    }),
  };
}) as any) as unknown as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

type DenseFn = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const denseBias = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x, b: w, bias: b }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => denseGrads(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, saved[1] as tf.Tensor2D, true)),
  };
}) as any) as unknown as DenseFn;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const denseNoBias = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => denseGrads(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, saved[1] as tf.Tensor2D, false)),
  };
}) as any) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

function denseGrads(dy: tf.Tensor2D, x: tf.Tensor2D, w: tf.Tensor2D, bias: boolean): tf.Tensor[] {
  const dx = tf.matMul(dy, tf.transpose(w));
  const N = x.shape[0], nin = x.shape[1], nout = dy.shape[1];
  if (!bias) {
    // dW = x^T dy; transpose whichever of x [N, in] and dy [N, out] is narrower (N is the big side)
    const dw = nin <= nout ? tf.matMul(tf.transpose(x), dy) : tf.transpose(tf.matMul(tf.transpose(dy), x));
    return [dx, dw];
  }
  if (nin > nout) {
    // transpose the narrower dy: dW = (dy^T x)^T; bias gradient 1^T dy as a matMul (a column sum would transpose dy)
    const dw = tf.transpose(tf.matMul(tf.transpose(dy), x));
    return [dx, dw, tf.matMul(tf.ones([1, N]) as tf.Tensor2D, dy).reshape([nout])];
  }
  // [x^T; 1] dy gives dW and the bias gradient in one matMul
  const xt1 = tf.concat([tf.transpose(x), tf.ones([1, N])], 0) as tf.Tensor2D;
  const dwb = tf.matMul(xt1, dy);
  return [dx, tf.slice(dwb, [0, 0], [nin, nout]), tf.slice(dwb, [nin, 0], [1, nout]).reshape([nout])];
}

/**
 * y = x @ w (+ b) over the last axis; x [..., in], w [in, out], b [out]. Like lib/nn `linear` (no
 * transposed matMul kernels in the gradient), with the bias fused into XNNPACK's matMul and
 * gradient temporaries released as soon as they are used.
 */
export function dense(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1]!;
    if (w.shape[0] !== inDim) throw new Error(`dense: input width ${inDim} does not match weight [${w.shape}]`);
    const lead = x.shape.slice(0, -1);
    const x2 = x.reshape([-1, inDim]) as tf.Tensor2D;
    const y = b ? denseBias(x2, w as tf.Tensor2D, b as tf.Tensor1D) : denseNoBias(x2, w as tf.Tensor2D);
    return y.reshape([...lead, w.shape[1]!]);
  });
}

/** Sums `t` over the axes where `shape` has size 1 (and t does not), keeping dims: the gradient of a broadcast. */
function reduceTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes: number[] = [];
  shape.forEach((s, i) => { if (s === 1 && t.shape[i] !== 1) axes.push(i); });
  return axes.length ? tf.sum(t, axes, true) : t;
}

type NormActFn = (h: tf.Tensor3D, factor: tf.Tensor3D, shift: tf.Tensor3D) => tf.Tensor3D;
function makeNormAct(act: boolean): NormActFn {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return tf.customGrad(((h: tf.Tensor3D, factor: tf.Tensor3D, shift: tf.Tensor3D, save: tf.GradSaveFunc) => {
    save([h, factor, shift]);
    const value = tf.tidy(() => {
      const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(h), 2, true)), 1e-12);
      const z = tf.add(tf.mul(tf.div(h, norm), factor), shift);
      return act ? tf.mul(z, tf.sigmoid(z)) : z;
    });
    return {
      value: value as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [sh, sf, ss] = saved;
        const norm0 = tf.sqrt(tf.sum(tf.square(sh), 2, true));
        const inv = tf.div(1, tf.maximum(norm0, 1e-12));
        const n = tf.mul(sh, inv);
        let dz = dy;
        if (act) {
          const z = tf.add(tf.mul(n, sf), ss);
          const s = tf.sigmoid(z);
          // d/dz [z sigmoid(z)] = s (1 + z (1 - s))
          dz = tf.mul(dy, tf.mul(s, tf.add(1, tf.mul(z, tf.sub(1, s)))));
        }
        const dfactor = reduceTo(tf.mul(dz, n), sf.shape);
        const dshift = reduceTo(dz, ss.shape);
        const dn = tf.mul(dz, sf);
        // d normalize: inv (dn - n <dn, n>) where ||h|| > 1e-12, inv dn where the clamp is active
        const live = tf.cast(tf.greater(norm0, 1e-12), 'float32');
        const dh = tf.mul(inv, tf.sub(dn, tf.mul(n, tf.mul(tf.sum(tf.mul(dn, n), 2, true), live))));
        return [dh, dfactor, dshift];
      }),
    };
  }) as any) as unknown as NormActFn;
}
const normSilu = makeNormAct(true);
const normOnly = makeNormAct(false);

/**
 * Fused, memory-lean `act(normalize_channels(h) * factor + shift)` (act = SiLU or identity) on
 * h [B, L, C] with factor/shift [B or 1, 1, C]: only h, factor and shift are kept for the
 * gradient (the intermediates are recomputed there). normalize = lucidrains' RMSNorm without its
 * gain, F.normalize(h, dim=channels) = h / max(||h||, 1e-12).
 */
export function normAffine(h: tf.Tensor, factor: tf.Tensor, shift: tf.Tensor | null, silu: boolean): tf.Tensor {
  return tf.tidy(() => {
    const C = h.shape[2]!;
    const f = factor.rank === 3 ? factor : factor.reshape([1, 1, C]);
    const s = shift ? (shift.rank === 3 ? shift : shift.reshape([1, 1, C])) : tf.zeros([1, 1, C]);
    return (silu ? normSilu : normOnly)(h as tf.Tensor3D, f as tf.Tensor3D, s as tf.Tensor3D);
  });
}

type LinAttnFn = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D) => tf.Tensor3D;
const linAttnCache = new Map<string, LinAttnFn>();

/**
 * The core of lucidrains' LinearAttention on channels-last q, k, v [B, L, H*dh] (channel h*dh + d):
 * q softmaxed over each head's dh features and scaled by dh^-0.5, k softmaxed over positions,
 * context = k^T v per head [dh, dh], out = q context -> [B, L, H*dh]. One custom-gradient op that
 * keeps only (softmaxed q, softmaxed k, v, context) for the backward pass; its per-head matMuls
 * run as loops of 2-D matMuls (XNNPACK).
 */
export function linearAttentionCore(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number, dimHead: number): tf.Tensor {
  const key = `${heads}/${dimHead}`;
  let f = linAttnCache.get(key);
  if (!f) {
    const H = heads, dh = dimHead, scale = dh ** -0.5;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    f = tf.customGrad(((qr: tf.Tensor3D, kr: tf.Tensor3D, vr: tf.Tensor3D, save: tf.GradSaveFunc) => {
      const [B, L] = qr.shape;
      const G = B * H;
      const qs = tf.transpose(tf.mul(tf.softmax(qr.reshape([B, L, H, dh])), scale), [0, 2, 1, 3]).reshape([G, L, dh]) as tf.Tensor3D;
      const kT = tf.softmax(tf.transpose(kr, [0, 2, 1])).reshape([G, dh, L]) as tf.Tensor3D;
      const vG = tf.transpose(vr.reshape([B, L, H, dh]), [0, 2, 1, 3]).reshape([G, L, dh]) as tf.Tensor3D;
      const ctx = loopMatMul(kT, vG); // [G, d, e]
      const o = loopMatMul(qs, ctx); // [G, L, e]
      save([qs, kT, vG, ctx]);
      return {
        value: tf.transpose(o.reshape([B, H, L, dh]), [0, 2, 1, 3]).reshape([B, L, H * dh]) as tf.Tensor3D,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
          const [sq, sk, sv, sc] = saved as tf.Tensor3D[];
          const dO = tf.transpose(dy.reshape([B, L, H, dh]), [0, 2, 1, 3]).reshape([G, L, dh]) as tf.Tensor3D;
          const dqs = loopMatMul(dO, tf.transpose(sc, [0, 2, 1]));
          const dctx = loopMatMul(tf.transpose(sq, [0, 2, 1]), dO);
          const dkT = loopMatMul(dctx, tf.transpose(sv, [0, 2, 1]));
          const dvG = loopMatMul(tf.transpose(sk, [0, 2, 1]), dctx);
          // qs = scale * softmax(qr): dqr = qs (dqs - <dqs, qs> / scale)
          const dq = tf.mul(sq, tf.sub(dqs, tf.div(tf.sum(tf.mul(dqs, sq), -1, true), scale)));
          // kT = softmax over positions: dkr^T = kT (dkT - <dkT, kT>)
          const dkT2 = tf.mul(sk, tf.sub(dkT, tf.sum(tf.mul(dkT, sk), -1, true)));
          const back = (t: tf.Tensor) => tf.transpose(t.reshape([B, H, L, dh]), [0, 2, 1, 3]).reshape([B, L, H * dh]);
          return [back(dq), tf.transpose(dkT2.reshape([B, H * dh, L]), [0, 2, 1]), back(dvG)];
        }),
      };
    }) as any) as unknown as LinAttnFn;
    linAttnCache.set(key, f);
  }
  return f(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D);
}
