// `dbridge train-decoder`: text-only training of the caption decoder (lib/decoder/train.ts) from a
// per-caption embedding matrix and its captions, with the input treatment of a method
// (plain | capdec | c3 | augmented). See docs/decoder.md.
// Outputs (lib/cli/outputs.ts): the folder is locked while training; a folder that holds a decoder is
// continued only with --resume (same settings, the trainer names the one that differs) and replaced
// only with --force, by training into a temporary sibling that replaces it once training has finished.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand, exclusive } from '../args.ts';
import { requireFile } from '../../util/fs.ts';
import { trainingFolder, trainInto } from '../outputs.ts';
import { initBackend } from '../../backend.ts';
import { readEmbeddingMatrix } from '../../io/npy.ts';
import { DbridgeError } from '../../util/errors.ts';
import { DECODER_TRAIN_DEFAULTS, trainDecoder, TRAIN_TREATMENTS, applyTestTreatment, checkTestTreatment, type TrainDecoderOptions, type TrainTreatment } from '../../decoder/index.ts';
import { DEFAULT_NOISE_VARIANCE } from '../../decoder/treatments.ts';
import { readCaptions, readImageIds, readReferences, readVector, siblingOfSplit, metricScorer, SELECT_METRICS, type SelectMetric } from '../../decoder/io.ts';

