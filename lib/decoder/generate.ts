// Caption generation from (already treated) embeddings, batched, with a key/value cache.
//   greedy: the Diffusion Bridge / C3 predict.py `generate2`: argmax each step (its top-p filter
//           never changes the argmax), stop after the first "." which is kept, at most 39 new tokens
//           (C3: 67). Both are options.
//   beam:   ClipCap's `generate_beam`: beams ranked by summed log-probability divided by length,
//           stopped beams carry on with a zero-cost token, best beam returned (beam size 5).
// Divergences: the cache replaces ClipCap's full recompute (same numbers up to float rounding);
// " ." (GPT-2 id 764, Flickr30K's spaced stop) also ends a caption, and <|endoftext|> ends it without
// being kept; finished rows leave the batch.
import { tf } from '../tf.ts';
import { DbridgeError } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import { disposeCache, type Gpt2, type KvCache } from './gpt2.ts';
import type { CaptionDecoder } from './model.ts';
import { checkMatrix } from './treatments.ts';
import { GPT2_EOS } from './tokenizer.ts';

/** Decoding defaults (the official scripts': greedy, at most 39 new tokens, stop at the first full stop). */
export const GENERATE_DEFAULTS = { method: 'greedy', beamSize: 5, maxTokens: 39, stopAtPeriod: true, batchSize: 64 } as const;

export interface GenerateOptions {
  /** 'greedy' (default, as the paper's code) or 'beam'. */
  method?: 'greedy' | 'beam';
  /** Beams per embedding for 'beam' (default 5). */
  beamSize?: number;
  /** Most new tokens per caption (default 39). */
  maxTokens?: number;
  /** End a caption at the first full stop, keeping it (default true). */
  stopAtPeriod?: boolean;
  /** Embeddings per batch (default 64; beam search runs batchSize x beamSize rows). */
  batchSize?: number;
  /** Show a progress bar (default false). */
  progress?: boolean;
}

export interface GenerateResult {
  captions: string[];
  /** Generated GPT-2 ids per caption (stop token included when it ended the caption). */
  ids: number[][];
}

function stopSets(decoder: CaptionDecoder, opts: GenerateOptions): { keep: Set<number>; drop: Set<number> } {
  const keep = new Set<number>(opts.stopAtPeriod ?? true ? decoder.stopIds() : []);
  const drop = new Set<number>();
  const eos = decoder.vocab.modelId(GPT2_EOS);
  if (eos >= 0) drop.add(eos);
  return { keep, drop };
}

function gatherCache(c: KvCache, rows: number[]): KvCache {
  return tf.tidy(() => {
    const idx = tf.tensor1d(rows, 'int32');
    return { k: c.k.map((t) => tf.gather(t, idx)), v: c.v.map((t) => tf.gather(t, idx)), length: c.length };
  });
}

/** Captions (and GPT-2 ids) for embeddings [N, D] that have been through applyTestTreatment. */
export async function generate(decoder: CaptionDecoder, embeddings: Float32Array, opts: GenerateOptions = {}): Promise<GenerateResult> {
  const D = decoder.inputDim;
  if (embeddings.length % D !== 0) {
    throw new DbridgeError(`embeddings of ${embeddings.length} values do not form rows of the decoder's input dimension ${D}`);
  }
  const n = checkMatrix(embeddings, D, 'embeddings');
  const method = opts.method ?? GENERATE_DEFAULTS.method;
  if (method !== 'greedy' && method !== 'beam') throw new DbridgeError(`unknown decoding method '${method}' (greedy or beam)`);
  const maxTokens = opts.maxTokens ?? GENERATE_DEFAULTS.maxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new DbridgeError(`maxTokens must be a positive integer, got ${maxTokens}`);
  const room = decoder.config.lm.nPositions - decoder.prefixPositions;
  if (maxTokens > room) throw new DbridgeError(`maxTokens ${maxTokens} does not fit: the LM has ${decoder.config.lm.nPositions} positions and the prefix takes ${decoder.prefixPositions}`);
  const beam = Math.min(opts.beamSize ?? GENERATE_DEFAULTS.beamSize, decoder.vocab.size);
  if (method === 'beam' && (!Number.isInteger(beam) || beam < 1)) throw new DbridgeError(`beamSize must be a positive integer, got ${opts.beamSize}`);
  const batch = Math.max(1, opts.batchSize ?? GENERATE_DEFAULTS.batchSize);
  const stops = stopSets(decoder, opts);
  const ids: number[][] = [];
  const bar = opts.progress ? new Progress({ total: n, label: `caption (${method})`, unit: 'captions' }) : null;
  decoder.lm.beginInference();
  try {
    for (let s = 0; s < n; s += batch) {
      const rows = Math.min(batch, n - s);
      const chunk = embeddings.subarray(s * D, (s + rows) * D);
      const out = method === 'greedy' ? await greedyBatch(decoder, chunk, rows, maxTokens, stops) : await beamBatch(decoder, chunk, rows, maxTokens, beam, stops);
      ids.push(...out);
      bar?.update(s + rows);
    }
  } finally {
    decoder.lm.endInference();
  }
  bar?.finish();
  const gpt2 = ids.map((r) => r.map((m) => decoder.vocab.gpt2Id(m)));
  return { captions: ids.map((r) => decoder.vocab.decode(r).trim()), ids: gpt2 };
}

