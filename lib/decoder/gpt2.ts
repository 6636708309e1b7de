// GPT-2 language model in TensorFlow.js, following Hugging Face transformers' GPT2LMHeadModel
// (modeling_gpt2.py): learned position embeddings, pre-LayerNorm blocks (x += attn(ln_1(x));
// x += mlp(ln_2(x))), "gelu_new" (tanh) MLP, final ln_f, output projection tied to the token
// embedding (logits = ln_f(h) @ wte^T). Weights keep the HF Conv1D layout [in, out]; parameter names
// are HF's hub convention (`wte.weight`, `h.0.attn.c_attn.weight`, ...) under a caller-given prefix.
// Adds what generation needs (a key/value cache) and what training needs (dropout with explicit
// seeds). Loads a Hugging Face folder (config.json + model.safetensors) with either key convention
// (`transformer.*` from save_pretrained, or bare hub keys), ignoring the attn.bias/masked_bias
// buffers and the tied lm_head. Divergences: the vocabulary may be a compact subset (tokenizer.ts);
// position ids always run 0..L-1 (as transformers 5; right padding only).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.ts';
import { ParamStore, init, linear, matMul2d, bmm, layerNorm, embedding } from '../nn/index.ts';
import type { HostArray } from '../io/dtype.ts';
import { toFloat32 } from '../io/dtype.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { readJson } from '../util/fs.ts';
import { DbridgeError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';

export interface Gpt2Config {
  /** Transformer blocks (GPT-2 small: 12). */
  nLayer: number;
  /** Attention heads (GPT-2 small: 12); nEmbd must be divisible by it. */
  nHead: number;
  /** Width W (GPT-2 small: 768). */
  nEmbd: number;
  /** Learned positions (GPT-2: 1024); prefix length + caption length must fit. */
  nPositions: number;
  /** Rows of the (tied) token embedding: 50257 for the full GPT-2 vocabulary, fewer for a compact one. */
  vocabSize: number;
  /** MLP width; null/undefined = 4 * nEmbd. */
  nInner?: number | null;
  /** LayerNorm epsilon (GPT-2: 1e-5). */
  layerNormEpsilon: number;
  /** Dropout on embeddings, residual branches and attention probabilities while training (GPT-2: 0.1). */
  dropout: number;
}

/** GPT-2 small (124M), as the paper fine-tunes it. */
export const GPT2_SMALL: Gpt2Config = {
  nLayer: 12, nHead: 12, nEmbd: 768, nPositions: 1024, vocabSize: 50257, nInner: null, layerNormEpsilon: 1e-5, dropout: 0.1,
};

/**
 * The tiny decoder LM for the built-in world, trained from scratch on CPU (wasm). Chosen by
 * measurement (docs/decoder.md, scratch sizing on world captions with an equal CPU-time budget):
 * 2 blocks of width 64 with 2 heads reached the lowest validation loss per CPU second
 * (~3200 caption tokens per CPU-second; width 128 is 2.5x slower per token and did worse in the same
 * budget), behind the ClipCap mapper with its 10 prefix tokens.
 */
export const GPT2_TINY: Gpt2Config = {
  nLayer: 2, nHead: 2, nEmbd: 64, nPositions: 128, vocabSize: 50257, nInner: null, layerNormEpsilon: 1e-5, dropout: 0.0,
};

export function validateGpt2Config(c: Gpt2Config): void {
  for (const k of ['nLayer', 'nHead', 'nEmbd', 'nPositions', 'vocabSize'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new DbridgeError(`GPT-2 config: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.nEmbd % c.nHead !== 0) throw new DbridgeError(`GPT-2 config: nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new DbridgeError(`GPT-2 config: dropout must be in [0, 1), got ${c.dropout}`);
}

/** Per-layer keys and values [B, H, L, dh] of everything seen so far. */
export interface KvCache {
  k: tf.Tensor[];
  v: tf.Tensor[];
  length: number;
}

export function disposeCache(c: KvCache | null | undefined): void {
  if (c) tf.dispose([...c.k, ...c.v]);
}

/** Draws seeds for the dropout calls of one training step (same Rng state => same masks). */
export interface DropoutCtx { rate: number; rng: Rng }

/**
 * "gelu_new" 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) written as x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))
 * (the same function: 0.5 (1 + tanh z) = sigmoid(2z)) because wasm's Tanh and Pow kernels are 5-20x
 * slower than Sigmoid and Mul (measured: 30 ms vs 7 ms on 635k values).
 */
export function geluNew(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), 2 * Math.sqrt(2 / Math.PI));
    return tf.mul(x, tf.sigmoid(inner));
  });
}

