// Renders a sound scene (scene.ts) to mono samples. Each kind has its own spectrum and envelope:
//   beep     a sine with a 5 ms attack and 15 ms release
//   hum      a low sawtooth-like stack of 6 harmonics (1/h), slow amplitude wobble
//   whistle  a sine sweeping over a factor 2.4 (up for rising, down for falling), light vibrato
//   knock    a damped sine at the knock's frequency plus a very short noise click
//   static   high-passed white noise (first difference) with 10 ms fades
//   bell     four inharmonic partials (1, 2.76, 5.40, 8.93) with exponential decays
//   buzz     a band-limited square wave (odd harmonics below Nyquist)
// Every occurrence is scaled to the event's peak amplitude (LOUDNESS_AMP); the room adds two
// echoes (90 and 210 ms) when it is 'echo'; the noise floor adds white noise at 0.008 when 'hiss'.
// The mix is scaled down if it would clip. Deterministic from the scene (noise from its noiseSeed).
import { Rng } from '../../util/rng.ts';
import { type SoundEvent, type SoundScene, onsets } from './scene.ts';
import { LOUDNESS_AMP } from './domains.ts';

/** The sound world's sampling rate (Hz): enough for its sources (all below 4 kHz), cheap to render and analyse. */
export const SOUND_SAMPLE_RATE = 8000;

const TWO_PI = 2 * Math.PI;

/** Linear attack and release (seconds) on a buffer of n samples. */
function envelope(n: number, sr: number, attack: number, release: number): Float32Array {
  const env = new Float32Array(n);
  const a = Math.max(1, Math.round(attack * sr)), r = Math.max(1, Math.round(release * sr));
  for (let i = 0; i < n; i++) env[i] = Math.min(1, i / a, (n - 1 - i) / r);
  return env;
}

/** One occurrence of `e`, peak-normalised to 1. */
function occurrence(e: SoundEvent, sr: number, rng: Rng): Float32Array {
  const n = Math.max(1, Math.round(e.duration * sr));
  const x = new Float32Array(n);
  const f = e.freq, nyq = sr / 2;
  switch (e.kind) {
    case 'beep': {
      const env = envelope(n, sr, 0.005, 0.015);
      for (let i = 0; i < n; i++) x[i] = Math.sin(TWO_PI * f * i / sr) * env[i];
      break;
    }
    case 'hum': {
      const env = envelope(n, sr, 0.04, 0.06);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let h = 1; h <= 6 && h * f < nyq; h++) s += Math.sin(TWO_PI * h * f * i / sr) / h;
        x[i] = s * env[i] * (1 + 0.12 * Math.sin(TWO_PI * 4 * i / sr));
      }
      break;
    }
    case 'whistle': {
      const env = envelope(n, sr, 0.02, 0.03);
      const ratio = 2.4;
      let phase = 0;
      for (let i = 0; i < n; i++) {
        const u = i / n;
        const g = e.direction === 'falling' ? ratio ** (1 - u) : ratio ** u;
        phase += TWO_PI * f * g * (1 + 0.01 * Math.sin(TWO_PI * 6 * i / sr)) / sr;
        x[i] = Math.sin(phase) * env[i];
      }
      break;
    }
    case 'knock': {
      for (let i = 0; i < n; i++) {
        const t = i / sr;
        x[i] = 0.7 * Math.sin(TWO_PI * f * t) * Math.exp(-t / 0.012) + 0.5 * rng.normal() * Math.exp(-t / 0.004);
      }
      break;
    }
    case 'static': {
      const env = envelope(n, sr, 0.01, 0.01);
      let prev = 0;
      for (let i = 0; i < n; i++) { const w = rng.normal(); x[i] = (w - prev) * env[i]; prev = w; }
      break;
    }
    case 'bell': {
      const partials = [[1, 1, 0.3], [2.76, 0.6, 0.18], [5.4, 0.35, 0.1], [8.93, 0.2, 0.06]];
      const env = envelope(n, sr, 0.002, 0.03);
      for (let i = 0; i < n; i++) {
        const t = i / sr;
        let s = 0;
        for (const [m, a, tau] of partials) if (m * f < nyq) s += a * Math.sin(TWO_PI * m * f * t) * Math.exp(-t / tau);
        x[i] = s * env[i];
      }
      break;
    }
    case 'buzz': {
      const env = envelope(n, sr, 0.01, 0.015);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 1; k * f < nyq; k += 2) s += Math.sin(TWO_PI * k * f * i / sr) / k;
        x[i] = s * env[i];
      }
      break;
    }
  }
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(x[i]));
  if (peak > 0) for (let i = 0; i < n; i++) x[i] /= peak;
  return x;
}

/** The scene as mono float samples in [-1, 1] at `sampleRate` (default SOUND_SAMPLE_RATE). */
export function renderSoundScene(scene: SoundScene, sampleRate = SOUND_SAMPLE_RATE): Float32Array {
  const sr = sampleRate;
  const N = Math.round(scene.seconds * sr);
  const dry = new Float32Array(N);
  const root = new Rng(scene.noiseSeed);
  scene.events.forEach((e, ei) => {
    const amp = LOUDNESS_AMP[e.loudness];
    onsets(e).forEach((t0, k) => {
      const occ = occurrence(e, sr, root.fork(`${ei}/${k}`));
      const o = Math.round(t0 * sr);
      for (let i = 0; i < occ.length && o + i < N; i++) dry[o + i] += amp * occ[i];
    });
  });
  const y = new Float32Array(dry);
  if (scene.room === 'echo') {
    for (const [delay, gain] of [[0.09, 0.35], [0.21, 0.18]]) {
      const d = Math.round(delay * sr);
      for (let i = d; i < N; i++) y[i] += gain * dry[i - d];
    }
  }
  if (scene.floor === 'hiss') {
    const r = root.fork('floor');
    for (let i = 0; i < N; i++) y[i] += 0.008 * r.normal();
  }
  let peak = 0;
  for (let i = 0; i < N; i++) peak = Math.max(peak, Math.abs(y[i]));
  if (peak > 0.98) for (let i = 0; i < N; i++) y[i] *= 0.98 / peak;
  return y;
}
