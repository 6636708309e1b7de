// Resolved configurations for every dataset x scale x variant: what each run would train and how,
// the combinations that are refused, and the results folder names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, resultsDirName, DATASETS, SCALES, MINI_WORLD_UNET } from '../../lib/experiments/config.ts';
import { DbridgeError } from '../../lib/util/errors.ts';

test('every dataset x scale x variant resolves (or is refused with a reason)', () => {
  for (const dataset of DATASETS) for (const scale of SCALES) for (const variant of ['official', 'paper']) {
    if (dataset === 'world' && scale === 'paper') {
      assert.throws(() => resolveConfig({ dataset, scale, variant }), (e: unknown) => e instanceof DbridgeError && /real data/.test((e as Error).message));
      continue;
    }
    const c = resolveConfig({ dataset, scale, variant, seed: 3 });
    const what = `${dataset}/${scale}/${variant}`;
    assert.equal(c.dataset, dataset); assert.equal(c.scale, scale); assert.equal(c.variant, variant); assert.equal(c.seed, 3);
    // the variant decides the DDIM steps of bridging and augmentation (official 5, paper 12)
    assert.equal(c.bridge.steps, variant === 'official' ? 5 : 12, what);
    assert.equal(c.augment.steps, c.bridge.steps, what);
    // M per paper role (MSCOCO 600, Flickr30K 400), A = 400
    assert.deepEqual(c.bridge.M, { coco: 600, flickr30k: 400 });
    assert.equal(c.augment.A, 400);
    assert.equal(c.roles[c.domains.main], dataset === 'flickr30k' ? 'flickr30k' : 'coco', what);
    assert.ok(c.domains.other, `${what}: Table 3 needs a second domain`);
    if (dataset === 'world') {
      assert.equal(c.encoder.kind, 'world');
      assert.ok(c.decoder.pretrain && c.decoder.pretrain.steps > 0, `${what}: the world's LM is pre-trained on web captions`);
      assert.equal(c.decoder.lm, 'tiny');
      assert.equal(c.decoder.mapperInputScale, 'sqrt-dim', `${what}: the world's decoders read unit-scale coordinates`);
      assert.equal(c.diffusion.config, scale);
    } else {
      assert.equal(c.encoder.kind, 'clip');
      assert.ok(!c.decoder.pretrain, `${what}: real data needs no world LM pre-training`);
      assert.deepEqual(c.decoder.lm, scale === 'paper' ? { hfDir: 'models/gpt2' } : 'tiny', what);
      if (scale === 'paper') { assert.equal(c.decoder.epochs, 10); assert.equal(c.decoder.lr, 2e-5); assert.equal(c.maxTestImages, null); }
    }
    assert.equal(resultsDirName(c), `${dataset}-${scale}${variant === 'paper' ? '-paper' : ''}-seed3`);
  }
});

test('denoiser overrides and refusals', () => {
  const mini = resolveConfig({ scale: 'mini' });
  assert.equal(resultsDirName(mini), 'world-mini');
  assert.equal(mini.diffusion.denoiser?.kind, 'resmlp');
  assert.deepEqual(resolveConfig({ scale: 'mini', denoiser: 'unet1d' }).diffusion.denoiser, { ...MINI_WORLD_UNET, dimMults: [1, 2, 4] });
  assert.equal(resolveConfig({ scale: 'smoke', denoiser: 'unet1d' }).diffusion.denoiser, undefined);
  assert.equal(resolveConfig({ scale: 'smoke' }).diffusion.denoiser, undefined);
  assert.equal(resolveConfig({ dataset: 'coco', scale: 'mini', denoiser: 'unet1d' }).diffusion.denoiser, undefined);
  assert.deepEqual(resolveConfig({ scale: 'mini', denoiser: 'resmlp' }).diffusion.denoiser, mini.diffusion.denoiser);
  assert.equal(resolveConfig({ scale: 'smoke', denoiser: 'resmlp' }).diffusion.denoiser?.kind, 'resmlp');
  assert.equal(resultsDirName(mini, 'unet1d'), 'world-mini-unet1d');
  const longer = resolveConfig({ scale: 'mini', denoiser: 'unet1d', diffusionSteps: 3000 });
  assert.equal(longer.diffusion.steps, 3000);
  assert.equal(longer.diffusion.denoiser?.kind, 'unet1d');
  assert.equal(mini.diffusion.steps, 1000);
  for (const bad of [0, -5, 2.5]) assert.throws(() => resolveConfig({ diffusionSteps: bad }), /--diffusion-steps must be a positive integer/);
  for (const bad of [{ dataset: 'imagenet' }, { scale: 'huge' }, { variant: 'v3' }, { denoiser: 'transformer' }]) {
    assert.throws(() => resolveConfig(bad), DbridgeError, JSON.stringify(bad));
  }
});
