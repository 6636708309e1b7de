// Prefix mappers: an embedding [B, D] -> a prefix of token-like vectors [B, P, W] for GPT-2.
//   official: ClipCap's MLP (Mokady et al.; the Diffusion Bridge code's mlp.py/decoder.py):
//             Linear(D, P*W/2) -> Tanh -> Linear(P*W/2, P*W), reshaped to P = 10 tokens of width W
//             (512 -> 3840 -> 7680 for CLIP ViT-B/32 and GPT-2 small).
//   paper:    the paper's text (docs/spec.md §4, §9 item 3): a projection Linear(D, W), a 2-layer prefix
//             projector Linear(W, Hd) -> Tanh -> Linear(Hd, W) (Hd = W by default), and P = 10
//             learnable soft prompts. The text does not say how the three combine; this port
//             prepends the soft prompts to the projected token: prefix = [prompts (P) ; projector(
//             proj(e)) (1)], i.e. P + 1 positions (documented in docs/decoder.md).
// Weights are [in, out] (lib/nn linear); initialisation is torch's nn.Linear default
// (U(+-1/sqrt(fan_in)) for weights and biases), soft prompts N(0, 0.02) like GPT-2 embeddings.
import { tf } from '../tf.ts';
import { ParamStore, init, linear } from '../nn/index.ts';
import { DbridgeError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';

export const MAPPER_VARIANTS = ['official', 'paper'] as const;
export type MapperVariant = (typeof MAPPER_VARIANTS)[number];

export interface MapperConfig {
  variant: MapperVariant;
  /** Embedding dimension D (CLIP ViT-B/32: 512). */
  inputDim: number;
  /** LM width W (GPT-2 small: 768). */
  width: number;
  /** official: prefix tokens P; paper: number of soft prompts (default 10 for both). */
  prefixLength: number;
  /** official: MLP hidden width (default P*W/2); paper: prefix projector hidden width (default W). */
  hidden?: number;
  /**
   * Factor on the input embedding before the first layer (default 1, the reference's). A unit
   * embedding's coordinates are ~1/sqrt(D); a factor sqrt(D) gives them unit scale, which for Adam
   * is the same as a first layer initialised and stepped sqrt(D) times larger (see docs/decoder.md).
   */
  inputScale?: number;
}

export function mapperHidden(c: MapperConfig): number {
  return c.hidden ?? (c.variant === 'official' ? Math.floor((c.prefixLength * c.width) / 2) : c.width);
}

/** Positions the mapper puts in front of the caption tokens. */
export function prefixPositions(c: MapperConfig): number {
  return c.variant === 'official' ? c.prefixLength : c.prefixLength + 1;
}

export function validateMapperConfig(c: MapperConfig): void {
  if (!MAPPER_VARIANTS.includes(c.variant)) throw new DbridgeError(`unknown mapper '${c.variant}' (choose ${MAPPER_VARIANTS.join(' or ')})`);
  for (const k of ['inputDim', 'width', 'prefixLength'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new DbridgeError(`mapper config: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.hidden !== undefined && (!Number.isInteger(c.hidden) || c.hidden <= 0)) throw new DbridgeError(`mapper config: hidden must be a positive integer, got ${c.hidden}`);
  if (c.inputScale !== undefined && !(c.inputScale > 0 && Number.isFinite(c.inputScale))) throw new DbridgeError(`mapper config: inputScale must be a positive number, got ${c.inputScale}`);
}

export function mapperParamShapes(c: MapperConfig): [string, number[]][] {
  const D = c.inputDim, W = c.width, P = c.prefixLength, Hd = mapperHidden(c);
  if (c.variant === 'official') {
    return [['fc1.weight', [D, Hd]], ['fc1.bias', [Hd]], ['fc2.weight', [Hd, P * W]], ['fc2.bias', [P * W]]];
  }
  return [
    ['proj.weight', [D, W]], ['proj.bias', [W]],
    ['fc1.weight', [W, Hd]], ['fc1.bias', [Hd]], ['fc2.weight', [Hd, W]], ['fc2.bias', [W]],
    ['prompts', [P, W]],
  ];
}

export class PrefixMapper {
  constructor(readonly config: MapperConfig, readonly params: ParamStore, readonly prefix = 'mapper.') {
    validateMapperConfig(config);
  }

  static create(config: MapperConfig, params: ParamStore, rng: Rng, prefix = 'mapper.'): PrefixMapper {
    validateMapperConfig(config);
    for (const [name, shape] of mapperParamShapes(config)) {
      const t = name === 'prompts' ? init.normal(rng, shape, 0.02) : init.torchDefault(rng, shape, shape.length === 2 ? shape[0] : fanInOf(config, name));
      params.add(prefix + name, t);
    }
    return new PrefixMapper(config, params, prefix);
  }

  private p(name: string): tf.Variable { return this.params.get(this.prefix + name); }

  /** Prefix [B, positions, W] of embeddings [B, D]. */
  apply(e: tf.Tensor): tf.Tensor {
    const c = this.config;
    if (e.shape.length !== 2 || e.shape[1] !== c.inputDim) {
      throw new DbridgeError(`decoder mapper expects embeddings of dimension ${c.inputDim}, got shape [${e.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const B = e.shape[0]!;
      if (c.inputScale !== undefined && c.inputScale !== 1) e = tf.mul(e, c.inputScale);
      if (c.variant === 'official') {
        const h = tf.tanh(linear(e, this.p('fc1.weight'), this.p('fc1.bias')));
        return linear(h, this.p('fc2.weight'), this.p('fc2.bias')).reshape([B, c.prefixLength, c.width]);
      }
      const x = linear(e, this.p('proj.weight'), this.p('proj.bias'));
      const t = linear(tf.tanh(linear(x, this.p('fc1.weight'), this.p('fc1.bias'))), this.p('fc2.weight'), this.p('fc2.bias'));
      const prompts = tf.broadcastTo(this.p('prompts').reshape([1, c.prefixLength, c.width]), [B, c.prefixLength, c.width]);
      return tf.concat([prompts, t.reshape([B, 1, c.width])], 1);
    });
  }
}

function fanInOf(c: MapperConfig, biasName: string): number {
  const Hd = mapperHidden(c);
  if (c.variant === 'official') return biasName === 'fc1.bias' ? c.inputDim : Hd;
  return biasName === 'proj.bias' ? c.inputDim : biasName === 'fc1.bias' ? c.width : Hd;
}