/** Captions for embeddings [N, D] (treated); see GenerateOptions for the defaults. */
export async function generateCaptions(decoder: CaptionDecoder, embeddings: Float32Array, opts: GenerateOptions = {}): Promise<string[]> {
  return (await generate(decoder, embeddings, opts)).captions;
}

/** Runs the prefix of a batch: cache and the last position's logits. */
function prefill(decoder: CaptionDecoder, chunk: Float32Array, rows: number): { cache: KvCache; logits: tf.Tensor2D } {
  const e = tf.tensor2d(chunk, [rows, decoder.inputDim]);
  const prefix = decoder.prefix(e);
  const { hidden, cache } = decoder.lm.run(prefix, { wantCache: true });
  const P = prefix.shape[1]!;
  const logits = tf.tidy(() => decoder.lm.logits(tf.slice(hidden, [0, P - 1, 0], [rows, 1, -1]).reshape([rows, -1]))) as tf.Tensor2D;
  tf.dispose([e, prefix, hidden]);
  return { cache: cache!, logits };
}

function stepLogits(decoder: CaptionDecoder, tokens: number[], cache: KvCache): { cache: KvCache; logits: tf.Tensor2D } {
  const b = tokens.length;
  const x = tf.tidy(() => decoder.lm.embedTokens(tf.tensor2d(tokens, [b, 1], 'int32')));
  const { hidden, cache: next } = decoder.lm.run(x, { past: cache, wantCache: true });
  const logits = tf.tidy(() => decoder.lm.logits(hidden.reshape([b, -1]))) as tf.Tensor2D;
  tf.dispose([x, hidden]);
  return { cache: next!, logits };
}

async function greedyBatch(decoder: CaptionDecoder, chunk: Float32Array, rows: number, maxTokens: number, stops: { keep: Set<number>; drop: Set<number> }): Promise<number[][]> {
  const out: number[][] = Array.from({ length: rows }, () => []);
  let { cache, logits } = prefill(decoder, chunk, rows);
  let active = Array.from({ length: rows }, (_, i) => i);
  try {
    for (let step = 0; step < maxTokens; step++) {
      const am = tf.argMax(logits, -1);
      const next = Array.from(await am.data());
      tf.dispose([am, logits]);
      const keepRows: number[] = [], keepTokens: number[] = [];
      next.forEach((tok, j) => {
        const r = active[j];
        if (stops.drop.has(tok)) return;
        out[r].push(tok);
        if (stops.keep.has(tok)) return;
        keepRows.push(j); keepTokens.push(tok);
      });
      if (keepRows.length === 0 || step === maxTokens - 1) { logits = null as unknown as tf.Tensor2D; break; }
      if (keepRows.length < active.length) {
        const g = gatherCache(cache, keepRows);
        disposeCache(cache);
        cache = g;
        active = keepRows.map((j) => active[j]);
      }
      const r = stepLogits(decoder, keepTokens, cache);
      disposeCache(cache);
      cache = r.cache; logits = r.logits;
    }
  } finally {
    disposeCache(cache);
    if (logits) logits.dispose();
  }
  return out;
}

