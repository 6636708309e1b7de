// Cost of one denoiser call at batch 1, counted analytically from the official architecture
// (not from this project's fused kernels, which do the same arithmetic in another order).
// Counting rule, the one of torch.utils.flop_counter (which gave the figures of docs/spec.md §1.2 for the
// official Unet1D): a multiply-accumulate is 2 FLOPs; only matrix products are counted —
// Conv1d (L_out x C_in x k x C_out MACs), Linear (in x out) and the attention einsums (linear
// attention: context k v^T and q-context products, H x dh x dh x L each; full attention: q k^T and
// attn v, H x L x L x dh each); biases, norms, activations, softmax and the sinusoidal embedding
// are not counted. `macsConvLinear` is the thop-style figure (convolutions and linear layers only):
// 0.3258 G for the paper config, and 5 calls x 0.3258 G = the paper's "1.63 GFLOPs" bridging cost.
import type { DenoiserConfig, Unet1DConfig, ResMLPConfig } from './denoisers/types.ts';
import { denoiserParamCount, validateDenoiserConfig } from './denoisers/index.ts';
import { unet1dDims } from './denoisers/unet1d.ts';

export interface DenoiserCost {
  /** Trainable parameters. */
  params: number;
  /** Multiply-accumulates of convolutions and linear layers per call (batch 1). */
  macsConvLinear: number;
  /** Multiply-accumulates of the attention matrix products per call (batch 1). */
  macsAttention: number;
  /** 2 x (macsConvLinear + macsAttention): FLOPs per call as torch.utils.flop_counter counts them. */
  flopsTotal: number;
  /** macsConvLinear per top-level submodule, in order. */
  macsPerModule: [string, number][];
}

function unetCost(c: Unet1DConfig): Omit<DenoiserCost, 'params'> {
  const { dims, inOut, timeDim, heads: H, dimHead: dh } = unet1dDims(c);
  const hid = H * dh;
  const per = new Map<string, number>();
  let attn = 0;
  const add = (m: string, v: number) => per.set(m, (per.get(m) ?? 0) + v);
  const conv = (m: string, L: number, cin: number, cout: number, k: number) => add(m, L * cin * k * cout);
  const resnet = (m: string, L: number, cin: number, cout: number) => {
    add(m, timeDim * 2 * cout);           // mlp: Linear(time_dim, 2*cout)
    conv(m, L, cin, cout, 3);             // block1
    conv(m, L, cout, cout, 3);            // block2
    if (cin !== cout) conv(m, L, cin, cout, 1); // res_conv
  };
  const linAttn = (m: string, L: number, d: number) => {
    conv(m, L, d, 3 * hid, 1); conv(m, L, hid, d, 1);
    attn += 2 * H * dh * dh * L;
  };
  conv('init_conv', c.length, 1, c.initDim, 7);
  add('time_mlp', c.dim * timeDim + timeDim * timeDim);
  let L = c.length;
  inOut.forEach(([din, dout], i) => {
    const last = i === inOut.length - 1;
    resnet('downs', L, din, din); resnet('downs', L, din, din); linAttn('downs', L, din);
    if (last) conv('downs', L, din, dout, 3);
    else { conv('downs', L / 2, din, dout, 4); L /= 2; }
  });
  [...inOut].reverse().forEach(([din, dout], i) => {
    const last = i === inOut.length - 1;
    resnet('ups', L, dout + din, dout); resnet('ups', L, dout + din, dout); linAttn('ups', L, dout);
    if (last) conv('ups', L, dout, din, 3);
    else { L *= 2; conv('ups', L, dout, din, 3); } // nearest x2, then conv k3 at the new length
  });
  const mid = dims[dims.length - 1], Lm = c.length / 2 ** (inOut.length - 1);
  resnet('mid_block1', Lm, mid, mid);
  conv('mid_attn', Lm, mid, 3 * hid, 1); conv('mid_attn', Lm, hid, mid, 1);
  attn += 2 * H * Lm * Lm * dh;
  resnet('mid_block2', Lm, mid, mid);
  resnet('final_res_block', c.length, 2 * c.initDim, c.initDim);
  conv('final_conv', c.length, c.initDim, 1, 1);
  // report in the order of the official module registration
  const order = ['init_conv', 'time_mlp', 'downs', 'ups', 'mid_block1', 'mid_attn', 'mid_block2', 'final_res_block', 'final_conv'];
  const macsPerModule = order.map((m) => [m, per.get(m) ?? 0] as [string, number]);
  const macs = macsPerModule.reduce((s, [, v]) => s + v, 0);
  return { macsConvLinear: macs, macsAttention: attn, flopsTotal: 2 * (macs + attn), macsPerModule };
}

function resmlpCost(c: ResMLPConfig): Omit<DenoiserCost, 'params'> {
  const W = c.width;
  const macsPerModule: [string, number][] = [
    ['time_mlp', c.timeDim * W + W * W],
    ['in_proj', c.length * W],
  ];
  for (let i = 0; i < c.blocks; i++) macsPerModule.push([`blocks.${i}`, W * 2 * W + 2 * W * W]);
  macsPerModule.push(['out_proj', W * c.length]);
  const macs = macsPerModule.reduce((s, [, v]) => s + v, 0);
  return { macsConvLinear: macs, macsAttention: 0, flopsTotal: 2 * macs, macsPerModule };
}

/** Parameters and per-call cost at batch 1 of a denoiser config. */
export function denoiserCost(config: DenoiserConfig): DenoiserCost {
  validateDenoiserConfig(config);
  const params = denoiserParamCount(config);
  return { params, ...(config.kind === 'unet1d' ? unetCost(config) : resmlpCost(config)) };
}
