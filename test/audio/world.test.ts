// The sound world: scenes keep their timing promises, the synthesiser gives each source its
// spectrum and loudness, the log-mel front end equals a direct DFT computation, and a generated
// world is read back by the real loaders (AudioCaps CSV + WAV, Karpathy JSON) unchanged.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../lib/util/rng.ts';
import {
  type SoundEvent, type SoundScene, LogMel, SOUND_SAMPLE_RATE, before, during, eventEnd, generateSoundWorld, melFilterbank,
  readSoundWorldEntries, renderSoundScene, sampleSoundScene,
} from '../../lib/world/sound/index.ts';
import { loadAudioCaptions, readWav } from '../../lib/data/audiocaps.ts';
import { loadKarpathy } from '../../lib/data/karpathy.ts';

const ev = (over: Partial<SoundEvent>): SoundEvent => ({
  kind: 'beep', pitch: 'high', loudness: 'loud', count: 1, tempo: null, direction: null, start: 0.2, duration: 0.3, gap: 0, freq: 2000, ...over,
});
const scene = (events: SoundEvent[], over: Partial<SoundScene> = {}): SoundScene => ({
  domain: 'a', events, layout: events.length > 1 ? 'sequence' : 'single', room: 'dry', floor: 'silent', seconds: 1, noiseSeed: 1, ...over,
});

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

/** Spectral centroid (Hz) by a direct DFT over the first 2048 samples with energy. */
function centroid(x: Float32Array, sr: number): number {
  const start = x.findIndex((v) => Math.abs(v) > 1e-3);
  const n = 1024;
  let num = 0, den = 0;
  for (let k = 1; k < n / 2; k++) {
    let re = 0, im = 0;
    for (let i = 0; i < n; i++) { const v = x[start + i] ?? 0; re += v * Math.cos(2 * Math.PI * k * i / n); im -= v * Math.sin(2 * Math.PI * k * i / n); }
    const p = re * re + im * im;
    num += p * k * sr / n; den += p;
  }
  return num / den;
}

describe('sound world scenes', () => {
  it('keep their order, overlap and clip-length promises', () => {
    let seq = 0, over = 0;
    for (const domain of ['a', 'b'] as const) for (let i = 0; i < 500; i++) {
      const s = sampleSoundScene(new Rng(7).fork(`${domain}${i}`), domain, 2);
      assert.equal(new Set(s.events.map((e) => e.kind)).size, s.events.length, 'a kind appears twice');
      for (const e of s.events) assert.ok(e.start >= 0 && eventEnd(e) <= s.seconds, `event outside the clip: ${JSON.stringify(e)}`);
      if (s.layout === 'sequence') { seq++; for (let k = 1; k < s.events.length; k++) assert.ok(before(s.events[k - 1], s.events[k])); }
      if (s.layout === 'overlap') { over++; assert.ok(during(s.events[0], s.events[1]) || during(s.events[1], s.events[0])); }
    }
    assert.ok(seq > 200 && over > 100, `sequences ${seq}, overlaps ${over}`);
  });
});

describe('sound synthesis', () => {
  it('is deterministic, within [-1, 1], and silent outside its events', () => {
    const s = scene([ev({ kind: 'static', pitch: null, start: 0.3, duration: 0.2 })]);
    const a = renderSoundScene(s), b = renderSoundScene(s);
    assert.deepEqual(a, b);
    assert.equal(a.length, SOUND_SAMPLE_RATE);
    assert.ok(a.every((v) => Math.abs(v) <= 1));
    assert.equal(rms(a.subarray(0, Math.round(0.29 * SOUND_SAMPLE_RATE))), 0);
    assert.ok(rms(a.subarray(Math.round(0.35 * SOUND_SAMPLE_RATE), Math.round(0.45 * SOUND_SAMPLE_RATE))) > 0.05);
  });

  it('makes loud louder than quiet, high higher than low, and counts occurrences', () => {
    const loud = renderSoundScene(scene([ev({ loudness: 'loud' })])), quiet = renderSoundScene(scene([ev({ loudness: 'quiet' })]));
    assert.ok(rms(loud) > 3 * rms(quiet));
    for (const kind of ['beep', 'bell', 'buzz'] as const) {
      const hi = renderSoundScene(scene([ev({ kind, freq: kind === 'buzz' ? 600 : 1100 })])), lo = renderSoundScene(scene([ev({ kind, freq: kind === 'buzz' ? 150 : 300 })]));
      assert.ok(centroid(hi, SOUND_SAMPLE_RATE) > 1.5 * centroid(lo, SOUND_SAMPLE_RATE), kind);
    }
    const three = renderSoundScene(scene([ev({ count: 3, duration: 0.1, gap: 0.1, tempo: 'slow' })]));
    let bursts = 0, on = false;
    for (let i = 0; i < three.length; i += 40) {
      const loudNow = rms(three.subarray(i, i + 40)) > 0.05;
      if (loudNow && !on) bursts++;
      on = loudNow;
    }
    assert.equal(bursts, 3);
    const echo = renderSoundScene(scene([ev({})], { room: 'echo' }));
    const at = Math.round((0.2 + 0.3 + 0.05) * SOUND_SAMPLE_RATE); // after the beep: only the echo sounds
    assert.ok(rms(echo.subarray(at, at + 200)) > 0.02 && rms(loud.subarray(at, at + 200)) === 0);
  });
});

