// Audio path: AudioCaps / Clotho caption CSVs, WAV decoding, resampling, CLAP parity on the tiny CLAP
// fixture (made with Python transformers), and the CLAP encoder's input/shape handling with stand-in towers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { FIXTURES, tmpDir, maxAbsDiff } from '../helpers.ts';
import { parseCsv, loadAudioCaptions, decodeWav, encodeWav16, readWav, resample } from '../../lib/data/audiocaps.ts';
import { ClapEncoder, loadClapEncoder, padClip, type ClapTowers } from '../../lib/encoders/clap.ts';
import { readNpy } from '../../lib/io/npy.ts';
import { toFloat32 } from '../../lib/io/dtype.ts';
import { embedDataset } from '../../lib/embed/embed.ts';
import { audioEmbedSplits, audioFolderLoader } from '../../lib/embed/sources.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

test('CSV parser: quotes, escaped quotes, commas and newlines in fields, CRLF, BOM', () => {
  const rows = parseCsv('\ufeffa,b,c\r\n1,"x, ""y""",3\n"multi\nline",,z\n');
  assert.deepEqual(rows, [['a', 'b', 'c'], ['1', 'x, "y"', '3'], ['multi\nline', '', 'z']]);
  assert.throws(() => parseCsv('a,"b\n'), /unterminated quoted field/);
  assert.throws(() => parseCsv('a,"b"c\n'), /line 1: text after a closing quote/);
});

test('AudioCaps CSV: rows grouped per clip in first-appearance order; Clotho CSV: five captions per row', () => {
  const dir = tmpDir();
  writeFileSync(join(dir, 'val.csv'), [
    'audiocap_id,youtube_id,start_time,caption',
    '97151,vfY_TJq7n_U,130,"Rustling occurs, ducks quack and water splashes, followed by an adult female and adult male speaking"',
    '97152,vfY_TJq7n_U,130,Ducks quack while water splashes',
    '108945,AJtNitYMa1I,30,A man speaks as a vehicle engine idles',
    '97153,vfY_TJq7n_U,130,"Water splashing, ducks quacking and people talking"',
  ].join('\n'));
  const ac = loadAudioCaptions(join(dir, 'val.csv'));
  assert.equal(ac.format, 'audiocaps');
  assert.deepEqual(ac.clips.map((c) => [c.id, c.file, c.captions.length]), [['vfY_TJq7n_U_130', 'vfY_TJq7n_U.wav', 3], ['AJtNitYMa1I_30', 'AJtNitYMa1I.wav', 1]]);
  assert.equal(ac.clips[0].captions[0], 'Rustling occurs, ducks quack and water splashes, followed by an adult female and adult male speaking');
  assert.equal(loadAudioCaptions(join(dir, 'val.csv'), { fileTemplate: 'Y{youtube_id}_{start_time}.wav' }).clips[1].file, 'YAJtNitYMa1I_30.wav');
  writeFileSync(join(dir, 'clotho.csv'), 'file_name,caption_1,caption_2,caption_3,caption_4,caption_5\n' +
    'Distorted AM Radio noise.wav,A radio dial being tuned.,"Static, then a voice.",Radio static hums.,A person tunes a radio.,Noise from a radio.\n');
  const cl = loadAudioCaptions(join(dir, 'clotho.csv'));
  assert.equal(cl.format, 'clotho');
  assert.deepEqual(cl.clips[0], { id: 'Distorted AM Radio noise.wav', file: 'Distorted AM Radio noise.wav', captions: ['A radio dial being tuned.', 'Static, then a voice.', 'Radio static hums.', 'A person tunes a radio.', 'Noise from a radio.'] });
  const bad: [string, RegExp][] = [
    ['x,y\n1,2\n', /unknown caption CSV header 'x,y'/],
    ['audiocap_id,youtube_id,start_time,caption\n1,abc,0\n', /row 2 has 3 fields, the header has 4/],
    ['audiocap_id,youtube_id,start_time,caption\n1,abc,zero,hi\n', /start_time 'zero' is not a number/],
    ['audiocap_id,youtube_id,start_time,caption\n1,abc,0, \n', /row 2 has an empty caption/],
    ['file_name,caption_1,caption_2\na.wav,x,\n', /\(a\.wav\) has an empty caption_2/],
    ['file_name,caption_1\na.wav,x\na.wav,y\n', /row 3 repeats file_name a\.wav/],
    ['audiocap_id,youtube_id,start_time,caption\n', /no caption rows/],
  ];
  for (const [text, re] of bad) {
    writeFileSync(join(dir, 'bad.csv'), text);
    assert.throws(() => loadAudioCaptions(join(dir, 'bad.csv')), (e: Error) => e instanceof DbridgeError && re.test(e.message), String(re));
  }
  assert.throws(() => loadAudioCaptions(join(dir, 'none.csv')), /caption file not found/);
});