function dropout(x: tf.Tensor, d: DropoutCtx | undefined): tf.Tensor {
  if (!d || d.rate <= 0) return x;
  return tf.dropout(x, d.rate, undefined, d.rng.nextU32());
}

export class Gpt2 {
  readonly inner: number;
  readonly headDim: number;
  private wteT: tf.Tensor2D | null = null;

  constructor(readonly config: Gpt2Config, readonly params: ParamStore, readonly prefix = '') {
    validateGpt2Config(config);
    this.inner = config.nInner ?? 4 * config.nEmbd;
    this.headDim = config.nEmbd / config.nHead;
  }

  /** Names (without the prefix) and shapes of every parameter. */
  static paramShapes(c: Gpt2Config): [string, number[]][] {
    const W = c.nEmbd, I = c.nInner ?? 4 * W;
    const out: [string, number[]][] = [['wte.weight', [c.vocabSize, W]], ['wpe.weight', [c.nPositions, W]]];
    for (let i = 0; i < c.nLayer; i++) {
      const p = `h.${i}.`;
      out.push(
        [p + 'ln_1.weight', [W]], [p + 'ln_1.bias', [W]],
        [p + 'attn.c_attn.weight', [W, 3 * W]], [p + 'attn.c_attn.bias', [3 * W]],
        [p + 'attn.c_proj.weight', [W, W]], [p + 'attn.c_proj.bias', [W]],
        [p + 'ln_2.weight', [W]], [p + 'ln_2.bias', [W]],
        [p + 'mlp.c_fc.weight', [W, I]], [p + 'mlp.c_fc.bias', [I]],
        [p + 'mlp.c_proj.weight', [I, W]], [p + 'mlp.c_proj.bias', [W]],
      );
    }
    out.push(['ln_f.weight', [W]], ['ln_f.bias', [W]]);
    return out;
  }

  /**
   * Adds freshly initialised parameters to `params` (transformers' GPT2 _init_weights: N(0, 0.02)
   * weights and embeddings, zero biases, unit LayerNorms, c_proj weights N(0, 0.02/sqrt(2 nLayer))).
   */
  static create(config: Gpt2Config, params: ParamStore, rng: Rng, prefix = ''): Gpt2 {
    validateGpt2Config(config);
    const projStd = 0.02 / Math.sqrt(2 * config.nLayer);
    for (const [name, shape] of Gpt2.paramShapes(config)) {
      let t: tf.Tensor;
      if (name.includes('ln_')) t = name.endsWith('weight') ? init.ones(shape) : init.zeros(shape);
      else if (name.endsWith('bias')) t = init.zeros(shape);
      else if (name.endsWith('c_proj.weight')) t = init.normal(rng, shape, projStd);
      else t = init.normal(rng, shape, 0.02);
      params.add(prefix + name, t);
    }
    return new Gpt2(config, params, prefix);
  }

  p(name: string): tf.Variable {
    return this.params.get(this.prefix + name);
  }

  get wte(): tf.Variable { return this.p('wte.weight'); }

  /** Token embeddings [..., W] of model ids (any integer tensor shape). */
  embedTokens(ids: tf.Tensor): tf.Tensor {
    return embedding(this.wte, ids);
  }

