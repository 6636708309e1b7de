// GPT-2 byte-level BPE through `js-tiktoken` (encoding 'gpt2'; the ranks ship inside the npm package,
// no network), and the optional compact vocabulary: the GPT-2 ids that occur in a caption corpus,
// renumbered 0..V-1, so a small decoder trained from scratch needs no 50257-row output projection.
// Tokenisation itself is never changed: text -> GPT-2 ids (exact, as transformers' GPT2Tokenizer),
// then GPT-2 ids -> compact ids by a lookup. Follows ClipCap/C3: no BOS/EOS is added to captions.
import { getEncoding, type Tiktoken } from 'js-tiktoken';
import { DbridgeError } from '../util/errors.ts';

export const GPT2_VOCAB_SIZE = 50257;
export const GPT2_EOS = 50256;

let enc: Tiktoken | null = null;
function encoder(): Tiktoken {
  if (!enc) enc = getEncoding('gpt2');
  return enc;
}

/** GPT-2 ids of `text` (special tokens are treated as plain text, as GPT2Tokenizer.encode does for captions). */
export function gpt2Encode(text: string): number[] {
  return encoder().encode(text, [], []);
}

/** Text of GPT-2 ids. */
export function gpt2Decode(ids: readonly number[]): string {
  return encoder().decode(ids as number[]);
}

/**
 * The token set a model's embedding table covers. `ids` null = the full GPT-2 vocabulary (model id =
 * GPT-2 id); otherwise model id i stands for GPT-2 id ids[i] (ids sorted ascending, unique).
 */
export class Vocab {
  readonly size: number;
  private readonly toModel: Map<number, number> | null;

  constructor(readonly ids: number[] | null) {
    if (ids) {
      for (let i = 1; i < ids.length; i++) if (!(ids[i] > ids[i - 1])) throw new DbridgeError('compact vocabulary ids must be sorted and unique');
      this.toModel = new Map(ids.map((g, i) => [g, i]));
      this.size = ids.length;
    } else {
      this.toModel = null;
      this.size = GPT2_VOCAB_SIZE;
    }
  }

  static full(): Vocab { return new Vocab(null); }

  /** The compact vocabulary of a corpus: every GPT-2 id of the texts plus `extra` ids (stop tokens). */
  static fromTexts(texts: readonly string[], extra: readonly number[] = []): Vocab {
    const set = new Set<number>(extra);
    for (const t of texts) for (const id of gpt2Encode(t)) set.add(id);
    return new Vocab([...set].sort((a, b) => a - b));
  }

  get compact(): boolean { return this.ids !== null; }

  has(gpt2Id: number): boolean {
    return this.toModel ? this.toModel.has(gpt2Id) : gpt2Id >= 0 && gpt2Id < GPT2_VOCAB_SIZE;
  }

  /** GPT-2 id -> model id (-1 when not covered). */
  modelId(gpt2Id: number): number {
    if (!this.toModel) return gpt2Id >= 0 && gpt2Id < GPT2_VOCAB_SIZE ? gpt2Id : -1;
    return this.toModel.get(gpt2Id) ?? -1;
  }

  /** Model id -> GPT-2 id. */
  gpt2Id(modelId: number): number {
    return this.ids ? this.ids[modelId] : modelId;
  }

  /** Model ids of `text`; throws when a token is outside a compact vocabulary (unless `skipUnknown`). */
  encode(text: string, opts: { skipUnknown?: boolean } = {}): number[] {
    const out: number[] = [];
    for (const g of gpt2Encode(text)) {
      const m = this.modelId(g);
      if (m < 0) {
        if (opts.skipUnknown) continue;
        throw new DbridgeError(`token ${JSON.stringify(gpt2Decode([g]))} (GPT-2 id ${g}) of "${text}" is not in the decoder's compact vocabulary`);
      }
      out.push(m);
    }
    return out;
  }

  decode(modelIds: readonly number[]): string {
    return gpt2Decode(modelIds.map((m) => this.gpt2Id(m)));
  }
}

/** GPT-2 ids that decode to a bare full stop: "." (13) and " ." (764, Flickr30K's spaced stop). */
export const FULL_STOP_IDS = [13, 764];