test('WAV: 16-bit round trip, stereo down-mix, float and 24-bit, errors', () => {
  const clip = { sampleRate: 16000, samples: Float32Array.from({ length: 100 }, (_, i) => Math.sin(i / 5) * 0.5) };
  const back = decodeWav(encodeWav16(clip));
  assert.equal(back.sampleRate, 16000);
  assert.ok(back.samples.every((v, i) => Math.abs(v - clip.samples[i]) < 1 / 32768 + 1e-7));
  // hand-built stereo float32 and mono 24-bit files
  const wav = (format: number, channels: number, bits: number, body: Uint8Array) => {
    const out = new Uint8Array(44 + body.length), dv = new DataView(out.buffer);
    const put = (o: number, s: string) => { for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i); };
    put(0, 'RIFF'); dv.setUint32(4, 36 + body.length, true); put(8, 'WAVE'); put(12, 'fmt '); dv.setUint32(16, 16, true);
    dv.setUint16(20, format, true); dv.setUint16(22, channels, true); dv.setUint32(24, 8000, true);
    dv.setUint32(28, 8000 * channels * bits / 8, true); dv.setUint16(32, channels * bits / 8, true); dv.setUint16(34, bits, true);
    put(36, 'data'); dv.setUint32(40, body.length, true); out.set(body, 44);
    return out;
  };
  const st = new Float32Array([0.5, -0.5, 1, 0]);
  assert.deepEqual([...decodeWav(wav(3, 2, 32, new Uint8Array(st.buffer))).samples], [0, 0.5]);
  assert.deepEqual([...decodeWav(wav(1, 1, 24, new Uint8Array([0, 0, 0x40, 0, 0, 0xc0]))).samples], [0.5, -0.5]);
  assert.throws(() => decodeWav(new Uint8Array(20), 'x.wav'), /x\.wav: not a supported WAV file: missing the RIFF\/WAVE header/);
  assert.throws(() => decodeWav(wav(2, 1, 4, new Uint8Array(4)), 'adpcm.wav'), /format 2 with 4 bits/);
  assert.throws(() => readWav('/nonexistent.wav'), /audio file not found/);
});

test('resampling matches librosa soxr_hq on tones below 12 kHz (44.1 -> 48 and 16 kHz)', () => {
  const dir = join(FIXTURES, 'clap_tiny', 'reference', 'resample');
  const clip = readWav(join(dir, 'tones_44100.wav'));
  assert.equal(clip.sampleRate, 44100);
  for (const rate of [48000, 16000]) {
    const ref = toFloat32(readNpy(join(dir, `soxr_hq_${rate}.npy`)));
    const y = resample(clip, rate).samples;
    assert.equal(y.length, ref.length, `length at ${rate}`);
    const edge = 200; // both filters see the clip's ends differently
    const d = maxAbsDiff(y.subarray(edge, y.length - edge), ref.subarray(edge, ref.length - edge));
    assert.ok(d < 1e-4, `resampling to ${rate}: max diff ${d}`);
  }
});

test('resampling keeps a low tone and its length ratio', () => {
  const from = 16000, to = 48000, f = 440;
  const clip = { sampleRate: from, samples: Float32Array.from({ length: 1600 }, (_, i) => Math.sin(2 * Math.PI * f * i / from)) };
  const up = resample(clip, to);
  assert.equal(up.samples.length, 4800);
  let err = 0;
  for (let i = 600; i < 4200; i++) err = Math.max(err, Math.abs(up.samples[i] - Math.sin(2 * Math.PI * f * i / to)));
  assert.ok(err < 5e-3, `upsampling error ${err}`);
  const down = resample(up, from);
  let err2 = 0;
  for (let i = 200; i < 1400; i++) err2 = Math.max(err2, Math.abs(down.samples[i] - clip.samples[i]));
  assert.ok(err2 < 5e-3, `round trip error ${err2}`);
  assert.equal(resample(clip, from), clip);
});

function standIn(dim: number, rate = 48000, max = 480000): ClapTowers & { seen: Float32Array[][] } {
  const seen: Float32Array[][] = [];
  return {
    sampleRate: rate, maxSamples: max, seen,
    text: async (c) => ({ text_embeds: { dims: [c.length, dim], data: new Float32Array(c.length * dim).fill(1) } }),
    audio: async (clips) => { seen.push(clips); return { audio_embeds: { dims: [clips.length, dim], data: Float32Array.from({ length: clips.length * dim }, (_, i) => i) } }; },
  };
}