  /**
   * Runs the blocks on input embeddings x [B, L, W] whose first position has index `past?.length ?? 0`.
   * Returns the final hidden states (after ln_f) [B, L, W] and, when `wantCache`, the new cache
   * (past keys/values concatenated with this chunk's). Causal: position i sees 0..past+i.
   */
  run(x: tf.Tensor, opts: { past?: KvCache | null; wantCache?: boolean; dropout?: DropoutCtx } = {}): { hidden: tf.Tensor; cache: KvCache | null } {
    const c = this.config;
    const [B, L, W] = x.shape as [number, number, number];
    if (W !== c.nEmbd) throw new DbridgeError(`GPT-2: input width ${W} does not match nEmbd ${c.nEmbd}`);
    const past = opts.past ?? null;
    const start = past?.length ?? 0;
    if (start + L > c.nPositions) throw new DbridgeError(`GPT-2: sequence of ${start + L} positions exceeds nPositions ${c.nPositions}`);
    const H = c.nHead, dh = this.headDim, eps = c.layerNormEpsilon;
    const ks: tf.Tensor[] = [], vs: tf.Tensor[] = [];
    const hidden = tf.tidy(() => {
      const pos = tf.slice(this.p('wpe.weight'), [start, 0], [L, W]);
      let h = dropout(tf.add(x, pos), opts.dropout);
      const Lk = start + L;
      // additive mask [1, 1, L, Lk]: query i (absolute start+i) sees keys j <= start+i
      let mask: tf.Tensor | null = null;
      if (L > 1) {
        const m = new Float32Array(L * Lk);
        for (let i = 0; i < L; i++) for (let j = start + i + 1; j < Lk; j++) m[i * Lk + j] = -1e9;
        mask = tf.tensor4d(m, [1, 1, L, Lk]);
      }
      for (let i = 0; i < c.nLayer; i++) {
        const p = `h.${i}.`;
        const a = layerNorm(h, this.p(p + 'ln_1.weight'), this.p(p + 'ln_1.bias'), eps);
        const qkv = linear(a, this.p(p + 'attn.c_attn.weight'), this.p(p + 'attn.c_attn.bias'));
        const [q0, k0, v0] = tf.split(qkv, 3, 2);
        const heads = (t: tf.Tensor) => tf.transpose(t.reshape([B, L, H, dh]), [0, 2, 1, 3]);
        const q = heads(q0);
        let k = heads(k0), v = heads(v0);
        if (past) { k = tf.concat([past.k[i], k], 2); v = tf.concat([past.v[i], v], 2); }
        if (opts.wantCache) { ks.push(tf.keep(k)); vs.push(tf.keep(v)); }
        const kT = tf.transpose(k.reshape([B * H, Lk, dh]), [0, 2, 1]) as tf.Tensor3D;
        let s = bmm(q.reshape([B * H, L, dh]) as tf.Tensor3D, kT).mul(1 / Math.sqrt(dh)).reshape([B, H, L, Lk]);
        if (mask) s = tf.add(s, mask);
        const probs = dropout(tf.softmax(s, -1), opts.dropout).reshape([B * H, L, Lk]) as tf.Tensor3D;
        const ctx = bmm(probs, v.reshape([B * H, Lk, dh]) as tf.Tensor3D).reshape([B, H, L, dh]);
        const merged = tf.transpose(ctx, [0, 2, 1, 3]).reshape([B, L, W]);
        h = tf.add(h, dropout(linear(merged, this.p(p + 'attn.c_proj.weight'), this.p(p + 'attn.c_proj.bias')), opts.dropout));
        const m2 = layerNorm(h, this.p(p + 'ln_2.weight'), this.p(p + 'ln_2.bias'), eps);
        const f = geluNew(linear(m2, this.p(p + 'mlp.c_fc.weight'), this.p(p + 'mlp.c_fc.bias')));
        h = tf.add(h, dropout(linear(f, this.p(p + 'mlp.c_proj.weight'), this.p(p + 'mlp.c_proj.bias')), opts.dropout));
      }
      return layerNorm(h, this.p('ln_f.weight'), this.p('ln_f.bias'), eps);
    });
    return { hidden, cache: opts.wantCache ? { k: ks, v: vs, length: start + L } : null };
  }

  /** Hidden states [B, L, W] (after ln_f) of input embeddings [B, L, W]. */
  forwardEmbeds(x: tf.Tensor, dropoutCtx?: DropoutCtx): tf.Tensor {
    return this.run(x, { dropout: dropoutCtx }).hidden;
  }

