// CLIP (text and image towers with their projections) through @huggingface/transformers:
// CLIPTextModelWithProjection / CLIPVisionModelWithProjection with the folder's tokenizer and image
// processor, from a local folder in the transformers.js ("Xenova") layout or a hub id. Follows the
// transformers.js CLIP classes (the fixture in test/fixtures/clip_tiny matches Python `transformers`
// to ~1e-6). Outputs are the raw projected embeddings (`text_embeds` / `image_embeds`, not
// L2-normalised), as the paper's `parse_coco.py` stores `encode_text` / `encode_image`.
// Images are preprocessed by clip-preprocess.ts (Pillow-exact bicubic resize, HF centre crop), not by
// transformers.js's processor, whose sharp-based resize does not antialias when shrinking.
// Captions get OpenAI's basic_clean (HTML entities, curly quotes) before the HF tokenizer, which lacks it.
// Divergences from OpenAI's `clip` package: captions longer than 77 tokens are truncated (clip.tokenize
// would raise); ftfy's mojibake repair is not done.
import type { Encoder, RGBImage } from './types.ts';
import { DbridgeError } from '../util/errors.ts';
import type { ClipImageConfig } from './clip-preprocess.ts';
import { PreprocessPool, defaultPreprocessThreads } from './clip-preprocess-pool.ts';
import {
  type HfLoadOptions, checkModelFolder, configureEnv, pretrainedOptions, resolveModel, takeEmbeddings, wrapLoad,
} from './hf.ts';

interface TensorLike { dims: readonly number[]; data: unknown; type?: string; dispose?: () => void }

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', ndash: '\u2013', mdash: '\u2014', hellip: '\u2026',
  lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', eacute: '\u00e9', egrave: '\u00e8', copy: '\u00a9', deg: '\u00b0',
};

function htmlUnescape(s: string): string {
  return s.replace(/&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return NAMED[e] ?? m;
  });
}

/**
 * OpenAI CLIP's `basic_clean` before tokenising (simple_tokenizer.py: ftfy.fix_text, html.unescape twice, strip),
 * which the HF tokenizer does not do: "Fish &amp; chips" must tokenise as "fish & chips". ftfy is reduced to what
 * affects captions: curly quotes to straight ones (its default uncurl_quotes), the fi/fl ligatures, and NFC;
 * HTML entities: numeric ones and the common named ones. Whitespace and case are left to the tokenizer (it
 * collapses whitespace and lowercases as OpenAI's does).
 */
export function openaiClipClean(text: string): string {
  let t = text.normalize('NFC');
  t = t.replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'").replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"');
  t = t.replace(/\ufb01/g, 'fi').replace(/\ufb02/g, 'fl');
  t = htmlUnescape(htmlUnescape(t));
  return t.trim();
}

/** The pieces a CLIP encoder runs: each loaded lazily on first use. */
export interface ClipTowers {
  /** Tokenise + run the text tower; returns the model output object. */
  text(captions: string[]): Promise<Record<string, TensorLike | undefined>>;
  /** Preprocess + run the vision tower. */
  image(images: RGBImage[]): Promise<Record<string, TensorLike | undefined>>;
  dispose?(): Promise<void> | void;
}

export function validateImage(img: RGBImage, i: number): void {
  if (!img || !Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new DbridgeError(`image ${i}: invalid size ${img?.width}x${img?.height}`);
  }
  if (!(img.data instanceof Uint8Array) || img.data.length !== img.width * img.height * 3) {
    throw new DbridgeError(`image ${i}: data must be a Uint8Array of width*height*3 = ${img.width * img.height * 3} bytes, got ${img.data?.length}`);
  }
}

/** An Encoder over CLIP towers (real or, in tests, stand-ins). */
export class ClipEncoder implements Encoder {
  constructor(readonly id: string, readonly dim: number, private readonly towers: ClipTowers) {
    if (!Number.isInteger(dim) || dim <= 0) throw new DbridgeError(`CLIP: projection dimension must be a positive integer, got ${dim}`);
  }

  async encodeText(captions: string[]): Promise<Float32Array> {
    if (!Array.isArray(captions)) throw new DbridgeError('CLIP encodeText: captions must be an array of strings');
    if (captions.length === 0) return new Float32Array(0);
    captions.forEach((c, i) => {
      if (typeof c !== 'string') throw new DbridgeError(`CLIP encodeText: caption ${i} is not a string`);
    });
    const out = await this.towers.text(captions);
    return takeEmbeddings(out.text_embeds, captions.length, `${this.id} text tower`, this.dim);
  }

  async encodeImage(images: RGBImage[]): Promise<Float32Array> {
    if (!Array.isArray(images)) throw new DbridgeError('CLIP encodeImage: images must be an array');
    if (images.length === 0) return new Float32Array(0);
    images.forEach(validateImage);
    const out = await this.towers.image(images);
    return takeEmbeddings(out.image_embeds, images.length, `${this.id} vision tower`, this.dim);
  }

  dispose(): void {
    void Promise.resolve(this.towers.dispose?.()).catch(() => undefined);
  }
}

