// Gradients of a batch given as parts (micro-batches), on the device, in part order: the batch
// loss is sum_p (weight_p / W) * loss_p with W = sum_p weight_p, so the summed gradients are those
// of the whole batch's mean loss (up to float rounding). Used by the harness on the main thread
// and by every worker on its own parts (worker.ts). Coupled losses (contrastive) go through two
// phases when there are several parts ("gradient caching", Gao et al. 2021): the features of all
// parts first (no gradients), the head's loss and its gradient dL/dF on the main thread, then per
// part the gradient of sum(F_p * dL/dF_p), which equals that part's share of the true gradient.
import { tf } from '../tf.ts';
import { lossAndGrads } from '../nn/optim.ts';
import type { ParamStore } from '../nn/params.ts';
import type { CoupledHead, PartContext, TrainModel } from './types.ts';

export type Grads = Record<string, tf.Tensor>;

/** acc += g, key by key (keys only in g are taken over); disposes g's tensors or hands them to acc. */
export function addInto(acc: Grads, g: Grads): void {
  for (const [k, v] of Object.entries(g)) {
    const prev = acc[k];
    if (prev) { acc[k] = tf.add(prev, v); prev.dispose(); v.dispose(); } else acc[k] = v;
  }
}

/**
 * Gradients of sum_p (weights[p] / W) * loss(parts[p]) and that weighted loss (device scalar),
 * accumulated in part order. A single part with weight W is differentiated unscaled.
 */
export function partGrads<B>(model: TrainModel<B>, parts: B[], ctxs: PartContext[], weights: number[], W: number): { grads: Grads; loss: tf.Scalar } {
  const grads: Grads = {};
  let loss: tf.Scalar | null = null;
  try {
    parts.forEach((part, i) => {
      const share = weights[i] / W;
      const r = lossAndGrads(model.params, () => share === 1 ? model.loss(part, ctxs[i]) : tf.mul(model.loss(part, ctxs[i]), share) as tf.Scalar);
      addInto(grads, r.grads);
      if (loss) { const prev: tf.Scalar = loss; loss = tf.add(prev, r.loss) as tf.Scalar; prev.dispose(); r.loss.dispose(); } else loss = r.loss;
    });
  } catch (e) {
    tf.dispose(Object.values(grads)); if (loss) tf.dispose(loss);
    throw e;
  }
  return { grads, loss: loss! };
}

/** Features of a part without gradients (phase one of a coupled step). */
export function featuresOf<B>(model: TrainModel<B>, part: B, ctx: PartContext): tf.Tensor2D {
  return tf.tidy(() => model.features!(part, ctx));
}

/**
 * The head's loss on the features of the whole batch, its gradient with respect to those
 * features (dF, [rows, F]) and to the head's own parameters (those of `params` it uses).
 */
export function headGrads<B>(params: ParamStore, head: CoupledHead<B>, features: tf.Tensor2D, batch: B): { loss: tf.Scalar; dF: tf.Tensor2D; grads: Grads } {
  const F = tf.variable(features, true, `features_${Math.random().toString(36).slice(2, 8)}`);
  try {
    const trainable = params.names().filter((k) => params.vars.get(k)!.trainable);
    const vars = [F, ...trainable.map((k) => params.vars.get(k)!)];
    const { value, grads } = tf.variableGrads(() => head.loss(F, batch), vars);
    const dF = grads[F.name] as tf.Tensor2D;
    const out: Grads = {};
    trainable.forEach((k) => { const g = grads[params.vars.get(k)!.name]; if (g) out[k] = g; });
    return { loss: value, dF, grads: out };
  } finally {
    F.dispose();
  }
}

/** Gradient of sum(features(part) * dF) with respect to the model's parameters (phase two). */
export function surrogateGrads<B>(model: TrainModel<B>, part: B, ctx: PartContext, dF: tf.Tensor2D): Grads {
  const r = lossAndGrads(model.params, () => tf.sum(tf.mul(model.features!(part, ctx), dF)) as tf.Scalar);
  r.loss.dispose();
  return r.grads;
}

/**
 * A coupled batch on one thread: directly through the head when it is one part, otherwise in two
 * phases (features of every part, head, then per-part surrogate gradients in part order).
 */
export function coupledGrads<B>(model: TrainModel<B>, head: CoupledHead<B>, batch: B, parts: B[], ctxs: PartContext[]): { grads: Grads; loss: tf.Scalar } {
  if (parts.length === 1) {
    const r = lossAndGrads(model.params, () => head.loss(model.features!(parts[0], ctxs[0]), batch));
    return { grads: r.grads, loss: r.loss };
  }
  const feats = parts.map((p, i) => featuresOf(model, p, ctxs[i]));
  const sizes = feats.map((f) => f.shape[0]);
  const all = tf.concat(feats, 0) as tf.Tensor2D;
  tf.dispose(feats);
  const h = headGrads(model.params, head, all, batch);
  all.dispose();
  const grads: Grads = {};
  let row = 0;
  try {
    parts.forEach((p, i) => {
      const n = sizes[i];
      const dFp = tf.slice(h.dF, [row, 0], [n, -1]) as tf.Tensor2D;
      row += n;
      const g = surrogateGrads(model, p, ctxs[i], dFp);
      dFp.dispose();
      addInto(grads, g);
    });
    addInto(grads, h.grads);
  } catch (e) {
    tf.dispose([...Object.values(grads), h.loss]);
    throw e;
  } finally {
    h.dF.dispose();
  }
  return { grads, loss: h.loss };
}
