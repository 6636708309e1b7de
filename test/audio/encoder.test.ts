// The sound world's dual encoder: it shares the image world's text tower (same parameters, same
// function), learns (loss falls, retrieval beats chance), resumes bit for bit, loads as an Encoder
// with encodeAudio (any rate: resampled; leak-free), and the CLI chain sound-world -> train-encoder
// -> embed writes the per-split layout with audio.npy.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoLeak, setupBackend, tmpDir } from '../helpers.ts';
import { generateSoundWorld, readSoundWorldEntries, renderSoundScene } from '../../lib/world/sound/index.ts';
import { loadSoundEncoder, readSoundClips, trainSoundEncoder } from '../../lib/world/sound/encoder.ts';
import { createSoundEncoderParams, DEFAULT_SOUND_ARCH } from '../../lib/world/sound/encoder-model.ts';
import { readSafetensors } from '../../lib/io/safetensors.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { resample } from '../../lib/data/audiocaps.ts';
import { main } from '../../lib/cli/main.ts';

const tiny = { dim: 16, width: 32, heads: 2, stemWidth: 16, audioLayers: 0, textLayers: 0 };

describe('sound world encoder', () => {
  let world: string;
  before(async () => {
    await setupBackend();
    world = join(tmpDir(), 'sound');
    generateSoundWorld({ scale: 'smoke', seed: 2, outDir: world, sizes: { pretrain: 300, train: 4, val: 4, test: 30 }, quiet: true });
  });

  it('has the image world\'s text tower: the same text.* parameters', () => {
    const arch = { ...DEFAULT_SOUND_ARCH, sampleRate: 8000, samples: 16000, vocab: [1, 2, 3] };
    const p = createSoundEncoderParams(arch, 0);
    try {
      const text = p.names().filter((n) => n.startsWith('text.'));
      assert.ok(text.includes('text.tok') && text.includes('text.proj') && text.includes('text.block0.qkv.w'));
      assert.ok(p.names().some((n) => n.startsWith('audio.')) && !p.names().some((n) => n.startsWith('image.')));
    } finally { p.dispose(); }
  });

  it('learns: loss falls and test retrieval beats chance; resumes bit for bit', async () => {
    const a = join(tmpDir(), 'enc-a');
    const r = await trainSoundEncoder({ worldDir: world, outDir: a, steps: 80, batchSize: 32, arch: tiny, quiet: true, checkpointEvery: 1000 });
    assert.ok(r.done && r.loss < Math.log(32) - 0.3, `loss ${r.loss} vs log(32) ${Math.log(32)}`);
    assert.ok(r.retrieval!.t2i.r5 > 5 * r.retrieval!.chance.t2i_r1, JSON.stringify(r.retrieval));
    // interrupted at 10 of 20 steps, then resumed: the same weights as straight through
    const whole = join(tmpDir(), 'enc-whole'), split = join(tmpDir(), 'enc-split');
    await trainSoundEncoder({ worldDir: world, outDir: whole, steps: 20, batchSize: 16, arch: tiny, quiet: true, evalSplit: 'none' });
    await trainSoundEncoder({ worldDir: world, outDir: split, steps: 20, batchSize: 16, arch: tiny, quiet: true, evalSplit: 'none', maxStepsThisRun: 10 });
    await assert.rejects(() => trainSoundEncoder({ worldDir: world, outDir: split, steps: 20, batchSize: 16, arch: tiny, quiet: true, evalSplit: 'none' }), /pass --resume/);
    await trainSoundEncoder({ worldDir: world, outDir: split, steps: 20, batchSize: 16, arch: tiny, quiet: true, evalSplit: 'none', resume: true });
    const w1 = readSafetensors(join(whole, 'weights.safetensors')).tensors, w2 = readSafetensors(join(split, 'weights.safetensors')).tensors;
    for (const [k, v] of w1) assert.deepEqual(w2.get(k)!.data, v.data, k);
  });

  it('loads as an Encoder: audio at any rate, deterministic, leak-free', async () => {
    const out = join(tmpDir(), 'enc-load');
    await trainSoundEncoder({ worldDir: world, outDir: out, steps: 5, batchSize: 16, arch: tiny, quiet: true, evalSplit: 'none' });
    const enc = await loadSoundEncoder(out);
    try {
      const entries = readSoundWorldEntries(world, 'dataset').filter((e) => e.split === 'test').slice(0, 3);
      const clips = readSoundClips(world, entries);
      const a = await assertNoLeak(() => enc.encodeAudio(clips), 'encodeAudio');
      assert.equal(a.length, 3 * 16);
      assert.deepEqual(await enc.encodeAudio(clips), a);
      // the same clip at 16 kHz is resampled to the encoder's 8 kHz: close to the original's embedding
      const up = await enc.encodeAudio([resample({ sampleRate: 8000, samples: renderSoundScene(entries[0].scene) }, 16000)]);
      let dot = 0, n1 = 0, n2 = 0;
      for (let j = 0; j < 16; j++) { dot += up[j] * a[j]; n1 += up[j] ** 2; n2 += a[j] ** 2; }
      assert.ok(dot / Math.sqrt(n1 * n2) > 0.98);
      const t = await assertNoLeak(() => enc.encodeText(['a high beep repeats twice', 'a low hum']), 'encodeText');
      assert.equal(t.length, 32);
      await assert.rejects(() => enc.encodeAudio([{ sampleRate: 8000, samples: new Float32Array(0) }]), /clip 0 has no samples/);
    } finally { enc.dispose(); }
  });

  it('CLI: sound-world, train-encoder and embed write audio.npy per split', async () => {
    const root = tmpDir();
    const w = join(root, 'w'), e = join(root, 'e'), emb = join(root, 'emb');
    await main(['sound-world', '--scale', 'smoke', '--out', w, '--pretrain', '40', '--train', '6', '--val', '3', '--test', '3', '--quiet']);
    assert.ok(existsSync(join(w, 'audiocaps', 'test.csv')));
    await main(['train-encoder', '--world', w, '--out', e, '--steps', '3', '--batch-size', '8', '--dim', '16', '--width', '32', '--quiet', '--backend', 'wasm']);
    assert.equal(JSON.parse(readFileSync(join(e, 'config.json'), 'utf8')).kind, 'sound-dual-encoder');
    await main(['embed', '--encoder', e, '--world', w, '--out', emb, '--quiet', '--backend', 'wasm']);
    const meta = JSON.parse(readFileSync(join(emb, 'meta.json'), 'utf8'));
    assert.equal(meta.modality, 'audio');
    assert.deepEqual(readNpy(join(emb, 'test', 'audio.npy')).shape, [3, 16]);
    assert.deepEqual(readNpy(join(emb, 'test', 'text.npy')).shape, [15, 16]);
    assert.ok(existsSync(join(emb, 'audio_mean.npy')));
  });
});
