// Import of a ClipCap-style PyTorch state dict (as .safetensors): a decoder written out under
// ClipCap's names and layouts (nn.Linear [out, in] mapper, gpt.transformer.*, tied lm_head, a
// Lightning `model.` prefix) comes back with the same prefixes and captions.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tf } from '../../lib/tf.ts';
import { transposeMatrix } from '../../lib/nn/index.ts';
import { writeSafetensors } from '../../lib/io/safetensors.ts';
import type { HostArray } from '../../lib/io/dtype.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { Rng } from '../../lib/util/rng.ts';
import { createDecoder, importClipCap, generate, normalizeRows } from '../../lib/decoder/index.ts';
import { setupBackend, assertClose, tmpDir } from '../helpers.ts';

before(async () => { await setupBackend(); });

test('a ClipCap state dict round-trips into a decoder with the same prefixes and captions', async () => {
  const dec = createDecoder({ inputDim: 12, lm: 'tiny', lmOverrides: { nLayer: 1, nPositions: 64 }, prefixLength: 3, treatment: 'augmented', seed: 4 });
  const host = await dec.params.toHost();
  const sd = new Map<string, HostArray>();
  for (const [k, v] of host) {
    if (k.startsWith('gpt.')) sd.set('model.gpt.transformer.' + k.slice(4), v);
  }
  sd.set('model.gpt.lm_head.weight', host.get('gpt.wte.weight')!);
  const lin = (name: string, torchName: string) => {
    const w = host.get(`mapper.${name}.weight`)!;
    const [i, o] = w.shape;
    sd.set(`model.clip_project.model.${torchName}.weight`, { dtype: 'float32', shape: [o, i], data: transposeMatrix(w.data as Float32Array, i, o) });
    sd.set(`model.clip_project.model.${torchName}.bias`, host.get(`mapper.${name}.bias`)!);
  };
  lin('fc1', '0'); lin('fc2', '2');
  const file = join(tmpDir('clipcap-'), 'model.safetensors');
  writeSafetensors(file, sd);
  const imp = importClipCap(file, { nHead: 2 });
  assert.deepEqual(imp.config.mapper, { variant: 'official', inputDim: 12, width: 64, prefixLength: 3, hidden: 96 });
  assert.equal(imp.config.lm.nLayer, 1);
  const x = normalizeRows(new Rng(3).normals(4 * 12), 12);
  const pa = tf.tidy(() => dec.prefix(tf.tensor2d(x, [4, 12])).dataSync() as Float32Array);
  const pb = tf.tidy(() => imp.prefix(tf.tensor2d(x, [4, 12])).dataSync() as Float32Array);
  assertClose(pb, pa, 1e-6, 'prefix');
  const ga = await generate(dec, x, { maxTokens: 6, stopAtPeriod: false });
  const gb = await generate(imp, x, { maxTokens: 6, stopAtPeriod: false });
  assert.deepEqual(gb.ids, ga.ids);
  dec.dispose(); imp.dispose();
  sd.delete('model.clip_project.model.2.bias');
  assert.throws(() => importClipCap(sd), (e: Error) => e instanceof DbridgeError && /clip_project\.model\.2\.bias is missing/.test(e.message));
});
