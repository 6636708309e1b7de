// The log-mel front end of the sound world's encoder (the input CLAP's audio towers also take):
// a Hann-windowed STFT (nFft samples, hop samples, no centring, the clip zero-padded or cut to a
// fixed length first), the power spectrum, an HTK-mel triangular filterbank (fMin to Nyquist, no
// area normalisation), then log(power + 1e-6) mapped to about unit range by a fixed affine map
// (LOG_OFFSET, LOG_SCALE), not per clip, so loudness stays visible to the tower.
// Divergences from librosa/CLAP: no centring or reflection padding, a plain radix-2 FFT in
// float64, fixed normalisation constants instead of dataset statistics.
import { DbridgeError } from '../../util/errors.ts';

export interface LogMelConfig {
  sampleRate: number;
  /** Samples each clip is padded or cut to before the STFT. */
  samples: number;
  /** FFT size (a power of two). */
  nFft: number;
  hop: number;
  mels: number;
  fMin: number;
}

const LOG_OFFSET = -6;
const LOG_SCALE = 4;

/** Number of STFT frames for a config. */
export function frameCount(c: LogMelConfig): number {
  return Math.floor((c.samples - c.nFft) / c.hop) + 1;
}

const hzToMel = (f: number) => 2595 * Math.log10(1 + f / 700);
const melToHz = (m: number) => 700 * (10 ** (m / 2595) - 1);

/** Triangular HTK-mel filters [mels][nFft/2 + 1]. */
export function melFilterbank(c: Pick<LogMelConfig, 'sampleRate' | 'nFft' | 'mels' | 'fMin'>): Float64Array[] {
  const bins = c.nFft / 2 + 1;
  const lo = hzToMel(c.fMin), hi = hzToMel(c.sampleRate / 2);
  const edges = Array.from({ length: c.mels + 2 }, (_, i) => melToHz(lo + (hi - lo) * i / (c.mels + 1)));
  const binHz = (k: number) => k * c.sampleRate / c.nFft;
  return Array.from({ length: c.mels }, (_, m) => {
    const w = new Float64Array(bins);
    const [a, b, d] = [edges[m], edges[m + 1], edges[m + 2]];
    for (let k = 0; k < bins; k++) {
      const f = binHz(k);
      w[k] = Math.max(0, Math.min((f - a) / (b - a), (d - f) / (d - b)));
    }
    return w;
  });
}

/** Bit-reversal permutation and twiddles of a radix-2 FFT of size n (computed once per extractor). */
interface FftPlan { n: number; rev: Uint32Array; cos: Float64Array; sin: Float64Array }

function fftPlan(n: number): FftPlan {
  const bits = Math.log2(n);
  const rev = new Uint32Array(n);
  for (let i = 0; i < n; i++) { let r = 0; for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b); rev[i] = r; }
  const cos = new Float64Array(n / 2), sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) { cos[k] = Math.cos(-2 * Math.PI * k / n); sin[k] = Math.sin(-2 * Math.PI * k / n); }
  return { n, rev, cos, sin };
}

/** In-place iterative radix-2 FFT of (re, im), already in bit-reversed order. */
function fft(plan: FftPlan, re: Float64Array, im: Float64Array): void {
  const n = plan.n;
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1, step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const a = i + k, b = a + half;
        const cr = plan.cos[k * step], ci = plan.sin[k * step];
        const tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
      }
    }
  }
}

/** A reusable log-mel extractor (filterbank and window computed once). */
export class LogMel {
  readonly frames: number;
  /** Each mel filter as its first bin and weights (the non-zero span only). */
  private readonly filters: { k0: number; w: Float64Array }[];
  private readonly window: Float64Array;
  private readonly plan: FftPlan;

  constructor(readonly config: LogMelConfig) {
    const { nFft, hop, mels, samples } = config;
    if (!Number.isInteger(nFft) || nFft < 8 || (nFft & (nFft - 1)) !== 0) throw new DbridgeError(`log-mel: nFft must be a power of two >= 8, got ${nFft}`);
    if (!Number.isInteger(hop) || hop < 1) throw new DbridgeError(`log-mel: hop must be a positive integer, got ${hop}`);
    if (!Number.isInteger(mels) || mels < 1) throw new DbridgeError(`log-mel: mels must be a positive integer, got ${mels}`);
    if (!Number.isInteger(samples) || samples < nFft) throw new DbridgeError(`log-mel: clips of ${samples} samples are shorter than one FFT window (${nFft})`);
    this.frames = frameCount(config);
    this.filters = melFilterbank(config).map((w) => {
      let k0 = 0, k1 = w.length;
      while (k0 < k1 && w[k0] === 0) k0++;
      while (k1 > k0 && w[k1 - 1] === 0) k1--;
      return { k0, w: w.slice(k0, k1) };
    });
    this.window = Float64Array.from({ length: nFft }, (_, i) => 0.5 - 0.5 * Math.cos(2 * Math.PI * i / nFft)); // periodic Hann
    this.plan = fftPlan(nFft);
  }

  /** Features [frames, mels] (row-major) of one clip at config.sampleRate, written into `out` at `offset`. */
  compute(samples: Float32Array, out = new Float32Array(this.frames * this.config.mels), offset = 0): Float32Array {
    const { nFft, hop, mels } = this.config;
    const bins = nFft / 2 + 1;
    const { rev } = this.plan;
    const re = new Float64Array(nFft), im = new Float64Array(nFft), power = new Float64Array(bins);
    for (let f = 0; f < this.frames; f++) {
      const s0 = f * hop;
      for (let i = 0; i < nFft; i++) { const j = s0 + i; re[rev[i]] = (j < samples.length ? samples[j] : 0) * this.window[i]; im[i] = 0; }
      fft(this.plan, re, im);
      for (let k = 0; k < bins; k++) power[k] = re[k] * re[k] + im[k] * im[k];
      for (let m = 0; m < mels; m++) {
        const { k0, w } = this.filters[m];
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k] * power[k0 + k];
        out[offset + f * mels + m] = (Math.log(s + 1e-6) - LOG_OFFSET) / LOG_SCALE;
      }
    }
    return out;
  }
}