test('CLAP encoder: resampling to the tower rate, deterministic truncation, shape and input checks', async () => {
  const towers = standIn(4, 48000, 4800);
  const enc = new ClapEncoder('clap:stand-in', 4, towers);
  const clip = { sampleRate: 16000, samples: new Float32Array(3200).fill(0.1) }; // 0.2 s -> 9600 samples at 48 kHz -> cut to 4800
  const out = await enc.encodeAudio([clip, { sampleRate: 48000, samples: new Float32Array(100) }]);
  assert.equal(out.length, 8);
  assert.deepEqual(towers.seen[0].map((a) => a.length), [4800, 4800]);
  // 'repeatpad' (Python's semantics): floor(4800/100) = 48 copies fill the window exactly
  assert.equal(towers.seen[0][1][4799], 0);
  const x = Float32Array.from({ length: 3 }, (_, i) => i + 1);
  assert.deepEqual([...padClip(x, 8, 'repeatpad')], [1, 2, 3, 1, 2, 3, 0, 0]);
  assert.deepEqual([...padClip(x, 8, 'repeat')], [1, 2, 3, 1, 2, 3, 1, 2]);
  assert.deepEqual([...padClip(x, 8, 'pad')], [1, 2, 3, 0, 0, 0, 0, 0]);
  assert.deepEqual([...padClip(x, 2)], [1, 2]);
  assert.equal((await enc.encodeText(['a dog barks'])).length, 4);
  await assert.rejects(enc.encodeAudio([{ sampleRate: 48000, samples: new Float32Array(0) }]), /clip 0 is empty/);
  await assert.rejects(enc.encodeAudio([{ sampleRate: 0, samples: new Float32Array(3) }]), /sample rate 0/);
  await assert.rejects(enc.encodeAudio([{ sampleRate: 48000, samples: Float32Array.of(0, NaN) }]), /sample 1 is NaN/);
  const wrong = new ClapEncoder('clap:wrong', 3, standIn(4));
  await assert.rejects(wrong.encodeText(['x']), /expected an output of shape \[1, 3\], got \[1, 4\]/);
  await assert.rejects(wrong.encodeAudio([{ sampleRate: 48000, samples: new Float32Array(10) }]), /expected an output of shape \[1, 3\], got \[1, 4\]/);
  const none = new ClapEncoder('clap:none', 4, { ...standIn(4), audio: async () => ({}) });
  await assert.rejects(none.encodeAudio([{ sampleRate: 48000, samples: new Float32Array(10) }]), /gave no output tensor/);
  assert.throws(() => new ClapEncoder('x', 0, standIn(4)), /positive integer/);
});

test('CLAP text and audio embeddings match the Python references to 1e-4', async () => {
  const dir = join(FIXTURES, 'clap_tiny'), ref = join(dir, 'reference');
  const enc = await loadClapEncoder(dir);
  assert.equal(enc.id, 'clap:clap_tiny');
  assert.equal(enc.dim, 16);
  const captions = JSON.parse(readFileSync(join(ref, 'captions.json'), 'utf8')) as string[];
  const text = await enc.encodeText(captions);
  const dText = maxAbsDiff(text, toFloat32(readNpy(join(ref, 'text_embeds.npy'))));
  const clips = ['clip0_tone.wav', 'clip1_sweep.wav'].map((f) => readWav(join(ref, 'audio', f)));
  const audio = await enc.encodeAudio(clips);
  const dAudio = maxAbsDiff(audio, toFloat32(readNpy(join(ref, 'audio_embeds.npy'))));
  console.log(`# CLAP parity vs python-torch: text ${dText.toExponential(2)}, audio ${dAudio.toExponential(2)}`);
  assert.ok(dText <= 1e-4, `text_embeds max abs diff ${dText}`);
  assert.ok(dAudio <= 1e-4, `audio_embeds max abs diff ${dAudio}`);
  const one = await enc.encodeAudio([clips[1]]);
  assert.ok(maxAbsDiff(one, audio.subarray(16, 32)) <= 1e-5);
  enc.dispose();
});

