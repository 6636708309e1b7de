// The real path of the audio table: CLAP through transformers.js (the tiny random CLAP fixture,
// test/fixtures/clap_tiny) on AudioCaps-format data (the sound world's CSVs and WAVs, which are in
// that format), through the same AudioPipeline stages `reproduce --dataset audiocaps` runs:
// embedding with CLAP (audio.npy), Diffusion Bridge, Diffusion-Link, DiffGAP both ways, the gap
// panel, retrieval and one captioning row. The tiny CLAP is random, so only the plumbing is judged:
// shapes, the encoder recorded, finite numbers, and that a missing model or file is reported clearly.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, setupBackend, tmpDir } from '../helpers.ts';
import { generateSoundWorld } from '../../lib/world/sound/generate.ts';
import { resolveAudioConfig, type AudioExperimentConfig } from '../../lib/experiments/audio-config.ts';
import { AudioPipeline } from '../../lib/experiments/audio-pipeline.ts';
import { AUDIO_CAPTIONING } from '../../lib/experiments/audio-tables.ts';
import { runAudioGap, runAudioRetrieval, testViews } from '../../lib/experiments/audio-run.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

function tinyConfig(world: string): AudioExperimentConfig {
  const cfg = resolveAudioConfig({ dataset: 'audiocaps', scale: 'smoke', clapModel: join(FIXTURES, 'clap_tiny') });
  cfg.audio.data = {
    captions: { train: join(world, 'audiocaps', 'train.csv'), val: join(world, 'audiocaps', 'val.csv'), test: join(world, 'audiocaps', 'test.csv') },
    audio: join(world, 'audio', '{split}'), fileTemplate: '{youtube_id}.wav',
  };
  cfg.diffusion = { ...cfg.diffusion, steps: 30, denoiser: { kind: 'resmlp', width: 32, blocks: 3, timeDim: 16 } };
  cfg.decoder = { ...cfg.decoder, epochs: 1 };
  cfg.decapMemory = 20;
  cfg.audio.diffgap.sampling = { steps: 3, guidance: 0 };
  return cfg;
}

describe('audio table on CLAP (transformers.js, tiny fixture) and AudioCaps-format data', () => {
  let world: string;
  before(async () => {
    await setupBackend();
    world = join(tmpDir(), 'as-audiocaps');
    generateSoundWorld({ scale: 'smoke', seed: 4, outDir: world, sizes: { pretrain: 1, train: 16, val: 4, test: 6 }, quiet: true });
  });

  it('embeds with CLAP, bridges three ways, and fills the gap, retrieval and a captioning row', async () => {
    const cfg = tinyConfig(world);
    const p = new AudioPipeline(cfg, join(tmpDir(), 'cache'), () => undefined);
    const emb = await p.embeddings('audiocaps');
    const meta = JSON.parse(readFileSync(join(emb.output.dir, 'meta.json'), 'utf8'));
    assert.equal(meta.encoder, 'clap:clap_tiny');
    assert.equal(meta.modality, 'audio');
    assert.deepEqual(readNpy(join(emb.output.dir, 'test', 'audio.npy')).shape, [6, 16]);
    assert.deepEqual(readNpy(join(emb.output.dir, 'train', 'text.npy')).shape, [80, 16]);
    const ctx = { cfg, backend: 'wasm', outDir: join(tmpDir(), 'out') };
    const views = await testViews(p);
    const gap = await runAudioGap(p, ctx, views);
    const ret = await runAudioRetrieval(p, ctx, views);
    assert.deepEqual(gap.rows.map((r) => r.id), ['raw', 'mean-removed', 'DiffusionBridge', 'DiffusionLink', 'DiffGAP']);
    for (const r of [...gap.rows, ...ret.rows]) for (const [k, v] of Object.entries(r.ours)) assert.ok(v !== null && Number.isFinite(v), `${r.id} ${k} = ${v}`);
    assert.match(gap.title, /AudioCaps/);
    const link = AUDIO_CAPTIONING.runs.find((r) => r.row === 'DiffusionLink')!;
    const sc = await p.scores('audiocaps', 'audiocaps', link as never);
    assert.equal(sc.output.numImages, 6);
    assert.ok(Number.isFinite(sc.output.corpus.CIDEr!));
  });

  it('says clearly what is missing', async () => {
    const cfg = tinyConfig(world);
    cfg.audio.encoder = { kind: 'clap', model: join(tmpDir(), 'no-such-clap') };
    await assert.rejects(() => new AudioPipeline(cfg, join(tmpDir(), 'c2'), () => undefined).embeddings('audiocaps'), (e: Error) => e instanceof DbridgeError && /CLAP model not found/.test(e.message));
    const cfg2 = tinyConfig(world);
    cfg2.audio.data!.captions.test = join(world, 'nope.csv');
    await assert.rejects(() => new AudioPipeline(cfg2, join(tmpDir(), 'c3'), () => undefined).embeddings('audiocaps'), /test captions not found/);
    const cfg3 = tinyConfig(world);
    cfg3.audio.data!.audio = join(world, 'audio');
    await assert.rejects(() => new AudioPipeline(cfg3, join(tmpDir(), 'c4'), () => undefined).embeddings('audiocaps'), /audio files are missing/);
  });
});
