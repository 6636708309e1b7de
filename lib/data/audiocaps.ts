// Audio-caption datasets for the audio path (CLAP): caption CSVs in the AudioCaps layout
// (`audiocap_id,youtube_id,start_time,caption`, one row per caption, grouped per clip) and the Clotho
// layout (`file_name,caption_1..caption_5`, one row per clip); WAV reading (PCM 8/16/24/32-bit, float
// 32/64, WAVE_FORMAT_EXTENSIBLE) down-mixed to mono; and a windowed-sinc resampler to the encoder's rate.
// Follows the CSVs as distributed by the AudioCaps (github.com/cdjkim/audiocaps) and Clotho (Zenodo)
// releases. Divergences: other audio formats (FLAC, MP3) are not decoded — convert them to WAV (see
// docs/realdata.md); resampling is a Hann-windowed sinc, not librosa's soxr: within 2e-5 of
// librosa.resample(res_type='soxr_hq') on content below 12 kHz, different only near the Nyquist frequency.
import { existsSync, readFileSync } from 'node:fs';
import { DbridgeError } from '../util/errors.ts';
import { requireFile } from '../util/fs.ts';
import type { AudioClip } from '../encoders/types.ts';

/** RFC 4180 CSV: quoted fields, "" escapes, commas and newlines inside quotes, CRLF, a UTF-8 BOM. */
export function parseCsv(text: string, name = '<csv>'): string[][] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let i = 0;
  let fieldStart = true;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++;
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new DbridgeError(`${name}: line ${line}: text after a closing quote`);
        }
        continue;
      }
      if (ch === '\n') line++;
      field += ch; i++;
      continue;
    }
    if (ch === '"' && fieldStart) { quoted = true; fieldStart = false; i++; continue; }
    if (ch === ',') { row.push(field); field = ''; fieldStart = true; i++; continue; }
    if (ch === '\r' || ch === '\n') {
      row.push(field); field = ''; fieldStart = true;
      if (!(row.length === 1 && row[0] === '')) rows.push(row);
      row = [];
      if (ch === '\r' && text[i + 1] === '\n') i++;
      i++; line++;
      continue;
    }
    field += ch; fieldStart = false; i++;
  }
  if (quoted) throw new DbridgeError(`${name}: unterminated quoted field at the end of the file`);
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

export interface AudioCaptionClip {
  id: string;
  /** Audio file path relative to the audio folder. */
  file: string;
  captions: string[];
}

export interface AudioCaptionSet {
  format: 'audiocaps' | 'clotho';
  file: string;
  clips: AudioCaptionClip[];
}

export interface AudioCaptionOptions {
  /** 'audiocaps', 'clotho' or 'auto' (from the header; default). */
  format?: 'audiocaps' | 'clotho' | 'auto';
  /** AudioCaps file naming: placeholders {youtube_id}, {start_time}, {audiocap_id}. Default '{youtube_id}.wav'. */
  fileTemplate?: string;
}