test('CLAP loader: folder checks and model type', async () => {
  await assert.rejects(loadClapEncoder('/nonexistent/clap'), /model folder not found/);
  const dir = tmpDir();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'clap', projection_dim: 512 }));
  await assert.rejects(loadClapEncoder(dir), /missing tokenizer\.json, tokenizer_config\.json, preprocessor_config\.json, onnx\/text_model\.onnx, onnx\/audio_model\.onnx/);
  // a CLIP folder is not a CLAP
  const clip = join(FIXTURES, 'clip_tiny');
  const d2 = tmpDir();
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json']) copyFileSync(join(clip, f), join(d2, f));
  mkdirSync(join(d2, 'onnx'));
  copyFileSync(join(clip, 'onnx', 'text_model.onnx'), join(d2, 'onnx', 'text_model.onnx'));
  writeFileSync(join(d2, 'onnx', 'audio_model.onnx'), '');
  await assert.rejects(loadClapEncoder(d2), /model_type 'clip', expected 'clap'/);
});

test('audio datasets go through the same embedding writer (modality audio)', async () => {
  const dir = tmpDir();
  const audio = join(dir, 'audio');
  mkdirSync(audio);
  writeFileSync(join(dir, 'train.csv'), 'file_name,caption_1,caption_2\na.wav,a dog barks,barking\nb.wav,rain falls,water drips\n');
  writeFileSync(join(dir, 'test.csv'), 'file_name,caption_1,caption_2\nc.wav,a car passes,engine noise\n');
  for (const [i, f] of ['a.wav', 'b.wav', 'c.wav'].entries()) {
    writeFileSync(join(audio, f), encodeWav16({ sampleRate: 16000, samples: Float32Array.from({ length: 800 }, (_, k) => Math.sin(k * (i + 1) / 10) * 0.3) }));
  }
  const enc = new ClapEncoder('clap:stand-in', 4, standIn(4));
  const splits = audioEmbedSplits([{ split: 'test', set: loadAudioCaptions(join(dir, 'test.csv')) }, { split: 'train', set: loadAudioCaptions(join(dir, 'train.csv')) }]);
  assert.deepEqual(splits.map((s) => s.name), ['train', 'test']);
  const out = join(dir, 'emb');
  await embedDataset({ outDir: out, encoder: enc, dataset: 'clotho', modality: 'audio', splits, loadMedia: audioFolderLoader(audio), progress: false });
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
  assert.equal(meta.modality, 'audio');
  assert.deepEqual(meta.counts, { train: { items: 2, captions: 4 }, test: { items: 1, captions: 2 } });
  const idx = JSON.parse(readFileSync(join(out, 'test', 'index.json'), 'utf8'));
  assert.deepEqual(idx.images, [{ image_id: 'c.wav', file: 'c.wav', text_rows: [0, 1] }]);
  // the clips' rows are in audio.npy, their train mean in audio_mean.npy (lib/embeddings/layout.ts)
  assert.deepEqual(readNpy(join(out, 'test', 'audio.npy')).shape, [1, 4]);
  assert.ok(existsSync(join(out, 'audio_mean.npy')) && !existsSync(join(out, 'test', 'image.npy')));
});

test('dbridge embed --dataset clotho with the tiny CLAP: per-subset audio folders, 44.1 kHz clips resampled', async () => {
  const { main } = await import('../../lib/cli/main.ts');
  const root = tmpDir();
  const audio = join(root, 'audio');
  for (const [subset, names] of [['development', ['a.wav', 'b.wav']], ['evaluation', ['c.wav']]] as const) {
    mkdirSync(join(audio, subset), { recursive: true });
    writeFileSync(join(root, `clotho_captions_${subset}.csv`), 'file_name,caption_1,caption_2\n' + names.map((n) => `${n},a sound ${n},another ${n}`).join('\n') + '\n');
    names.forEach((n, i) => writeFileSync(join(audio, subset, n), encodeWav16({ sampleRate: 44100, samples: Float32Array.from({ length: 4410 }, (_, k) => Math.sin(k * (i + 1) / 7) * 0.2) })));
  }
  const out = join(root, 'emb');
  await main(['embed', '--model', join(FIXTURES, 'clap_tiny'), '--dataset', 'clotho', '--audio', audio, '--out', out, '--backend', 'wasm', '--quiet',
    '--captions', `train=${join(root, 'clotho_captions_development.csv')},test=${join(root, 'clotho_captions_evaluation.csv')}`]);
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
  assert.equal(meta.encoder, 'clap:clap_tiny');
  assert.equal(meta.modality, 'audio');
  assert.deepEqual(meta.counts, { train: { items: 2, captions: 4 }, test: { items: 1, captions: 2 } });
  const idx = JSON.parse(readFileSync(join(out, 'test', 'index.json'), 'utf8'));
  assert.equal(idx.images[0].file, join('evaluation', 'c.wav'));
  const img = readNpy(join(out, 'train', 'audio.npy'));
  assert.deepEqual(img.shape, [2, 16]);
});