  /** Logits [..., V] of hidden states [..., W] against the tied token embedding (differentiable). */
  logits(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const W = this.config.nEmbd;
      const lead = hidden.shape.slice(0, -1);
      const wT = this.wteT ?? tf.transpose(this.wte) as tf.Tensor2D;
      return matMul2d(hidden.reshape([-1, W]) as tf.Tensor2D, wT).reshape([...lead, this.config.vocabSize]);
    });
  }

  /**
   * Caches wte^T for inference (wasm's transposed matMul is slow; transposing a 50257-row table per
   * call costs more than the step). Call `endInference()` afterwards (and before training again).
   */
  beginInference(): void {
    if (!this.wteT) this.wteT = tf.tidy(() => tf.transpose(this.wte) as tf.Tensor2D);
  }

  endInference(): void {
    this.wteT?.dispose();
    this.wteT = null;
  }

  /** Logits [B, L, V] of model ids [B, L] (int). */
  logitsOfIds(ids: tf.Tensor, prefixEmbeds?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let x = this.embedTokens(ids);
      if (prefixEmbeds) x = tf.concat([prefixEmbeds, x], 1);
      return this.logits(this.forwardEmbeds(x));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Hugging Face folders

interface HfGpt2Json {
  model_type?: string;
  n_layer?: number; n_head?: number; n_embd?: number; n_positions?: number; n_ctx?: number; vocab_size?: number;
  n_inner?: number | null; layer_norm_epsilon?: number; activation_function?: string;
  resid_pdrop?: number; embd_pdrop?: number; attn_pdrop?: number;
  scale_attn_weights?: boolean; scale_attn_by_inverse_layer_idx?: boolean; reorder_and_upcast_attn?: boolean;
  tie_word_embeddings?: boolean; add_cross_attention?: boolean;
}

/** Our config from a Hugging Face GPT-2 config.json object; rejects variants this port does not implement. */
export function gpt2ConfigFromHf(j: HfGpt2Json, source = 'config.json'): Gpt2Config {
  if (j.model_type && j.model_type !== 'gpt2') throw new DbridgeError(`${source}: model_type is '${j.model_type}', expected 'gpt2'`);
  const act = j.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw new DbridgeError(`${source}: activation_function '${act}' is not supported (GPT-2 uses gelu_new)`);
  if (j.scale_attn_weights === false || j.scale_attn_by_inverse_layer_idx) throw new DbridgeError(`${source}: non-standard attention scaling is not supported`);
  if (j.tie_word_embeddings === false) throw new DbridgeError(`${source}: untied output embeddings are not supported (GPT-2 ties lm_head to wte)`);
  if (j.add_cross_attention) throw new DbridgeError(`${source}: cross-attention GPT-2 is not supported`);
  const need = (k: keyof HfGpt2Json, v: unknown) => {
    if (typeof v !== 'number') throw new DbridgeError(`${source}: missing or non-numeric ${k}`);
    return v;
  };
  return {
    nLayer: need('n_layer', j.n_layer), nHead: need('n_head', j.n_head), nEmbd: need('n_embd', j.n_embd),
    nPositions: need('n_positions', j.n_positions ?? j.n_ctx), vocabSize: need('vocab_size', j.vocab_size),
    nInner: j.n_inner ?? null, layerNormEpsilon: j.layer_norm_epsilon ?? 1e-5, dropout: j.resid_pdrop ?? 0.1,
  };
}

/** A HF config.json object for our config (for exporting a dbridge LM as a HF folder). */
export function gpt2ConfigToHf(c: Gpt2Config): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', activation_function: 'gelu_new',
    n_layer: c.nLayer, n_head: c.nHead, n_embd: c.nEmbd, n_positions: c.nPositions, vocab_size: c.vocabSize,
    n_inner: c.nInner ?? null, layer_norm_epsilon: c.layerNormEpsilon,
    resid_pdrop: c.dropout, embd_pdrop: c.dropout, attn_pdrop: c.dropout, tie_word_embeddings: true,
    bos_token_id: 50256, eos_token_id: 50256,
  };
}

/**
 * Normalises HF GPT-2 state-dict keys to the hub convention: strips `transformer.`, drops the
 * causal-mask buffers (`h.N.attn.bias`, `h.N.attn.masked_bias`) and `lm_head.weight` (checked to be
 * the tied wte when present). Throws on anything missing or misshapen.
 */