async function beamBatch(decoder: CaptionDecoder, chunk: Float32Array, rows: number, maxTokens: number, K: number, stops: { keep: Set<number>; drop: Set<number> }): Promise<number[][]> {
  const first = prefill(decoder, chunk, rows);
  let cache = first.cache;
  let logits: tf.Tensor2D | null = first.logits;
  // beam state per row r*K + j
  let tokens: number[][] = [];
  let scores: number[] = [], lens: number[] = [], stopped: boolean[] = [];
  try {
    {
      const { values, indices } = tf.tidy(() => tf.topk(tf.logSoftmax(logits!, -1), K));
      const vals = await values.data(), idx = await indices.data();
      tf.dispose([values, indices, logits]);
      logits = null;
      const src: number[] = [];
      for (let r = 0; r < rows; r++) for (let j = 0; j < K; j++) {
        const tok = idx[r * K + j];
        src.push(r);
        tokens.push([tok]);
        scores.push(vals[r * K + j]);
        lens.push(1);
        stopped.push(stops.keep.has(tok) || stops.drop.has(tok));
      }
      const g = gatherCache(cache, src);
      disposeCache(cache);
      cache = g;
    }
    for (let step = 1; step < maxTokens && !stopped.every(Boolean); step++) {
      const last = tokens.map((t) => t[t.length - 1]);
      const r0 = stepLogits(decoder, last, cache);
      disposeCache(cache);
      cache = r0.cache;
      const { values, indices } = tf.tidy(() => tf.topk(tf.logSoftmax(r0.logits, -1), K));
      r0.logits.dispose();
      const vals = await values.data(), idx = await indices.data();
      tf.dispose([values, indices]);
      const nTokens: number[][] = [], nScores: number[] = [], nLens: number[] = [], nStopped: boolean[] = [], src: number[] = [];
      for (let r = 0; r < rows; r++) {
        const cands: { avg: number; sum: number; len: number; beam: number; tok: number }[] = [];
        for (let j = 0; j < K; j++) {
          const b = r * K + j;
          if (stopped[b]) { cands.push({ avg: scores[b] / lens[b], sum: scores[b], len: lens[b], beam: b, tok: -1 }); continue; }
          for (let c = 0; c < K; c++) {
            const sum = scores[b] + vals[b * K + c], len = lens[b] + 1;
            cands.push({ avg: sum / len, sum, len, beam: b, tok: idx[b * K + c] });
          }
        }
        cands.sort((a, b) => b.avg - a.avg);
        for (let j = 0; j < K; j++) {
          const c = cands[Math.min(j, cands.length - 1)];
          src.push(c.beam);
          nScores.push(c.sum); nLens.push(c.len);
          if (c.tok < 0) { nTokens.push(tokens[c.beam]); nStopped.push(true); continue; }
          nTokens.push([...tokens[c.beam], c.tok]);
          nStopped.push(stops.keep.has(c.tok) || stops.drop.has(c.tok));
        }
      }
      const g = gatherCache(cache, src);
      disposeCache(cache);
      cache = g;
      tokens = nTokens; scores = nScores; lens = nLens; stopped = nStopped;
    }
  } finally {
    disposeCache(cache);
    if (logits) logits.dispose();
  }
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    let best = r * K;
    for (let j = 1; j < K; j++) if (scores[r * K + j] / lens[r * K + j] > scores[best] / lens[best]) best = r * K + j;
    out.push(tokens[best].filter((t) => !stops.drop.has(t)));
  }
  return out;
}

/**
 * Greedy continuation of input embeddings [B, L, W] by a bare GPT-2 (no mapper): `steps` argmax
 * tokens per row (model ids), with the key/value cache; rows stop early at a token in `stopIds`.
 * Also returns the logits of each step [steps][B*V] when `keepLogits` (for parity checks).
 */
export async function greedyFromEmbeds(lm: Gpt2, embeds: tf.Tensor, steps: number, opts: { stopIds?: number[]; keepLogits?: boolean } = {}): Promise<{ ids: number[][]; stepLogits: Float32Array[] }> {
  const B = embeds.shape[0]!, L = embeds.shape[1]!;
  const stops = new Set(opts.stopIds ?? []);
  const ids: number[][] = Array.from({ length: B }, () => []);
  const stepLogits: Float32Array[] = [];
  const done = new Array<boolean>(B).fill(false);
  lm.beginInference();
  let { hidden, cache } = lm.run(embeds, { wantCache: true });
  let logits = tf.tidy(() => lm.logits(tf.slice(hidden, [0, L - 1, 0], [B, 1, -1]).reshape([B, -1])));
  hidden.dispose();
  try {
    for (let s = 0; s < steps; s++) {
      if (opts.keepLogits) stepLogits.push(Float32Array.from(await logits.data() as Float32Array));
      const am = tf.argMax(logits, -1);
      const next = Array.from(await am.data());
      am.dispose();
      next.forEach((t, b) => { if (!done[b]) { ids[b].push(t); if (stops.has(t)) done[b] = true; } });
      if (s === steps - 1 || done.every(Boolean)) break;
      const x = tf.tidy(() => lm.embedTokens(tf.tensor2d(next, [B, 1], 'int32')));
      const r = lm.run(x, { past: cache, wantCache: true });
      x.dispose(); disposeCache(cache); logits.dispose();
      cache = r.cache;
      logits = tf.tidy(() => lm.logits(r.hidden.reshape([B, -1])));
      r.hidden.dispose();
    }
  } finally {
    logits.dispose();
    disposeCache(cache);
    lm.endInference();
  }
  return { ids, stepLogits };
}
