// GPT-2 against the Hugging Face reference (test/fixtures/gpt2_tiny, from transformers 5.18): both
// key conventions, logits on valid positions (strided columns + full-row argmax/log-sum-exp), hidden
// states, prefix-embedding logits, greedy ids with the KV cache; and the GPT-2 tokenizer ids.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { readSafetensors, writeSafetensors } from '../../lib/io/safetensors.ts';
import type { HostArray } from '../../lib/io/dtype.ts';
import { readJson, writeJsonAtomic } from '../../lib/util/fs.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { loadHfGpt2, readHfGpt2, greedyFromEmbeds, gpt2Encode, gpt2Decode, Vocab, type Gpt2 } from '../../lib/decoder/index.ts';
import { setupBackend, assertClose, assertNoLeak, maxAbsDiff, tmpDir } from '../helpers.ts';
import { GPT2_FIX, V, ref, cols, checkRows } from './gpt2-reference.ts';

const FIX = GPT2_FIX;
const REF = join(FIX, 'reference');

before(async () => { await setupBackend(); });

/** The hub-convention file: the same tensors without `transformer.`, plus the h.N.attn.bias buffers. */
function hubKeysFolder(): string {
  const dir = tmpDir('gpt2-hub-');
  copyFileSync(join(FIX, 'config.json'), join(dir, 'config.json'));
  const t = readSafetensors(join(FIX, 'model.safetensors')).tensors;
  const out = new Map<string, HostArray>();
  for (const [k, v] of t) out.set(k.replace(/^transformer\./, ''), v);
  const tri = new Float32Array(128 * 128);
  for (let i = 0; i < 128; i++) for (let j = 0; j <= i; j++) tri[i * 128 + j] = 1;
  for (let l = 0; l < 2; l++) out.set(`h.${l}.attn.bias`, { dtype: 'float32', shape: [1, 1, 128, 128], data: tri });
  writeSafetensors(join(dir, 'model.safetensors'), out, { format: 'pt' });
  return dir;
}

function batchLogits(m: Gpt2): { logits: Float32Array; hidden: Float32Array } {
  const ids = ref('input_ids');
  return tf.tidy(() => {
    const x = m.embedTokens(tf.tensor(ids.data as Int32Array, ids.shape, 'int32'));
    const h = m.forwardEmbeds(x);
    return { logits: m.logits(h).dataSync() as Float32Array, hidden: h.dataSync() as Float32Array };
  });
}

function validRows(full: Float32Array, width: number): Float32Array {
  const out = new Float32Array(cols.valid_flat_rows.length * width);
  cols.valid_flat_rows.forEach((r, i) => out.set(full.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

test('GPT-2 logits and hidden states match transformers on valid positions (save_pretrained and hub keys)', () => {
  for (const dir of [FIX, hubKeysFolder()]) {
    const m = loadHfGpt2(dir);
    const { logits, hidden } = batchLogits(m);
    const d = checkRows('logits_valid', validRows(logits, V), 1e-4);
    assertClose(validRows(hidden, 64), validRows(ref('last_hidden_state').data as Float32Array, 64), 1e-4, 'last_hidden_state');
    assert.ok(d < 1e-4);
    m.params.dispose();
  }
});

test('prefix-embedding logits and greedy ids (KV cache) match transformers', async () => {
  const m = loadHfGpt2(FIX);
  const pe = ref('prefix_inputs_embeds');
  const out = tf.tidy(() => {
    const h = m.forwardEmbeds(tf.tensor(pe.data as Float32Array, pe.shape));
    return { logits: m.logits(h).dataSync() as Float32Array, hidden: h.dataSync() as Float32Array };
  });
  checkRows('prefix_logits', out.logits, 1e-4);
  assertClose(out.hidden, ref('prefix_last_hidden_state').data as Float32Array, 1e-4, 'prefix hidden');
  // prefix_inputs_embeds = [prefix_embeds ; wte[ids]]
  const built = tf.tidy(() => tf.concat([tf.tensor(ref('prefix_embeds').data as Float32Array, [1, 10, 64]),
    m.embedTokens(tf.tensor(ref('prefix_token_ids').data as Int32Array, [1, 9], 'int32'))], 1).dataSync());
  assert.ok(maxAbsDiff(built, pe.data as Float32Array) === 0);

  const prefix = tf.tensor(ref('prefix_embeds').data as Float32Array, [1, 10, 64]);
  const g = await assertNoLeak(() => greedyFromEmbeds(m, prefix, 10, { keepLogits: true }), 'greedyFromEmbeds');
  assert.deepEqual(g.ids[0], [...(ref('greedy_ids').data as Int32Array)]);
  const steps = new Float32Array(10 * V);
  g.stepLogits.forEach((s, i) => steps.set(s, i * V));
  checkRows('greedy_step_logits', steps, 1e-4);
  prefix.dispose();
  m.params.dispose();
});

test('HF folders with missing or misshapen weights, or another architecture, give clear errors', () => {
  const dir = tmpDir('gpt2-bad-');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(FIX, 'config.json'), join(dir, 'config.json'));
  assert.throws(() => readHfGpt2(dir), (e: Error) => e instanceof DbridgeError && /model\.safetensors not found/.test(e.message));
  const t = readSafetensors(join(FIX, 'model.safetensors')).tensors;
  t.delete('transformer.ln_f.bias');
  writeSafetensors(join(dir, 'model.safetensors'), t);
  assert.throws(() => readHfGpt2(dir), (e: Error) => e instanceof DbridgeError && /ln_f\.bias .*missing/.test(e.message));
  const cfg = readJson<Record<string, unknown>>(join(FIX, 'config.json'));
  writeSafetensors(join(dir, 'model.safetensors'), readSafetensors(join(FIX, 'model.safetensors')).tensors);
  writeJsonAtomic(join(dir, 'config.json'), { ...cfg, activation_function: 'relu' });
  assert.throws(() => readHfGpt2(dir), (e: Error) => e instanceof DbridgeError && /activation_function/.test(e.message));
  writeJsonAtomic(join(dir, 'config.json'), { ...cfg, n_embd: 32 });
  assert.throws(() => readHfGpt2(dir), (e: Error) => e instanceof DbridgeError && /shape/.test(e.message));
});


test('GPT-2 BPE (js-tiktoken, offline) reproduces the fixture ids and decodes greedy ids', () => {
  const man = readJson<{ sentences: string[]; token_ids: number[][] }>(join(REF, 'manifest.json'));
  man.sentences.forEach((s, i) => assert.deepEqual(gpt2Encode(s), man.token_ids[i], s));
  assert.equal(gpt2Decode([...(ref('greedy_ids').data as Int32Array)]), ' cater Athletic mailing 363 disciplined bully 363090 tyordinary');
  assert.deepEqual(gpt2Encode('<|endoftext|>').length > 1, true, 'special tokens in captions are plain text');
  const v = Vocab.fromTexts(['A red ball.', 'two dogs .'], [13, 764]);
  assert.deepEqual(v.ids, [...new Set([...gpt2Encode('A red ball.'), ...gpt2Encode('two dogs .'), 13, 764])].sort((a, b) => a - b));
  assert.equal(v.decode(v.encode('A red ball.')), 'A red ball.');
  assert.throws(() => v.encode('A green ball.'), (e: Error) => e instanceof DbridgeError && /compact vocabulary/.test(e.message));
});