/** Reads an AudioCaps or Clotho caption CSV into clips with their captions, in first-appearance order. */
export function loadAudioCaptions(file: string, opts: AudioCaptionOptions = {}): AudioCaptionSet {
  requireFile(file, 'caption file');
  const rows = parseCsv(readFileSync(file, 'utf8'), file);
  if (rows.length < 2) throw new DbridgeError(`${file}: no caption rows (expected a header and at least one row)`);
  const header = rows[0].map((h) => h.trim());
  const col = (n: string) => header.indexOf(n);
  let format = opts.format ?? 'auto';
  if (format === 'auto') {
    if (col('youtube_id') >= 0 && col('caption') >= 0) format = 'audiocaps';
    else if (col('file_name') >= 0 && header.some((h) => /^caption_\d+$/.test(h))) format = 'clotho';
    else {
      throw new DbridgeError(
        `${file}: unknown caption CSV header '${header.join(',')}' (AudioCaps: audiocap_id,youtube_id,start_time,caption; ` +
          'Clotho: file_name,caption_1,...,caption_5)',
      );
    }
  }
  const clips: AudioCaptionClip[] = [];
  const body = rows.slice(1);
  if (format === 'audiocaps') {
    const iY = col('youtube_id'), iC = col('caption'), iS = col('start_time'), iA = col('audiocap_id');
    if (iY < 0 || iC < 0) throw new DbridgeError(`${file}: an AudioCaps CSV needs youtube_id and caption columns`);
    const template = opts.fileTemplate ?? '{youtube_id}.wav';
    const byKey = new Map<string, AudioCaptionClip>();
    body.forEach((r, i) => {
      const at = `${file}: row ${i + 2}`;
      if (r.length !== header.length) throw new DbridgeError(`${at} has ${r.length} fields, the header has ${header.length}`);
      const yt = r[iY].trim(), cap = r[iC].trim(), start = iS >= 0 ? r[iS].trim() : '';
      if (!yt) throw new DbridgeError(`${at} has an empty youtube_id`);
      if (!cap) throw new DbridgeError(`${at} has an empty caption`);
      if (iS >= 0 && start !== '' && !Number.isFinite(Number(start))) throw new DbridgeError(`${at}: start_time '${start}' is not a number`);
      const key = `${yt}@${start}`;
      let clip = byKey.get(key);
      if (!clip) {
        const fileName = template.replace(/\{youtube_id\}/g, yt).replace(/\{start_time\}/g, start).replace(/\{audiocap_id\}/g, iA >= 0 ? r[iA].trim() : '');
        clip = { id: start ? `${yt}_${start}` : yt, file: fileName, captions: [] };
        byKey.set(key, clip);
        clips.push(clip);
      }
      clip.captions.push(cap);
    });
  } else {
    const iF = col('file_name');
    const capCols = header.map((h, i) => (/^caption_\d+$/.test(h) ? i : -1)).filter((i) => i >= 0);
    if (iF < 0 || capCols.length === 0) throw new DbridgeError(`${file}: a Clotho CSV needs file_name and caption_N columns`);
    const seen = new Set<string>();
    body.forEach((r, i) => {
      const at = `${file}: row ${i + 2}`;
      if (r.length !== header.length) throw new DbridgeError(`${at} has ${r.length} fields, the header has ${header.length}`);
      const f = r[iF].trim();
      if (!f) throw new DbridgeError(`${at} has an empty file_name`);
      if (seen.has(f)) throw new DbridgeError(`${at} repeats file_name ${f}`);
      seen.add(f);
      const caps = capCols.map((c) => r[c].trim());
      const empty = caps.findIndex((c) => c.length === 0);
      if (empty >= 0) throw new DbridgeError(`${at} (${f}) has an empty ${header[capCols[empty]]}`);
      clips.push({ id: f, file: f, captions: caps });
    });
  }
  return { format, file, clips };
}