export interface ClipOptions extends HfLoadOptions {
  /** Load only these towers (default both). */
  towers?: ('text' | 'image')[];
  /**
   * Image preprocessing: 'pil' (default; Pillow-exact resize + HF centre crop, lib/encoders/clip-preprocess.ts,
   * what the paper's embeddings saw) or 'transformers.js' (its processor: sharp's affine bicubic, no antialiasing).
   */
  preprocess?: 'pil' | 'transformers.js';
  /** Caption cleaning before the tokenizer: 'openai' (default, OpenAI CLIP's basic_clean; see openaiClipClean) or 'none'. */
  textClean?: 'openai' | 'none';
  /** Worker threads for the 'pil' preprocessing (default: env DBRIDGE_PREPROCESS_THREADS, else cores - 1, at most 8; 0 or 1: none). */
  preprocessThreads?: number;
}

/**
 * Loads CLIP from a transformers.js folder (config.json, tokenizer.json, preprocessor_config.json,
 * onnx/text_model.onnx, onnx/vision_model.onnx) or, with downloads allowed, a hub id such as
 * 'Xenova/clip-vit-base-patch32'. Towers load on first use; the folder is checked up front.
 */
export async function loadClipEncoder(dirOrId: string, opts: ClipOptions = {}): Promise<ClipEncoder> {
  const model = resolveModel(dirOrId, opts);
  const want = new Set(opts.towers ?? ['text', 'image']);
  if (model.local) {
    checkModelFolder(model.ref, {
      onnx: [...(want.has('text') ? ['text_model'] : []), ...(want.has('image') ? ['vision_model'] : [])],
      tokenizer: want.has('text'),
      processor: want.has('image'),
    }, opts.dtype ?? 'fp32');
  }
  const t = await configureEnv(model, opts);
  const config = await wrapLoad(`config of ${dirOrId}`, () => t.AutoConfig.from_pretrained(model.ref, pretrainedOptions(opts)));
  const c = config as unknown as { model_type?: string; projection_dim?: number };
  if (c.model_type !== 'clip') {
    throw new DbridgeError(`${dirOrId}: config.json has model_type '${c.model_type}', expected 'clip' (a CLIPModel folder)`);
  }
  const dim = c.projection_dim;
  if (!Number.isInteger(dim)) throw new DbridgeError(`${dirOrId}: config.json has no integer projection_dim`);
  const po = pretrainedOptions(opts);

  let textP: Promise<{ tok: (x: string[], o: object) => Record<string, unknown>; model: (x: object) => Promise<Record<string, TensorLike>>; dispose(): Promise<unknown> }> | null = null;
  let imageP: Promise<{ proc: (x: unknown[]) => Promise<Record<string, unknown>>; cfg: ClipImageConfig; model: (x: object) => Promise<Record<string, TensorLike>>; dispose(): Promise<unknown> }> | null = null;
  const preprocess = opts.preprocess ?? 'pil';
  const textClean = opts.textClean ?? 'openai';
  const pool = new PreprocessPool(opts.preprocessThreads ?? defaultPreprocessThreads());
  if (preprocess !== 'pil' && preprocess !== 'transformers.js') throw new DbridgeError(`CLIP preprocess must be 'pil' or 'transformers.js', got '${preprocess}'`);

  const loadText = () => (textP ??= wrapLoad(`CLIP text tower from ${dirOrId}`, async () => {
    if (!want.has('text')) throw new DbridgeError(`${dirOrId}: the text tower was not loaded (towers: ${[...want].join(', ')})`);
    await configureEnv(model, opts);
    const tok = await t.AutoTokenizer.from_pretrained(model.ref, po);
    const m = await t.CLIPTextModelWithProjection.from_pretrained(model.ref, po);
    return {
      tok: tok as unknown as (x: string[], o: object) => Record<string, unknown>,
      model: m as unknown as (x: object) => Promise<Record<string, TensorLike>>,
      dispose: () => m.dispose(),
    };
  }));
  const loadImage = () => (imageP ??= wrapLoad(`CLIP vision tower from ${dirOrId}`, async () => {
    if (!want.has('image')) throw new DbridgeError(`${dirOrId}: the vision tower was not loaded (towers: ${[...want].join(', ')})`);
    await configureEnv(model, opts);
    const proc = await t.AutoProcessor.from_pretrained(model.ref, po);
    const m = await t.CLIPVisionModelWithProjection.from_pretrained(model.ref, po);
    const p = proc as unknown as { image_processor?: { config?: ClipImageConfig }; config?: ClipImageConfig };
    return {
      proc: proc as unknown as (x: unknown[]) => Promise<Record<string, unknown>>,
      cfg: p.image_processor?.config ?? p.config ?? {},
      model: m as unknown as (x: object) => Promise<Record<string, TensorLike>>,
      dispose: () => m.dispose(),
    };
  }));

  const towers: ClipTowers = {
    async text(captions) {
      const { tok, model: m } = await loadText();
      const inputs = tok(textClean === 'openai' ? captions.map(openaiClipClean) : captions, { padding: true, truncation: true });
      return m(inputs);
    },
    async image(images) {
      const { proc, cfg, model: m } = await loadImage();
      if (preprocess === 'pil') {
        const px = await pool.pixelValues(images, cfg);
        return m({ pixel_values: new t.Tensor('float32', px.data, px.dims) });
      }
      const raw = images.map((im) => new t.RawImage(new Uint8ClampedArray(im.data.buffer, im.data.byteOffset, im.data.byteLength), im.width, im.height, 3));
      const inputs = await proc(raw);
      return m({ pixel_values: inputs.pixel_values });
    },
    async dispose() {
      await pool.close();
      if (textP) await (await textP).dispose();
      if (imageP) await (await imageP).dispose();
    },
  };
  return new ClipEncoder(`clip:${model.name}`, dim as number, towers);
}