const spec = defineCommand({
  name: 'train-decoder',
  summary: 'train a caption decoder on text embeddings only',
  usage: '--embeddings TEXT.npy --captions CAPS --treatment plain|capdec|c3|augmented --out DIR [--resume | --force]',
  description: [
    'TEXT.npy: float [N, D], one row per caption (for --treatment augmented: the diffusion-augmented rows).',
    'CAPS: a JSON list of N captions, the split\'s index.json ("texts"), or a text file with one caption per line.',
    'plain and c3 need the text mean (--text-mean; found automatically as <dir>/text_mean.npy when TEXT.npy is',
    '<dir>/<split>/text.npy). Writes DIR/weights.safetensors + config.json (best epoch), DIR/epochs/epoch-NN/,',
    'DIR/resume/ (with the optimizer, for --resume) and DIR/train_log.json. A DIR that holds a decoder is continued with',
    '--resume (same settings) or replaced with --force once the new run has finished; otherwise it is refused.',
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
    { name: 'val-limit', type: 'int', default: 1000, min: 1, help: 'validation images used for selection (the official code samples 1000)' },
    { name: 'select-metric', type: 'string', default: 'METEOR', choices: SELECT_METRICS, help: 'metric for best-epoch selection with --val-images' },
    { name: 'lm', type: 'string', default: 'tiny', help: "language model: tiny | small (GPT-2 small shape, from scratch) | a Hugging Face GPT-2 folder" },
    { name: 'layers', type: 'int', min: 1, help: 'override the LM block count (tiny/small)' },
    { name: 'width', type: 'int', min: 1, help: 'override the LM width (tiny/small)' },
    { name: 'heads', type: 'int', min: 1, help: 'override the LM head count (tiny/small)' },
    { name: 'dropout', type: 'number', min: 0, max: 1, help: 'override the LM dropout (default: tiny 0, small/HF 0.1)' },
    { name: 'mapper', type: 'string', default: 'official', choices: ['official', 'paper'], help: 'prefix mapper: ClipCap MLP (official) or projection + projector + soft prompts (paper)' },
    { name: 'prefix-length', type: 'int', default: DECODER_TRAIN_DEFAULTS.prefixLength, min: 1, help: 'prefix tokens (official) / soft prompts (paper)' },
    { name: 'compact-vocab', type: 'string', default: 'auto', choices: ['auto', 'yes', 'no'], help: 'restrict the vocabulary to the captions\' tokens (auto: yes from scratch, no for a HF GPT-2)' },
    { name: 'epochs', type: 'int', default: DECODER_TRAIN_DEFAULTS.epochs, min: 1, help: 'epochs' },
    { name: 'batch-size', type: 'int', default: DECODER_TRAIN_DEFAULTS.batchSize, min: 1, help: 'batch size' },
    { name: 'lr', type: 'number', above: 0, help: 'peak learning rate (default 2e-5 for a HF GPT-2; from scratch 4e-3 up to width 128, else 1e-3)' },
    { name: 'warmup', type: 'int', min: 0, help: 'warm-up steps (default min(5000, 10% of all steps))' },
    { name: 'weight-decay', type: 'number', default: DECODER_TRAIN_DEFAULTS.weightDecay, min: 0, help: 'AdamW weight decay' },
    { name: 'noise-variance', type: 'number', default: DEFAULT_NOISE_VARIANCE, min: 0, help: 'Gaussian noise variance of capdec/c3' },
    { name: 'max-seq-len', type: 'int', min: 1, help: "caption token cap (default ClipCap's min(mean + 10 std, max))" },
    { name: 'bucket-by-length', type: 'boolean', default: false, help: 'batch captions of similar length together (less padding, faster)' },
    { name: 'resume', type: 'boolean', default: false, help: 'continue from DIR/resume (same settings)' },
    { name: 'force', type: 'boolean', default: false, help: 'replace the decoder in --out once the new run has finished' },
    { name: 'keep-epochs', type: 'boolean', default: true, help: 'write a checkpoint for every epoch' },
  ],
  check(args) {
    exclusive(args, 'resume', 'force');
    requireFile(args.embeddings, '--embeddings');
    requireFile(args.captions, '--captions');
    if (args.lm !== 'tiny' && args.lm !== 'small') {
      if (!existsSync(join(args.lm, 'config.json'))) {
        throw new DbridgeError(`--lm ${args.lm}: ${existsSync(args.lm) ? 'config.json not found in it' : 'not found'} (give tiny, small, or a Hugging Face GPT-2 folder)`);
      }
    }
  },
  async run(args) {
    await initBackend(args.backend);
    const treatment: TrainTreatment = args.treatment;
    const embPath = args.embeddings;
    const { data, n, d } = readEmbeddingMatrix(embPath);
    const captions = readCaptions(args.captions);
    if (captions.length !== n) throw new DbridgeError(`${args.captions} has ${captions.length} captions but ${embPath} has ${n} rows`);
    let meanPath = args.textMean;
    if (!meanPath) meanPath = siblingOfSplit(embPath, 'text_mean.npy') ?? undefined;
    if (!meanPath && (treatment === 'plain' || treatment === 'c3')) throw new DbridgeError(`--treatment ${treatment} needs --text-mean TEXT_MEAN.npy`);
    const textMean = meanPath ? readVector(meanPath, d, 'the text mean') : undefined;

    let val: TrainDecoderOptions['val'];
    if (args.valEmbeddings || args.valCaptions) {
      if (!args.valEmbeddings || !args.valCaptions) throw new DbridgeError('give both --val-embeddings and --val-captions');
      const v = readEmbeddingMatrix(args.valEmbeddings, { dim: d });
      val = { embeddings: v.data, captions: readCaptions(args.valCaptions) };
      if (val.captions.length !== v.n) throw new DbridgeError(`${args.valCaptions} has ${val.captions.length} captions but ${args.valEmbeddings} has ${v.n} rows`);
    }
    let valImages: TrainDecoderOptions['valImages'];
    let scorer: TrainDecoderOptions['scorer'];
    let scorerName: string | undefined;
    if (args.valImages) {
      const path = args.valImages;
      const v = readEmbeddingMatrix(path, { dim: d });
      const index = args.valIndex ?? path.replace(/[^/]+$/, 'index.json');
      const ids = readImageIds(index, v.n), refs = readReferences(index, v.n);
      const t = checkTestTreatment(args.valTreatment);
      const imPath = args.imageMean ?? siblingOfSplit(path, 'image_mean.npy') ?? undefined;
      if (t === 'mean' && !imPath) throw new DbridgeError('--val-treatment mean needs --image-mean');
      const treated = await applyTestTreatment(v.data, d, { treatment: t, imageMean: imPath ? readVector(imPath, d, 'the image mean') : undefined });
      const limit = Math.min(v.n, args.valLimit);
      // a seeded subset, as the official code samples 1000 val images
      const { Rng } = await import('../../util/rng.ts');
      const pick = new Rng(args.seed).fork('val-images').permutation(v.n).slice(0, limit).sort((a, b) => a - b);
      const emb = new Float32Array(limit * d);
      pick.forEach((r, i) => emb.set(treated.subarray(r * d, (r + 1) * d), i * d));
      valImages = { embeddings: emb, ids: pick.map((r) => ids[r]), references: pick.map((r) => refs[r]) };
      const ms = await metricScorer(args.selectMetric);
      scorer = ms.scorer; scorerName = args.selectMetric;
    }
    const lmArg = args.lm;
    const lm = lmArg === 'tiny' || lmArg === 'small' ? lmArg : { hfDir: lmArg };
    const overrides: Record<string, number> = {};
    if (args.layers !== undefined) overrides.nLayer = args.layers;
    if (args.width !== undefined) overrides.nEmbd = args.width;
    if (args.heads !== undefined) overrides.nHead = args.heads;
    if (args.dropout !== undefined) overrides.dropout = args.dropout;
    const cv = args.compactVocab;
    const folder = trainingFolder(args.out, {
      resume: args.resume, force: args.force, kind: 'a caption decoder',
      holdsRun: (dir) => ['resume', 'epochs', 'config.json', 'train_log.json', 'weights.safetensors'].some((f) => existsSync(join(dir, f))),
      inputs: { '--embeddings': args.embeddings, '--captions': args.captions, '--text-mean': meanPath, '--val-embeddings': args.valEmbeddings, '--val-images': args.valImages },
    });
    const t0 = Date.now();
    const res = await trainInto(folder, (out) => trainDecoder({
      embeddings: data, dim: d, captions, treatment, textMean, out, val, valImages, scorer, scorerName,
      lm, lmOverrides: overrides, mapper: args.mapper, prefixLength: args.prefixLength,
      compactVocab: cv === 'auto' ? undefined : cv === 'yes',
      epochs: args.epochs, batchSize: args.batchSize, lr: args.lr, warmup: args.warmup,
      weightDecay: args.weightDecay, noiseVariance: args.noiseVariance, maxSeqLen: args.maxSeqLen,
      seed: args.seed, bucketByLength: args.bucketByLength, resume: folder.mode === 'resume', keepEpochs: args.keepEpochs, quiet: args.quiet,
    }));
    const best = res.history.find((h) => h.epoch === res.bestEpoch);
    console.log(`trained decoder (${treatment}) for ${res.steps} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; best epoch ${res.bestEpoch}` +
      `${best?.metric != null ? ` (${scorerName} ${best.metric.toFixed(4)})` : best?.valLoss != null ? ` (val loss ${best.valLoss.toFixed(4)})` : ''} -> ${args.out}`);
  },
});
export default spec;