describe('log-mel front end', () => {
  it('equals a direct DFT with the same window and filterbank', () => {
    const cfg = { sampleRate: 8000, samples: 1000, nFft: 256, hop: 128, mels: 16, fMin: 50 };
    const x = new Rng(3).normals(900); // shorter than `samples`: zero-padded
    const got = new LogMel(cfg).compute(x);
    const fb = melFilterbank(cfg);
    const frames = Math.floor((cfg.samples - cfg.nFft) / cfg.hop) + 1;
    assert.equal(got.length, frames * cfg.mels);
    for (let f = 0; f < frames; f++) {
      const power: number[] = [];
      for (let k = 0; k <= cfg.nFft / 2; k++) {
        let re = 0, im = 0;
        for (let i = 0; i < cfg.nFft; i++) {
          const v = (x[f * cfg.hop + i] ?? 0) * (0.5 - 0.5 * Math.cos(2 * Math.PI * i / cfg.nFft));
          re += v * Math.cos(2 * Math.PI * k * i / cfg.nFft); im -= v * Math.sin(2 * Math.PI * k * i / cfg.nFft);
        }
        power.push(re * re + im * im);
      }
      for (let m = 0; m < cfg.mels; m++) {
        const e = fb[m].reduce((s, w, k) => s + w * power[k], 0);
        assert.ok(Math.abs(got[f * cfg.mels + m] - (Math.log(e + 1e-6) + 6) / 4) < 1e-5, `frame ${f} mel ${m}`);
      }
    }
  });
});

describe('sound world generator', () => {
  it('writes WAV, AudioCaps CSV and Karpathy JSON that the real loaders read back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbridge-sound-'));
    try {
      const meta = generateSoundWorld({ scale: 'smoke', outDir: dir, sizes: { pretrain: 6, train: 5, val: 3, test: 4 }, quiet: true });
      assert.deepEqual(meta.counts.test, { clips: 4, captions: 20 });
      const entries = readSoundWorldEntries(dir, 'dataset');
      const test = entries.filter((e) => e.split === 'test');
      const csv = loadAudioCaptions(join(dir, 'audiocaps', 'test.csv'));
      assert.equal(csv.format, 'audiocaps');
      assert.deepEqual(csv.clips.map((c) => c.captions), test.map((e) => e.sentences.map((s) => s.raw)));
      const clip = readWav(join(dir, 'audio', 'test', csv.clips[0].file));
      assert.equal(clip.sampleRate, SOUND_SAMPLE_RATE);
      const fresh = renderSoundScene(test[0].scene);
      assert.equal(clip.samples.length, fresh.length);
      // the stored scene re-renders to the stored audio (up to 16-bit quantisation and the scene's 1e-4 s rounding)
      assert.ok(rms(clip.samples) > 0.01 && Math.abs(rms(clip.samples) - rms(fresh)) < 0.01 * rms(fresh));
      const ds = loadKarpathy(join(dir, 'dataset_sound.json'), { dataset: 'sound' });
      assert.equal(ds.images.filter((im) => im.split === 'train').length, 5);
      assert.ok(existsSync(join(dir, ds.images[0].file)));
      // reuse: same settings do not regenerate
      assert.equal(generateSoundWorld({ scale: 'smoke', outDir: dir, sizes: { pretrain: 6, train: 5, val: 3, test: 4 }, quiet: true }).created, meta.created);
      assert.throws(() => generateSoundWorld({ scale: 'huge', outDir: dir }), /unknown sound world scale 'huge'/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
