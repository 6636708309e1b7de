// `dbridge lm`: logits of a language model for given token ids (parity checks against other
// implementations): a Hugging Face GPT-2 folder (config.json + model.safetensors) or a dbridge
// decoder folder (its GPT-2). Ragged id lists are right-padded; only real positions are meaningful.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { tf } from '../../tf.ts';
import { readNpy, writeNpy } from '../../io/npy.ts';
import { toFloat32 } from '../../io/dtype.ts';
import { DbridgeError } from '../../util/errors.ts';
import { checkOutputFile, readJson, writeJsonAtomic } from '../../util/fs.ts';
import { checkFiniteOutput } from '../outputs.ts';
import { loadHfGpt2, loadDecoder, gpt2Encode, greedyFromEmbeds, Vocab, DECODER_KIND, type Gpt2 } from '../../decoder/index.ts';

function readIds(path: string): number[][] {
  const j = readJson<unknown>(path, 'ids file');
  const rows = Array.isArray(j) && j.length > 0 && !Array.isArray(j[0]) ? [j] : j;
  if (!Array.isArray(rows) || rows.length === 0) throw new DbridgeError(`${path}: expected a JSON list of token ids or a list of such lists`);
  (rows as unknown[]).forEach((r, i) => {
    if (!Array.isArray(r) || r.length === 0) throw new DbridgeError(`${path}: row ${i} is not a non-empty list of ids`);
    r.forEach((v, j) => { if (!Number.isInteger(v) || v < 0) throw new DbridgeError(`${path}: row ${i}, position ${j} is not a token id: ${JSON.stringify(v)}`); });
  });
  return rows as number[][];
}

const spec = defineCommand({
  name: 'lm',
  summary: "print or save a language model's logits for given ids",
  usage: '--model DIR (--ids IDS.json | --text "...") [--output LOGITS.npy] [--prefix-embeds P.npy] [--generate N]',
  description: [
    'DIR: a Hugging Face GPT-2 folder (config.json + model.safetensors, either key convention) or a dbridge decoder folder.',
    'IDS.json: [ids] or [[ids], ...] (GPT-2 ids; rows are right-padded with 50256, logits at padded positions are not meaningful).',
    'Writes logits float32 [B, L, V] (with --prefix-embeds [B, P, W] or [P, W]: [B, P + L, V]); prints a summary.',
  ].join('\n'),
  options: [
    { name: 'model', type: 'string', required: true, help: 'HF GPT-2 folder or dbridge decoder folder' },
    { name: 'ids', type: 'string', help: 'token ids JSON' },
    { name: 'text', type: 'string', help: 'text to tokenise with the GPT-2 BPE instead of --ids' },
    { name: 'output', type: 'string', help: 'where to write the logits (.npy float32)' },
    { name: 'prefix-embeds', type: 'string', help: 'input embeddings put before the tokens (.npy [B, P, W] or [P, W])' },
    { name: 'generate', type: 'int', default: 0, min: 0, help: 'also continue each row greedily for N tokens and print them' },
    { name: 'json', type: 'string', help: 'write the summary (and generated ids) to this JSON file' },
  ],
  check(args) {
    if (!args.ids === !args.text) throw new DbridgeError('give exactly one of --ids and --text');
    const inputs = { '--ids': args.ids, '--prefix-embeds': args.prefixEmbeds };
    if (args.output !== undefined) checkOutputFile(args.output, { what: '--output', inputs });
    if (args.json !== undefined) checkOutputFile(args.json, { what: '--json', inputs: { ...inputs, '--output': args.output } });
  },
  async run(args) {
    await initBackend(args.backend);
    const dir = args.model;
    if (!existsSync(join(dir, 'config.json'))) throw new DbridgeError(`${dir}: config.json not found (expected a HF GPT-2 or dbridge decoder folder)`);
    const isDecoder = readJson<{ kind?: string }>(join(dir, 'config.json')).kind === DECODER_KIND;
    const decoder = isDecoder ? loadDecoder(dir) : null;
    const lm: Gpt2 = decoder ? decoder.lm : loadHfGpt2(dir);
    const vocab = decoder ? decoder.vocab : Vocab.full();
    try {
      const gpt2Rows = args.ids !== undefined ? readIds(args.ids) : [gpt2Encode(args.text ?? '')];
      const rows = gpt2Rows.map((r) => r.map((g) => {
        const m = vocab.modelId(g);
        if (m < 0) throw new DbridgeError(`token id ${g} is not in the model's ${vocab.compact ? 'compact ' : ''}vocabulary`);
        return m;
      }));
      const B = rows.length, L = Math.max(...rows.map((r) => r.length));
      if (args.generate > 0 && rows.some((r) => r.length !== L)) throw new DbridgeError('--generate needs rows of equal length');
      const pad = Math.max(0, vocab.modelId(50256));
      const flat = new Int32Array(B * L).fill(pad);
      rows.forEach((r, b) => r.forEach((t, i) => { flat[b * L + i] = t; }));
      let prefix: tf.Tensor | undefined;
      if (args.prefixEmbeds) {
        const a = readNpy(args.prefixEmbeds);
        const W = lm.config.nEmbd;
        const shape = a.shape.length === 2 ? [1, ...a.shape] : a.shape;
        if (shape.length !== 3 || shape[2] !== W || (shape[0] !== 1 && shape[0] !== B)) {
          throw new DbridgeError(`${args.prefixEmbeds}: prefix embeddings must be [P, ${W}] or [${B}, P, ${W}], got [${a.shape}]`);
        }
        prefix = tf.tidy(() => tf.broadcastTo(tf.tensor(toFloat32(a), shape), [B, shape[1], W]));
      }
      const P = prefix?.shape[1] ?? 0;
      const logits = tf.tidy(() => lm.logitsOfIds(tf.tensor2d(flat, [B, L], 'int32'), prefix));
      const data = (await logits.data()) as Float32Array;
      const V = lm.config.vocabSize;
      checkFiniteOutput(data, 'the logits', `check the model ${dir}`);
      if (args.output) writeNpy(args.output, { dtype: 'float32', shape: [B, P + L, V], data });
      const summary: Record<string, unknown> = {
        model: dir, kind: isDecoder ? 'dbridge decoder' : 'hf gpt2', shape: [B, P + L, V],
        last_argmax: rows.map((r, b) => {
          const off = (b * (P + L) + P + r.length - 1) * V;
          let best = 0;
          for (let v = 1; v < V; v++) if (data[off + v] > data[off + best]) best = v;
          return vocab.gpt2Id(best);
        }),
      };
      if (args.generate > 0) {
        const embeds = tf.tidy(() => {
          const x = lm.embedTokens(tf.tensor2d(flat, [B, L], 'int32'));
          return prefix ? tf.concat([prefix, x], 1) : x;
        });
        const g = await greedyFromEmbeds(lm, embeds, args.generate);
        embeds.dispose();
        summary.generated = g.ids.map((r) => r.map((m) => vocab.gpt2Id(m)));
        summary.generated_text = g.ids.map((r) => vocab.decode(r));
      }
      tf.dispose([logits, prefix]);
      if (args.json) writeJsonAtomic(args.json, summary);
      console.log(JSON.stringify(summary));
    } finally {
      if (decoder) decoder.dispose(); else lm.params.dispose();
    }
  },
});
export default spec;