export function normaliseHfGpt2Weights(tensors: Map<string, HostArray>, config: Gpt2Config, source: string): Map<string, HostArray> {
  const out = new Map<string, HostArray>();
  let lmHead: HostArray | undefined;
  for (const [k0, a] of tensors) {
    const k = k0.startsWith('transformer.') ? k0.slice('transformer.'.length) : k0;
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(k)) continue;
    if (k === 'lm_head.weight') { lmHead = a; continue; }
    out.set(k, { dtype: 'float32', shape: a.shape.slice(), data: toFloat32(a) });
  }
  for (const [name, shape] of Gpt2.paramShapes(config)) {
    const a = out.get(name);
    if (!a) throw new DbridgeError(`${source}: GPT-2 weight ${name} (or transformer.${name}) is missing`);
    if (a.shape.join(',') !== shape.join(',')) throw new DbridgeError(`${source}: ${name} has shape [${a.shape}], config implies [${shape}]`);
  }
  if (lmHead) {
    const wte = out.get('wte.weight')!.data as Float32Array, lm = toFloat32(lmHead);
    let diff = lm.length === wte.length ? 0 : Infinity;
    for (let i = 0; i < lm.length && diff === 0; i++) if (lm[i] !== wte[i]) diff = 1;
    if (diff !== 0) throw new DbridgeError(`${source}: lm_head.weight differs from wte.weight; only tied GPT-2 is supported`);
  }
  return out;
}

/** Reads a Hugging Face GPT-2 folder: config.json + model.safetensors (either key convention). */
export function readHfGpt2(dir: string): { config: Gpt2Config; weights: Map<string, HostArray> } {
  if (!existsSync(dir)) throw new DbridgeError(`GPT-2 folder not found: ${dir}`);
  const cfgPath = join(dir, 'config.json');
  const config = gpt2ConfigFromHf(readJson<HfGpt2Json>(cfgPath, 'GPT-2 config'), cfgPath);
  const st = join(dir, 'model.safetensors');
  if (!existsSync(st)) {
    const bin = existsSync(join(dir, 'pytorch_model.bin'));
    throw new DbridgeError(`${dir}: model.safetensors not found${bin ? ' (pytorch_model.bin is not readable here; convert it with safetensors first)' : ''}`);
  }
  const weights = normaliseHfGpt2Weights(readSafetensors(st).tensors, config, st);
  return { config, weights };
}

/** Restricts HF GPT-2 weights to a compact vocabulary (rows of wte in `ids` order). */
export function sliceVocab(weights: Map<string, HostArray>, ids: readonly number[], fullVocab: number): Map<string, HostArray> {
  const wte = weights.get('wte.weight')!;
  const W = wte.shape[1];
  const src = wte.data as Float32Array;
  const dst = new Float32Array(ids.length * W);
  ids.forEach((g, i) => {
    if (g < 0 || g >= fullVocab) throw new DbridgeError(`compact vocabulary id ${g} is outside the model's ${fullVocab} tokens`);
    dst.set(src.subarray(g * W, (g + 1) * W), i * W);
  });
  const out = new Map(weights);
  out.set('wte.weight', { dtype: 'float32', shape: [ids.length, W], data: dst });
  return out;
}

/** Loads a HF GPT-2 folder into a new ParamStore (names with `prefix`). */
export function loadHfGpt2(dir: string, opts: { prefix?: string; params?: ParamStore; vocabIds?: readonly number[] | null } = {}): Gpt2 {
  const { config, weights: w0 } = readHfGpt2(dir);
  const weights = opts.vocabIds ? sliceVocab(w0, opts.vocabIds, config.vocabSize) : w0;
  const cfg = opts.vocabIds ? { ...config, vocabSize: opts.vocabIds.length } : config;
  const params = opts.params ?? new ParamStore();
  const prefix = opts.prefix ?? '';
  for (const [name, shape] of Gpt2.paramShapes(cfg)) {
    const a = weights.get(name)!;
    params.add(prefix + name, tf.tensor(a.data as Float32Array, shape));
  }
  return new Gpt2(cfg, params, prefix);
}
