// Unet1D: the official Diffusion Bridge denoiser (lucidrains' denoising-diffusion-pytorch v2.0.17,
// `denoising_diffusion_pytorch_1d.py` as copied into mongeoroo/diffusion-bridge, class Unet1D with
// channels = 1, no self-conditioning, no learned variance, dropout 0), ported by structure:
//   time: SinusoidalPosEmb(dim, theta 10000, float32) -> Linear -> GELU(erf) -> Linear (width 4*initDim)
//   init_conv k7 p3 -> per level [ResnetBlock, ResnetBlock, Residual(PreNorm(LinearAttention)),
//   Downsample k4 s2 p1 | conv k3] -> mid [ResnetBlock, Residual(PreNorm(Attention)), ResnetBlock]
//   -> per level [cat skip, ResnetBlock, cat skip, ResnetBlock, LinearAttention, Upsample | conv k3]
//   -> cat init features -> ResnetBlock -> conv k1.
// Divergences (none change the function): tensors are channels-last [B, L, C] (the vector of length
// L is the sequence, C the U-Net channels); weights are stored in dbridge layouts (conv [k*Cin, Cout]
// im2col rows j*Cin + c, linear [in, out], RMSNorm gains [C]) under the PyTorch parameter names;
// nearest-x2 upsampling + conv k3 is computed at the low resolution (ops.ts upsampleConv3), Downsample
// as a k2 conv on the input folded to [B, L/2, 2C]; a convolution of a skip concatenation is the sum of
// per-input convolutions; RMSNorm gain, sqrt(C) and the FiLM scale (scale + 1) are folded into one
// per-channel factor; the kernels are chosen for tfjs-wasm (ops.ts). `unet1dFromTorchStateDict` maps
// official weights (plain or Trainer1D 'model.'-prefixed) onto these parameters.
import { tf } from '../../tf.ts';
import { geluErf, torchConvWeightToIm2col, transposeMatrix } from '../../nn/layers.ts';
import { registerFastWasmKernels } from '../../nn/wasm-fast.ts';
import { ParamStore, init } from '../../nn/params.ts';
import type { HostArray } from '../../io/dtype.ts';
import { toFloat32, numel } from '../../io/dtype.ts';
import { DbridgeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { Denoiser, Unet1DConfig } from './types.ts';
import { dense, conv1dK, downsampleConv4, upsampleConv3, groupedMatMul, linearAttentionCore, normAffine, silu, sinusoidalEmbedding, timestepsOf } from './ops.ts';

/** One parameter: dbridge name (= the PyTorch state-dict key), PyTorch shape, dbridge shape. */
export interface ParamSpec {
  name: string;
  kind: 'conv' | 'linear' | 'bias' | 'gain';
  torchShape: number[];
  shape: number[];
  /** fan_in for torch's default initialiser (weights and biases of one layer share it). */
  fanIn: number;
  /** conv kernel size (conv only). */
  k?: number;
}

export function unet1dDims(c: Unet1DConfig): { dims: number[]; inOut: [number, number][]; timeDim: number; heads: number; dimHead: number } {
  const dims = [c.initDim, ...c.dimMults.map((m) => c.initDim * m)];
  const inOut = dims.slice(0, -1).map((d, i) => [d, dims[i + 1]] as [number, number]);
  return { dims, inOut, timeDim: 4 * c.initDim, heads: c.attnHeads ?? 4, dimHead: c.attnDimHead ?? 32 };
}

export function validateUnet1DConfig(c: Unet1DConfig): void {
  const bad = (why: string) => new DbridgeError(`unet1d config: ${why}`);
  for (const [k, v] of [['length', c.length], ['dim', c.dim], ['initDim', c.initDim]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw bad(`${k} must be a positive integer, got ${v}`);
  }
  if (c.dim % 2 !== 0 || c.dim < 4) throw bad(`dim (time-embedding width) must be even and >= 4, got ${c.dim}`);
  if (!Array.isArray(c.dimMults) || c.dimMults.length === 0 || c.dimMults.some((m) => !Number.isInteger(m) || m <= 0)) {
    throw bad(`dimMults must be a non-empty list of positive integers, got ${JSON.stringify(c.dimMults)}`);
  }
  const f = 2 ** (c.dimMults.length - 1);
  if (c.length % f !== 0) throw bad(`length ${c.length} must be divisible by 2^(levels-1) = ${f}`);
  for (const [k, v] of [['attnHeads', c.attnHeads], ['attnDimHead', c.attnDimHead]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw bad(`${k} must be a positive integer, got ${v}`);
  }
}

/** Every parameter, in the official state_dict() order. */
export function unet1dParamSpecs(c: Unet1DConfig): ParamSpec[] {
  const { dims, inOut, timeDim, heads, dimHead } = unet1dDims(c);
  const hid = heads * dimHead;
  const out: ParamSpec[] = [];
  const conv = (name: string, cin: number, cout: number, k: number, bias = true) => {
    out.push({ name: `${name}.weight`, kind: 'conv', torchShape: [cout, cin, k], shape: [k * cin, cout], fanIn: cin * k, k });
    if (bias) out.push({ name: `${name}.bias`, kind: 'bias', torchShape: [cout], shape: [cout], fanIn: cin * k });
  };
  const lin = (name: string, fin: number, fout: number) => {
    out.push({ name: `${name}.weight`, kind: 'linear', torchShape: [fout, fin], shape: [fin, fout], fanIn: fin });
    out.push({ name: `${name}.bias`, kind: 'bias', torchShape: [fout], shape: [fout], fanIn: fin });
  };
  const gain = (name: string, ch: number) => out.push({ name, kind: 'gain', torchShape: [1, ch, 1], shape: [ch], fanIn: 0 });
  const resnet = (p: string, cin: number, cout: number) => {
    lin(`${p}.mlp.1`, timeDim, 2 * cout);
    conv(`${p}.block1.proj`, cin, cout, 3); gain(`${p}.block1.norm.g`, cout);
    conv(`${p}.block2.proj`, cout, cout, 3); gain(`${p}.block2.norm.g`, cout);
    if (cin !== cout) conv(`${p}.res_conv`, cin, cout, 1);
  };
  const linAttn = (p: string, d: number) => {
    conv(`${p}.fn.fn.to_qkv`, d, 3 * hid, 1, false);
    conv(`${p}.fn.fn.to_out.0`, hid, d, 1); gain(`${p}.fn.fn.to_out.1.g`, d);
    gain(`${p}.fn.norm.g`, d);
  };
  conv('init_conv', 1, c.initDim, 7);
  lin('time_mlp.1', c.dim, timeDim);
  lin('time_mlp.3', timeDim, timeDim);
  inOut.forEach(([din, dout], i) => {
    const last = i === inOut.length - 1;
    resnet(`downs.${i}.0`, din, din); resnet(`downs.${i}.1`, din, din); linAttn(`downs.${i}.2`, din);
    conv(`downs.${i}.3`, din, dout, last ? 3 : 4);
  });
  // (torch registers `ups` before the mid blocks, so the state dict lists them first)
  [...inOut].reverse().forEach(([din, dout], i) => {
    const last = i === inOut.length - 1;
    resnet(`ups.${i}.0`, dout + din, dout); resnet(`ups.${i}.1`, dout + din, dout); linAttn(`ups.${i}.2`, dout);
    conv(last ? `ups.${i}.3` : `ups.${i}.3.1`, dout, din, 3);
  });
  const mid = dims[dims.length - 1];
  resnet('mid_block1', mid, mid);
  conv('mid_attn.fn.fn.to_qkv', mid, 3 * hid, 1, false); conv('mid_attn.fn.fn.to_out', hid, mid, 1); gain('mid_attn.fn.norm.g', mid);
  resnet('mid_block2', mid, mid);
  resnet('final_res_block', 2 * c.initDim, c.initDim);
  conv('final_conv', c.initDim, 1, 1);
  return out;
}

/** Parameter count of a config without building it. */
export function unet1dParamCount(c: Unet1DConfig): number {
  return unet1dParamSpecs(c).reduce((s, p) => s + numel(p.shape), 0);
}

const SCHEDULE_BUFFERS = new Set([
  'betas', 'alphas_cumprod', 'alphas_cumprod_prev', 'sqrt_alphas_cumprod', 'sqrt_one_minus_alphas_cumprod',
  'log_one_minus_alphas_cumprod', 'sqrt_recip_alphas_cumprod', 'sqrt_recipm1_alphas_cumprod', 'posterior_variance',
  'posterior_log_variance_clipped', 'posterior_mean_coef1', 'posterior_mean_coef2', 'loss_weight',
]);

/**
 * Converts an official PyTorch Unet1D state dict (keys of `Unet1D.state_dict()`, or those of a
 * Trainer1D checkpoint's `GaussianDiffusion1D_norm` with the `model.` prefix and its 13 schedule
 * buffers, which are dropped) into dbridge parameters for `config`. Throws DbridgeError naming
 * missing keys, unexpected keys and wrong shapes.
 */
export function unet1dFromTorchStateDict(tensors: Map<string, HostArray>, config: Unet1DConfig, source = 'state dict'): Map<string, HostArray> {
  validateUnet1DConfig(config);
  const prefixed = [...tensors.keys()].some((k) => k.startsWith('model.'));
  const src = new Map<string, HostArray>();
  const unexpected: string[] = [];
  for (const [k, v] of tensors) {
    if (prefixed) {
      if (k.startsWith('model.')) src.set(k.slice(6), v);
      else if (!SCHEDULE_BUFFERS.has(k)) unexpected.push(k);
    } else if (SCHEDULE_BUFFERS.has(k)) {
      continue; // a diffusion state dict without the prefix would be odd, but the buffers are harmless
    } else {
      src.set(k, v);
    }
  }
  const specs = unet1dParamSpecs(config);
  const known = new Set(specs.map((s) => s.name));
  for (const k of src.keys()) if (!known.has(k)) unexpected.push(prefixed ? `model.${k}` : k);
  const missing = specs.filter((s) => !src.has(s.name)).map((s) => (prefixed ? `model.${s.name}` : s.name));
  const cfg = `dim ${config.dim}, initDim ${config.initDim}, dimMults ${config.dimMults.join(',')}`;
  if (missing.length) {
    throw new DbridgeError(`${source} does not fit Unet1D(${cfg}): ${missing.length} key(s) missing, e.g. ${missing.slice(0, 3).join(', ')}` +
      (unexpected.length ? `; ${unexpected.length} unexpected, e.g. ${unexpected.slice(0, 3).join(', ')}` : ''));
  }
  if (unexpected.length) {
    throw new DbridgeError(`${source} does not fit Unet1D(${cfg}): ${unexpected.length} unexpected key(s), e.g. ${unexpected.slice(0, 3).join(', ')}`);
  }
  const out = new Map<string, HostArray>();
  for (const s of specs) {
    const a = src.get(s.name)!;
    if (a.shape.join(',') !== s.torchShape.join(',')) {
      throw new DbridgeError(`${source}: ${s.name} has shape [${a.shape}], Unet1D(${cfg}) expects [${s.torchShape}]`);
    }
    if (!['float32', 'float64', 'float16', 'bfloat16'].includes(a.dtype)) {
      throw new DbridgeError(`${source}: ${s.name} has dtype ${a.dtype}, expected a floating-point type`);
    }
    const d = toFloat32(a);
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) throw new DbridgeError(`${source}: ${s.name} contains ${d[i]} at flat index ${i}`);
    }
    let data: Float32Array;
    if (s.kind === 'conv') data = torchConvWeightToIm2col(d, s.torchShape[0], s.torchShape[1], s.k!);
    else if (s.kind === 'linear') data = transposeMatrix(d, s.torchShape[0], s.torchShape[1]);
    else data = Float32Array.from(d);
    out.set(s.name, { dtype: 'float32', shape: s.shape.slice(), data });
  }
  return out;
}

/** Parameter totals per top-level submodule (init_conv, time_mlp, downs, ...), in order. */
export function unet1dParamsPerModule(c: Unet1DConfig): [string, number][] {
  const m = new Map<string, number>();
  for (const s of unet1dParamSpecs(c)) {
    const top = s.name.split('.')[0];
    m.set(top, (m.get(top) ?? 0) + numel(s.shape));
  }
  return [...m];
}

export class Unet1D implements Denoiser {
  readonly params = new ParamStore();
  private readonly dims: ReturnType<typeof unet1dDims>;
  private readonly P: Map<string, tf.Variable>;

  constructor(readonly config: Unet1DConfig, rng: Rng) {
    validateUnet1DConfig(config);
    registerFastWasmKernels();
    this.dims = unet1dDims(config);
    // torch defaults: Conv1d/Linear weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)); RMSNorm g = 1.
    for (const s of unet1dParamSpecs(config)) {
      const t = s.kind === 'gain' ? init.ones(s.shape) : init.torchDefault(rng.fork(s.name), s.shape, s.fanIn);
      this.params.add(s.name, t);
    }
    this.P = this.params.vars;
  }

  private p(name: string): tf.Variable {
    const v = this.P.get(name);
    if (!v) throw new Error(`Unet1D: no parameter ${name}`);
    return v;
  }

  /** Rows of an im2col weight [k*Cin, O] for input channels [c0, c0 + n) -> [k*n, O]. */
  private static rows(w: tf.Tensor, k: number, cin: number, c0: number, n: number): tf.Tensor {
    if (c0 === 0 && n === cin) return w;
    const O = w.shape[1]!;
    return tf.slice(w.reshape([k, cin, O]), [0, c0, 0], [k, n, O]).reshape([k * n, O]);
  }

  /** Convolution (k, pad) over the channel-concatenation of `xs`, as a sum of per-input convolutions. */
  private conv(xs: tf.Tensor[], w: tf.Tensor, b: tf.Tensor, k: number, pad: number): tf.Tensor {
    const cin = xs.reduce((s, x) => s + x.shape[2]!, 0);
    let c0 = 0;
    let y: tf.Tensor | null = null;
    for (const x of xs) {
      const n = x.shape[2]!;
      const part = conv1dK(x, Unet1D.rows(w, k, cin, c0, n), c0 === 0 ? b : tf.zerosLike(b), k, pad);
      y = y ? tf.add(y, part) : part;
      c0 += n;
    }
    return y!;
  }

  /** ResnetBlock on the channel-concatenation of `xs`; tAct = SiLU(time embedding) [B, T]. */
  private resnet(p: string, xs: tf.Tensor[], tAct: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [B] = xs[0].shape;
      const cout = this.p(`${p}.block1.proj.bias`).shape[0]!;
      const ss = dense(tAct, this.p(`${p}.mlp.1.weight`), this.p(`${p}.mlp.1.bias`)); // [B, 2C]
      const scale = tf.slice(ss, [0, 0], [B, cout]).reshape([B, 1, cout]);
      const shift = tf.slice(ss, [0, cout], [B, cout]).reshape([B, 1, cout]);
      const s = Math.sqrt(cout);
      let h = this.conv(xs, this.p(`${p}.block1.proj.weight`), this.p(`${p}.block1.proj.bias`), 3, 1);
      // RMSNorm(g) then x*(scale+1)+shift then SiLU: silu(normalize(h) * (g*sqrt(C)*(scale+1)) + shift)
      h = normAffine(h, tf.mul(tf.mul(this.p(`${p}.block1.norm.g`), s), tf.add(scale, 1)), shift, true);
      h = conv1dK(h, this.p(`${p}.block2.proj.weight`), this.p(`${p}.block2.proj.bias`), 3, 1);
      h = normAffine(h, tf.mul(this.p(`${p}.block2.norm.g`), s), null, true);
      const res = this.P.has(`${p}.res_conv.weight`)
        ? this.conv(xs, this.p(`${p}.res_conv.weight`), this.p(`${p}.res_conv.bias`), 1, 0)
        : xs[0];
      return tf.add(h, res);
    });
  }

  /** lucidrains' RMSNorm over channels: normalize(x) * g * sqrt(C). */
  private static rmsNorm(x: tf.Tensor, g: tf.Tensor): tf.Tensor {
    return normAffine(x, tf.mul(g, Math.sqrt(x.shape[2]!)), null, false);
  }

  /** Columns [i*n, (i+1)*n) of a weight [C, 3n] (the q, k or v part of to_qkv). */
  private static cols(w: tf.Tensor, i: number, n: number): tf.Tensor {
    return tf.slice(w, [0, i * n], [w.shape[0]!, n]);
  }

  /** Residual(PreNorm(LinearAttention)) on x [B, L, C]. */
  private linearAttention(p: string, x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { heads: H, dimHead: dh } = this.dims;
      const hid = H * dh;
      const xn = Unet1D.rmsNorm(x, this.p(`${p}.fn.norm.g`));
      const wqkv = this.p(`${p}.fn.fn.to_qkv.weight`); // [C, 3*hid], channel (h, d) inside each third
      const part = (i: number) => dense(xn, Unet1D.cols(wqkv, i, hid));
      const out = linearAttentionCore(part(0), part(1), part(2), H, dh); // [B, L, hid], channel (h, e)
      let y = dense(out, this.p(`${p}.fn.fn.to_out.0.weight`), this.p(`${p}.fn.fn.to_out.0.bias`));
      y = Unet1D.rmsNorm(y, this.p(`${p}.fn.fn.to_out.1.g`));
      return tf.add(y, x);
    });
  }

  /** Residual(PreNorm(Attention)) (full softmax attention) on x [B, L, C]. */
  private fullAttention(p: string, x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [B, L] = x.shape as [number, number, number];
      const { heads: H, dimHead: dh } = this.dims;
      const hid = H * dh;
      const xn = Unet1D.rmsNorm(x, this.p(`${p}.fn.norm.g`));
      const wqkv = this.p(`${p}.fn.fn.to_qkv.weight`);
      const q = tf.transpose(tf.mul(dense(xn, Unet1D.cols(wqkv, 0, hid)), dh ** -0.5).reshape([B, L, H, dh]), [0, 2, 1, 3]).reshape([B * H, L, dh]);
      const kT = tf.transpose(dense(xn, Unet1D.cols(wqkv, 1, hid)), [0, 2, 1]).reshape([B * H, dh, L]);
      const v = tf.transpose(dense(xn, Unet1D.cols(wqkv, 2, hid)).reshape([B, L, H, dh]), [0, 2, 1, 3]).reshape([B * H, L, dh]);
      const attn = tf.softmax(groupedMatMul(q as tf.Tensor3D, kT as tf.Tensor3D)); // [B*H, i, j]
      const o = groupedMatMul(attn as tf.Tensor3D, v as tf.Tensor3D); // [B*H, L, dh]
      const out = tf.transpose(o.reshape([B, H, L, dh]), [0, 2, 1, 3]).reshape([B, L, hid]);
      return tf.add(dense(out, this.p(`${p}.fn.fn.to_out.weight`), this.p(`${p}.fn.fn.to_out.bias`)), x);
    });
  }

  apply(x: tf.Tensor2D, t: tf.Tensor1D | number | Int32Array): tf.Tensor2D {
    const { length: Lc, dim } = this.config;
    if (x.rank !== 2 || x.shape[1] !== Lc) throw new DbridgeError(`Unet1D: input has shape [${x.shape}], expected [B, ${Lc}]`);
    const B = x.shape[0];
    const ts = timestepsOf(t, B);
    return tf.tidy(() => {
      const { inOut } = this.dims;
      const temb = tf.tensor2d(sinusoidalEmbedding(ts, dim), [B, dim]);
      let tv = dense(temb, this.p('time_mlp.1.weight'), this.p('time_mlp.1.bias'));
      tv = dense(geluErf(tv), this.p('time_mlp.3.weight'), this.p('time_mlp.3.bias'));
      const tAct = silu(tv); // the SiLU that starts every ResnetBlock's mlp
      let h = conv1dK(x.reshape([B, Lc, 1]), this.p('init_conv.weight'), this.p('init_conv.bias'), 7, 3);
      const r = h;
      const skips: tf.Tensor[] = [];
      inOut.forEach((_, i) => {
        const last = i === inOut.length - 1;
        h = this.resnet(`downs.${i}.0`, [h], tAct); skips.push(h);
        h = this.resnet(`downs.${i}.1`, [h], tAct);
        h = this.linearAttention(`downs.${i}.2`, h); skips.push(h);
        h = last
          ? conv1dK(h, this.p(`downs.${i}.3.weight`), this.p(`downs.${i}.3.bias`), 3, 1)
          : downsampleConv4(h, this.p(`downs.${i}.3.weight`), this.p(`downs.${i}.3.bias`));
      });
      h = this.resnet('mid_block1', [h], tAct);
      h = this.fullAttention('mid_attn', h);
      h = this.resnet('mid_block2', [h], tAct);
      inOut.forEach((_, i) => {
        const last = i === inOut.length - 1;
        h = this.resnet(`ups.${i}.0`, [h, skips.pop()!], tAct);
        h = this.resnet(`ups.${i}.1`, [h, skips.pop()!], tAct);
        h = this.linearAttention(`ups.${i}.2`, h);
        h = last
          ? conv1dK(h, this.p(`ups.${i}.3.weight`), this.p(`ups.${i}.3.bias`), 3, 1)
          : upsampleConv3(h, this.p(`ups.${i}.3.1.weight`), this.p(`ups.${i}.3.1.bias`));
      });
      h = this.resnet('final_res_block', [h, r], tAct);
      const y = dense(h, this.p('final_conv.weight'), this.p('final_conv.bias'));
      return y.reshape([B, Lc]) as tf.Tensor2D;
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}
