// `dbridge caption`: captions for (image) embeddings with a trained decoder, after a test-time
// treatment (raw | mean | decap | bridged), written in the COCO results format
// [{"image_id", "caption"}]. With --diffusion DIR the raw embeddings are first bridged through the
// diffusion model (lib/diffusion, imported only then). See docs/decoder.md. The output is checked
// before any work (not an input, not a folder, writable).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand } from '../args.ts';
import { checkOutputFile } from '../../util/fs.ts';
import { checkFiniteOutput } from '../outputs.ts';
import { BRIDGE_M } from '../../diffusion/model.ts';
import { initBackend } from '../../backend.ts';
import { readEmbeddingMatrix } from '../../io/npy.ts';
import { DbridgeError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { GENERATE_DEFAULTS, loadDecoder, generate, applyTestTreatment, decoderTextSpace, TEST_TREATMENTS, checkTestTreatment, type TestTreatment } from '../../decoder/index.ts';
import { DEFAULT_DECAP_TEMPERATURE } from '../../decoder/treatments.ts';
import { readImageIds, readVector, siblingOfSplit, writeCocoResults } from '../../decoder/io.ts';

const spec = defineCommand({
  name: 'caption',
  summary: 'write captions for embeddings (COCO results JSON)',
  usage: '--decoder DIR --embeddings X.npy [--treatment raw|mean|decap|bridged] [--diffusion DIR --M 600 --steps 5] --output results.json',
  description: [
    'X.npy: float [N, D] image (or other non-text) embeddings, raw encoder output unless --treatment bridged.',
    'Treatments: raw = normalise (CapDec); mean = remove the image mean (C3; --image-mean, default <dir>/image_mean.npy);',
    'decap = DeCap projection onto a memory of training text embeddings (--memory, default <dir>/train/text.npy);',
    'bridged = X is already bridged (dbridge bridge), or give --diffusion DIR to bridge here (needs the image mean).',
    'Image ids come from --index (default: index.json beside X), else the row numbers.',
  ].join('\n'),
  options: [
    { name: 'decoder', type: 'string', required: true, help: 'decoder folder (train-decoder output or one epoch)' },
    { name: 'embeddings', type: 'string', required: true, help: 'embeddings to caption (.npy [N, D])' },
    { name: 'output', type: 'string', required: true, help: 'COCO results JSON to write' },
    { name: 'treatment', type: 'string', choices: TEST_TREATMENTS, help: 'test-time treatment (default: bridged with --diffusion, else raw)' },
    { name: 'index', type: 'string', help: 'index.json giving the image id of each row (default: beside the embeddings)' },
    { name: 'image-mean', type: 'string', help: 'image mean (.npy [D]) for mean / --diffusion' },
    { name: 'memory', type: 'string', help: 'DeCap memory: training text embeddings (.npy [M, D])' },
    { name: 'memory-size', type: 'int', min: 1, help: 'use a seeded random subset of this many memory rows (DeCap demo: 10000)' },
    { name: 'temperature', type: 'number', default: DEFAULT_DECAP_TEMPERATURE, above: 0, help: 'DeCap softmax temperature' },
    { name: 'diffusion', type: 'string', help: 'diffusion checkpoint: bridge the embeddings first (treatment bridged)' },
    { name: 'M', type: 'int', default: BRIDGE_M.coco, min: 1, help: `bridging start step (MSCOCO ${BRIDGE_M.coco}, Flickr30K ${BRIDGE_M.flickr30k})` },
    { name: 'steps', type: 'int', min: 1, help: "DDIM steps, at most M (default: the diffusion checkpoint's variant, official 5)" },
    { name: 'method', type: 'string', default: GENERATE_DEFAULTS.method, choices: ['greedy', 'beam'], help: 'decoding' },
    { name: 'beam-size', type: 'int', default: GENERATE_DEFAULTS.beamSize, min: 1, help: 'beams for --method beam' },
    { name: 'max-tokens', type: 'int', default: GENERATE_DEFAULTS.maxTokens, min: 1, help: 'most new tokens per caption (C3: 67)' },
    { name: 'stop-at-period', type: 'boolean', default: GENERATE_DEFAULTS.stopAtPeriod, help: 'end captions at the first full stop (kept)' },
    { name: 'batch-size', type: 'int', default: GENERATE_DEFAULTS.batchSize, min: 1, help: 'embeddings per batch' },
    { name: 'limit', type: 'int', min: 1, help: 'caption only the first N rows' },
  ],
  check(args) {
    if (args.steps !== undefined && args.steps > args.M) throw new DbridgeError(`--steps ${args.steps} must be at most --M ${args.M}: DDIM takes at most one step per timestep`);
    checkOutputFile(args.output, {
      what: '--output', inputs: { '--embeddings': args.embeddings, '--index': args.index, '--image-mean': args.imageMean, '--memory': args.memory },
    });
  },
  async run(args) {
    await initBackend(args.backend);
    const embPath = args.embeddings;
    const decoder = loadDecoder(args.decoder);
    try {
      const D = decoder.inputDim;
      const m0 = readEmbeddingMatrix(embPath);
      if (m0.d !== D) throw new DbridgeError(`${embPath} has dimension ${m0.d}, the decoder's mapper expects ${D}`);
      const besideIndex = embPath.replace(/[^/]+$/, 'index.json');
      const indexPath = args.index ?? (existsSync(besideIndex) ? besideIndex : undefined);
      let ids: (string | number)[] = indexPath ? readImageIds(indexPath, m0.n) : Array.from({ length: m0.n }, (_, i) => i);
      let data = m0.data, n = m0.n;
      const limit = args.limit;
      if (limit !== undefined && limit < n) { data = data.slice(0, limit * D); n = limit; ids = ids.slice(0, n); }
      const imPath = args.imageMean ?? siblingOfSplit(embPath, 'image_mean.npy') ?? undefined;
      const treatment: TestTreatment = checkTestTreatment(args.treatment ?? (args.diffusion ? 'bridged' : 'raw'));
      const t0 = Date.now();
      if (args.diffusion) {
        if (treatment !== 'bridged') throw new DbridgeError(`--diffusion bridges the embeddings; it cannot be combined with --treatment ${treatment}`);
        if (!imPath) throw new DbridgeError('--diffusion needs --image-mean (the mean of L2-normalised train image embeddings)');
        const diffPath = fileURLToPath(new URL('../../diffusion/index.ts', import.meta.url));
        let diff: { DiffusionModel: { load(dir: string, o?: object): { dispose(): void; config: { sampling: { steps: number } } } }; bridgeEmbeddings: (...a: unknown[]) => Promise<Float32Array> };
        try {
          diff = (await import(diffPath)) as typeof diff;
        } catch (e) {
          throw new DbridgeError(`--diffusion needs lib/diffusion, which failed to load: ${(e as Error).message}`);
        }
        const model = diff.DiffusionModel.load(args.diffusion);
        try {
          const steps = args.steps ?? model.config.sampling.steps;
          data = await diff.bridgeEmbeddings(model, data, n, D, readVector(imPath, D, 'the image mean'),
            { M: args.M, steps, eta: 0, seed: args.seed, progress: !args.quiet });
        } finally {
          model.dispose();
        }
        checkFiniteOutput(data, 'the bridged embeddings', `check the diffusion checkpoint ${args.diffusion}`);
      }
      let memory: Float32Array | undefined;
      if (treatment === 'decap') {
        const memPath = args.memory ?? siblingOfSplit(embPath, join('train', 'text.npy')) ?? undefined;
        if (!memPath) throw new DbridgeError('--treatment decap needs --memory TRAIN_TEXT.npy');
        const m = readEmbeddingMatrix(memPath, { dim: D });
        memory = m.data;
        const size = args.memorySize;
        if (size !== undefined && size < m.n) {
          const pick = new Rng(args.seed).fork('decap-memory').permutation(m.n).slice(0, size);
          memory = new Float32Array(size * D);
          pick.forEach((r, i) => memory!.set(m.data.subarray(r * D, (r + 1) * D), i * D));
        }
      }
      if (treatment === 'mean' && !imPath) throw new DbridgeError('--treatment mean needs --image-mean IMAGE_MEAN.npy');
      const treated = await applyTestTreatment(data, D, {
        treatment, memory, temperature: args.temperature,
        imageMean: treatment === 'mean' ? readVector(imPath!, D, 'the image mean') : undefined,
        ...(treatment === 'decap' ? decoderTextSpace(decoder) : {}),
      });
      const res = await generate(decoder, treated, {
        method: args.method, beamSize: args.beamSize, maxTokens: args.maxTokens,
        stopAtPeriod: Boolean(args.stopAtPeriod), batchSize: args.batchSize, progress: !args.quiet,
      });
      writeCocoResults(args.output, ids, res.captions);
      const s = (Date.now() - t0) / 1000;
      console.log(`captioned ${n} embeddings (${treatment}${args.diffusion ? `, M ${args.M}` : ''}, ${args.method}) in ${s.toFixed(1)} s ` +
        `(${(n / Math.max(s, 1e-9)).toFixed(1)} captions/s) -> ${args.output}; e.g. "${res.captions[0] ?? ''}"`);
    } finally {
      decoder.dispose();
    }
  },
});
export default spec;