/** Decodes a RIFF/WAVE file into mono float samples in [-1, 1] (channels averaged). */
export function decodeWav(bytes: Uint8Array, name = '<wav>'): AudioClip {
  const bad = (why: string) => new DbridgeError(`${name}: not a supported WAV file: ${why} (convert with: ffmpeg -i IN -ac 1 -ar 48000 OUT.wav)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o: number) => String.fromCharCode(bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw bad('missing the RIFF/WAVE header');
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  let data: Uint8Array | null = null;
  let o = 12;
  while (o + 8 <= bytes.length) {
    const id = tag(o), size = dv.getUint32(o + 4, true);
    const body = o + 8;
    if (id === 'fmt ') {
      if (size < 16) throw bad('fmt chunk too short');
      let format = dv.getUint16(body, true);
      if (format === 0xfffe && size >= 40) format = dv.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE subformat
      fmt = { format, channels: dv.getUint16(body + 2, true), rate: dv.getUint32(body + 4, true), bits: dv.getUint16(body + 14, true) };
    } else if (id === 'data') {
      data = bytes.subarray(body, Math.min(bytes.length, body + size));
    }
    o = body + size + (size % 2);
  }
  if (!fmt) throw bad('no fmt chunk');
  if (!data) throw bad('no data chunk');
  const { format, channels, rate, bits } = fmt;
  if (channels < 1) throw bad(`${channels} channels`);
  if (rate <= 0) throw bad(`sample rate ${rate}`);
  const bps = bits / 8;
  if (!((format === 1 && [8, 16, 24, 32].includes(bits)) || (format === 3 && [32, 64].includes(bits)))) {
    throw bad(`format ${format} with ${bits} bits (supported: PCM 8/16/24/32, float 32/64)`);
  }
  const frames = Math.floor(data.length / (bps * channels));
  const ddv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = (p: number): number => {
    if (format === 3) return bits === 32 ? ddv.getFloat32(p, true) : ddv.getFloat64(p, true);
    switch (bits) {
      case 8: return (ddv.getUint8(p) - 128) / 128;
      case 16: return ddv.getInt16(p, true) / 32768;
      case 24: { const v = ddv.getUint8(p) | (ddv.getUint8(p + 1) << 8) | (ddv.getInt8(p + 2) << 16); return v / 8388608; }
      default: return ddv.getInt32(p, true) / 2147483648;
    }
  };
  const samples = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += read((f * channels + c) * bps);
    samples[f] = s / channels;
  }
  return { sampleRate: rate, samples };
}

export function readWav(path: string): AudioClip {
  if (!existsSync(path)) throw new DbridgeError(`audio file not found: ${path}`);
  return decodeWav(new Uint8Array(readFileSync(path)), path);
}

/** Writes mono float samples as 16-bit PCM WAV bytes (for fixtures and tests). */
export function encodeWav16(clip: AudioClip): Uint8Array {
  const n = clip.samples.length;
  const out = new Uint8Array(44 + 2 * n);
  const dv = new DataView(out.buffer);
  const put = (o: number, s: string) => { for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i); };
  put(0, 'RIFF'); dv.setUint32(4, 36 + 2 * n, true); put(8, 'WAVE');
  put(12, 'fmt '); dv.setUint32(16, 16, true); dv.setUint16(20, 1, true); dv.setUint16(22, 1, true);
  dv.setUint32(24, clip.sampleRate, true); dv.setUint32(28, clip.sampleRate * 2, true); dv.setUint16(32, 2, true); dv.setUint16(34, 16, true);
  put(36, 'data'); dv.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) dv.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(clip.samples[i] * 32768))), true);
  return out;
}

/**
 * Resamples with a Hann-windowed sinc (half-width `zeros` zero crossings of the lower of the two
 * Nyquist rates, so downsampling is anti-aliased). Same rate returns the input.
 */
export function resample(clip: AudioClip, rate: number, zeros = 16): AudioClip {
  if (!Number.isInteger(rate) || rate <= 0) throw new DbridgeError(`resample: target rate must be a positive integer, got ${rate}`);
  if (clip.sampleRate === rate) return clip;
  const x = clip.samples;
  const ratio = rate / clip.sampleRate;
  const n = Math.max(1, Math.ceil(x.length * ratio)); // librosa.resample's length (float quirks included)
  const cutoff = Math.min(1, ratio); // in units of the input Nyquist
  const half = zeros / cutoff; // half-width in input samples
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / ratio;
    const lo = Math.max(0, Math.ceil(t - half)), hi = Math.min(x.length - 1, Math.floor(t + half));
    let s = 0;
    for (let j = lo; j <= hi; j++) {
      const d = t - j;
      const arg = Math.PI * d * cutoff;
      const sinc = d === 0 ? 1 : Math.sin(arg) / arg;
      const w = 0.5 + 0.5 * Math.cos((Math.PI * d) / half);
      s += x[j] * sinc * w * cutoff;
    }
    out[i] = s;
  }
  return { sampleRate: rate, samples: out };
}
