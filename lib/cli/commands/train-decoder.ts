// `dbridge train-decoder`: text-only training of the caption decoder (lib/decoder/train.ts) from a
// per-caption embedding matrix and its captions, with the input treatment of a method
// (plain | capdec | c3 | augmented). See docs/decoder.md.
import type { CommandSpec } from '../args.ts';
import { initBackend } from '../../backend.ts';
import { readEmbeddingMatrix } from '../../io/npy.ts';
import { DbridgeError } from '../../util/errors.ts';
import { trainDecoder, TRAIN_TREATMENTS, applyTestTreatment, checkTestTreatment, type TrainDecoderOptions, type TrainTreatment } from '../../decoder/index.ts';
import { readCaptions, readImageIds, readReferences, readVector, siblingOfSplit, metricScorer, SELECT_METRICS, type SelectMetric } from '../../decoder/io.ts';

const spec: CommandSpec = {
  name: 'train-decoder',
  summary: 'train a caption decoder on text embeddings only',
  usage: '--embeddings TEXT.npy --captions CAPS --treatment plain|capdec|c3|augmented --out DIR',
  description: [
    'TEXT.npy: float [N, D], one row per caption (for --treatment augmented: the diffusion-augmented rows).',
    'CAPS: a JSON list of N captions, the split\'s index.json ("texts"), or a text file with one caption per line.',
    'plain and c3 need the text mean (--text-mean; found automatically as <dir>/text_mean.npy when TEXT.npy is',
    '<dir>/<split>/text.npy). Writes DIR/weights.safetensors + config.json (best epoch), DIR/epochs/epoch-NN/,',
    'DIR/resume/ (with the optimizer, for --resume) and DIR/train_log.json.',
    'Best epoch: by --select-metric on --val-images (generated captions vs the index\'s references), else by the',
    'val loss of --val-embeddings/--val-captions, else by the train loss.',
  ].join('\n'),
  options: [
    { name: 'embeddings', type: 'string', required: true, help: 'per-caption embeddings (.npy [N, D])' },
    { name: 'captions', type: 'string', required: true, help: 'the N captions (.json list, index.json, or .txt lines)' },
    { name: 'treatment', type: 'string', required: true, choices: TRAIN_TREATMENTS, help: 'input treatment' },
    { name: 'out', type: 'string', required: true, help: 'output folder' },
    { name: 'text-mean', type: 'string', help: 'mean of L2-normalised train text embeddings (.npy [D])' },
    { name: 'val-embeddings', type: 'string', help: 'validation text embeddings (.npy) for the val loss' },
    { name: 'val-captions', type: 'string', help: 'validation captions for --val-embeddings' },
    { name: 'val-images', type: 'string', help: 'validation image embeddings (.npy; raw, or bridged with --val-treatment bridged) for metric selection' },
    { name: 'val-index', type: 'string', help: "index.json of --val-images (image ids and reference captions; default: beside it)" },
    { name: 'val-treatment', type: 'string', default: 'raw', choices: ['raw', 'mean', 'bridged'], help: 'test treatment of --val-images' },
    { name: 'image-mean', type: 'string', help: "image mean for --val-treatment mean (default <dir>/image_mean.npy)" },
    { name: 'val-limit', type: 'int', default: 1000, help: 'validation images used for selection (the official code samples 1000)' },
    { name: 'select-metric', type: 'string', default: 'METEOR', choices: SELECT_METRICS, help: 'metric for best-epoch selection with --val-images' },
    { name: 'lm', type: 'string', default: 'tiny', help: "language model: tiny | small (GPT-2 small shape, from scratch) | a Hugging Face GPT-2 folder" },
    { name: 'layers', type: 'int', help: 'override the LM block count (tiny/small)' },
    { name: 'width', type: 'int', help: 'override the LM width (tiny/small)' },
    { name: 'heads', type: 'int', help: 'override the LM head count (tiny/small)' },
    { name: 'dropout', type: 'number', help: 'override the LM dropout (default: tiny 0, small/HF 0.1)' },
    { name: 'mapper', type: 'string', default: 'official', choices: ['official', 'paper'], help: 'prefix mapper: ClipCap MLP (official) or projection + projector + soft prompts (paper)' },
    { name: 'prefix-length', type: 'int', default: 10, help: 'prefix tokens (official) / soft prompts (paper)' },
    { name: 'compact-vocab', type: 'string', default: 'auto', choices: ['auto', 'yes', 'no'], help: 'restrict the vocabulary to the captions\' tokens (auto: yes from scratch, no for a HF GPT-2)' },
    { name: 'epochs', type: 'int', default: 10, help: 'epochs' },
    { name: 'batch-size', type: 'int', default: 40, help: 'batch size' },
    { name: 'lr', type: 'number', help: 'peak learning rate (default 2e-5 for a HF GPT-2; from scratch 4e-3 up to width 128, else 1e-3)' },
    { name: 'warmup', type: 'int', help: 'warm-up steps (default min(5000, 10% of all steps))' },
    { name: 'weight-decay', type: 'number', default: 0.01, help: 'AdamW weight decay' },
    { name: 'noise-variance', type: 'number', default: 0.016, help: 'Gaussian noise variance of capdec/c3' },
    { name: 'max-seq-len', type: 'int', help: "caption token cap (default ClipCap's min(mean + 10 std, max))" },
    { name: 'bucket-by-length', type: 'boolean', default: false, help: 'batch captions of similar length together (less padding, faster)' },
    { name: 'resume', type: 'boolean', default: false, help: 'continue from DIR/resume' },
    { name: 'keep-epochs', type: 'boolean', default: true, help: 'write a checkpoint for every epoch' },
  ],
  async run(args) {
    await initBackend(args.backend as string | undefined);
    const treatment = args.treatment as TrainTreatment;
    const embPath = args.embeddings as string;
    const { data, n, d } = readEmbeddingMatrix(embPath);
    const captions = readCaptions(args.captions as string);
    if (captions.length !== n) throw new DbridgeError(`${args.captions} has ${captions.length} captions but ${embPath} has ${n} rows`);
    let meanPath = args.textMean as string | undefined;
    if (!meanPath) meanPath = siblingOfSplit(embPath, 'text_mean.npy') ?? undefined;
    if (!meanPath && (treatment === 'plain' || treatment === 'c3')) throw new DbridgeError(`--treatment ${treatment} needs --text-mean TEXT_MEAN.npy`);
    const textMean = meanPath ? readVector(meanPath, d, 'the text mean') : undefined;

    let val: TrainDecoderOptions['val'];
    if (args.valEmbeddings || args.valCaptions) {
      if (!args.valEmbeddings || !args.valCaptions) throw new DbridgeError('give both --val-embeddings and --val-captions');
      const v = readEmbeddingMatrix(args.valEmbeddings as string, { dim: d });
      val = { embeddings: v.data, captions: readCaptions(args.valCaptions as string) };
      if (val.captions.length !== v.n) throw new DbridgeError(`${args.valCaptions} has ${val.captions.length} captions but ${args.valEmbeddings} has ${v.n} rows`);
    }
    let valImages: TrainDecoderOptions['valImages'];
    let scorer: TrainDecoderOptions['scorer'];
    let scorerName: string | undefined;
    if (args.valImages) {
      const path = args.valImages as string;
      const v = readEmbeddingMatrix(path, { dim: d });
      const index = (args.valIndex as string | undefined) ?? path.replace(/[^/]+$/, 'index.json');
      const ids = readImageIds(index, v.n), refs = readReferences(index, v.n);
      const t = checkTestTreatment(args.valTreatment as string);
      const imPath = (args.imageMean as string | undefined) ?? siblingOfSplit(path, 'image_mean.npy') ?? undefined;
      if (t === 'mean' && !imPath) throw new DbridgeError('--val-treatment mean needs --image-mean');
      const treated = applyTestTreatment(v.data, d, { treatment: t, imageMean: imPath ? readVector(imPath, d, 'the image mean') : undefined });
      const limit = Math.min(v.n, args.valLimit as number);
      // a seeded subset, as the official code samples 1000 val images
      const { Rng } = await import('../../util/rng.ts');
      const pick = new Rng(args.seed as number).fork('val-images').permutation(v.n).slice(0, limit).sort((a, b) => a - b);
      const emb = new Float32Array(limit * d);
      pick.forEach((r, i) => emb.set(treated.subarray(r * d, (r + 1) * d), i * d));
      valImages = { embeddings: emb, ids: pick.map((r) => ids[r]), references: pick.map((r) => refs[r]) };
      const ms = await metricScorer(args.selectMetric as SelectMetric);
      scorer = ms.scorer; scorerName = args.selectMetric as string;
    }
    const lmArg = args.lm as string;
    const lm = lmArg === 'tiny' || lmArg === 'small' ? lmArg : { hfDir: lmArg };
    const overrides: Record<string, number> = {};
    if (args.layers !== undefined) overrides.nLayer = args.layers as number;
    if (args.width !== undefined) overrides.nEmbd = args.width as number;
    if (args.heads !== undefined) overrides.nHead = args.heads as number;
    if (args.dropout !== undefined) overrides.dropout = args.dropout as number;
    const cv = args.compactVocab as string;
    const t0 = Date.now();
    const res = await trainDecoder({
      embeddings: data, dim: d, captions, treatment, textMean, out: args.out as string, val, valImages, scorer, scorerName,
      lm, lmOverrides: overrides, mapper: args.mapper as 'official' | 'paper', prefixLength: args.prefixLength as number,
      compactVocab: cv === 'auto' ? undefined : cv === 'yes',
      epochs: args.epochs as number, batchSize: args.batchSize as number, lr: args.lr as number | undefined, warmup: args.warmup as number | undefined,
      weightDecay: args.weightDecay as number, noiseVariance: args.noiseVariance as number, maxSeqLen: args.maxSeqLen as number | undefined,
      seed: args.seed as number, bucketByLength: Boolean(args.bucketByLength), resume: Boolean(args.resume), keepEpochs: Boolean(args.keepEpochs), quiet: Boolean(args.quiet),
    });
    const best = res.history.find((h) => h.epoch === res.bestEpoch);
    console.log(`trained decoder (${treatment}) for ${res.steps} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; best epoch ${res.bestEpoch}` +
      `${best?.metric != null ? ` (${scorerName} ${best.metric.toFixed(4)})` : best?.valLoss != null ? ` (val loss ${best.valLoss.toFixed(4)})` : ''} -> ${res.out}`);
  },
};
export default spec;
