// The decoder commands end to end on a small embedding folder: train-decoder (text mean found
// beside the split, val loss), caption with raw / mean / decap / --diffusion bridging (COCO results
// with ids from index.json), lm logits against the HF fixture, and clear errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.ts';
import { readNpy, writeNpy } from '../../lib/io/npy.ts';
import { writeJsonAtomic, readJson } from '../../lib/util/fs.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DiffusionModel, diffusionConfig } from '../../lib/diffusion/index.ts';
import { setupBackend, tmpDir, FIXTURES } from '../helpers.ts';

before(async () => { await setupBackend(); });

const CAPS = ['A red circle.', 'A blue square.', 'A green star.', 'Two red circles.'];
const D = 16;

/** <root>/{train,test}/{text,image}.npy + index.json, text_mean.npy, image_mean.npy */
function embeddingFolder(): string {
  const root = tmpDir('dec-cli-');
  const rng = new Rng(11);
  const text = rng.normals(CAPS.length * D), image = rng.normals(CAPS.length * D);
  for (const split of ['train', 'test']) {
    mkdirSync(join(root, split), { recursive: true });
    writeNpy(join(root, split, 'text.npy'), { dtype: 'float32', shape: [CAPS.length, D], data: text });
    writeNpy(join(root, split, 'image.npy'), { dtype: 'float32', shape: [CAPS.length, D], data: image });
    writeJsonAtomic(join(root, split, 'index.json'), {
      split,
      images: CAPS.map((_, i) => ({ image_id: 100 + i, file: `${i}.png`, text_rows: [i] })),
      texts: CAPS.map((caption, i) => ({ image_id: 100 + i, caption })),
    });
  }
  writeNpy(join(root, 'text_mean.npy'), { dtype: 'float32', shape: [D], data: rng.normals(D).map((v) => v * 0.05) });
  writeNpy(join(root, 'image_mean.npy'), { dtype: 'float32', shape: [1, D], data: rng.normals(D).map((v) => v * 0.05) });
  return root;
}

const run = (argv: string[]) => main([...argv, '--quiet', '--backend', 'wasm']);

test('train-decoder then caption (raw, mean, decap, --diffusion) writes COCO results with the index ids', async () => {
  const root = embeddingFolder();
  const dec = join(root, 'decoder');
  const log = console.log; const lines: string[] = [];
  console.log = (s: string) => { lines.push(String(s)); };
  try {
    await run(['train-decoder', '--embeddings', join(root, 'train', 'text.npy'), '--captions', join(root, 'train', 'index.json'),
      '--treatment', 'plain', '--out', dec, '--layers', '1', '--width', '32', '--heads', '2', '--prefix-length', '4',
      '--epochs', '3', '--batch-size', '2', '--lr', '3e-3',
      '--val-embeddings', join(root, 'test', 'text.npy'), '--val-captions', join(root, 'test', 'index.json')]);
    assert.ok(existsSync(join(dec, 'weights.safetensors')) && existsSync(join(dec, 'epochs', 'epoch-03', 'config.json')));
    const logj = readJson<{ history: { valLoss: number }[] }>(join(dec, 'train_log.json'));
    assert.equal(logj.history.length, 3);
    assert.ok(logj.history.every((h) => Number.isFinite(h.valLoss)));
    const cfg = readJson<{ hasTextMean: boolean; treatment: string }>(join(dec, 'config.json'));
    assert.ok(cfg.hasTextMean && cfg.treatment === 'plain');

    const img = join(root, 'test', 'image.npy');
    for (const t of ['raw', 'mean', 'decap']) {
      const out = join(root, `res-${t}.json`);
      await run(['caption', '--decoder', dec, '--embeddings', img, '--treatment', t, '--output', out, '--max-tokens', '8']);
      const res = JSON.parse(readFileSync(out, 'utf8')) as { image_id: number; caption: string }[];
      assert.deepEqual(res.map((r) => r.image_id), [100, 101, 102, 103], t);
      assert.ok(res.every((r) => typeof r.caption === 'string'));
    }
    // bridging through a (random) diffusion checkpoint, imported on demand
    const diff = join(root, 'diffusion');
    const model = DiffusionModel.create(diffusionConfig({ kind: 'resmlp', length: D, width: 32, blocks: 1, timeDim: 16 }, 'official'), 0);
    await model.save(diff); model.dispose();
    const out = join(root, 'res-bridged.json');
    await run(['caption', '--decoder', dec, '--embeddings', img, '--diffusion', diff, '--M', '200', '--steps', '2', '--output', out, '--method', 'beam', '--beam-size', '2', '--limit', '3']);
    const res = JSON.parse(readFileSync(out, 'utf8')) as { image_id: number }[];
    assert.deepEqual(res.map((r) => r.image_id), [100, 101, 102]);
    assert.ok(lines.some((l) => /captioned 3 embeddings \(bridged, M 200, beam\)/.test(l)));
  } finally {
    console.log = log;
  }
});

test('decoder commands reject bad inputs with clear messages', async () => {
  const root = embeddingFolder();
  const isErr = (re: RegExp) => (e: Error) => e instanceof DbridgeError && re.test(e.message);
  const train = (extra: string[]) => run(['train-decoder', '--embeddings', join(root, 'train', 'text.npy'), '--out', join(root, 'd'), ...extra]);
  await assert.rejects(train(['--captions', join(root, 'train', 'index.json'), '--treatment', 'fancy']), isErr(/--treatment: 'fancy' is not one of plain, capdec, c3, augmented/));
  const empty = join(root, 'empty.txt');
  writeFileSync(empty, '');
  await assert.rejects(train(['--captions', empty, '--treatment', 'capdec']), isErr(/caption file .*empty\.txt is empty/));
  const three = join(root, 'three.json');
  writeFileSync(three, JSON.stringify(CAPS.slice(0, 3)));
  await assert.rejects(train(['--captions', three, '--treatment', 'capdec']), isErr(/has 3 captions but .* has 4 rows/));
  // a decoder for D = 16 fed 8-d embeddings
  const dec = join(root, 'dec');
  await run(['train-decoder', '--embeddings', join(root, 'train', 'text.npy'), '--captions', join(root, 'train', 'index.json'), '--treatment', 'capdec',
    '--out', dec, '--layers', '1', '--width', '16', '--heads', '2', '--prefix-length', '2', '--epochs', '1', '--batch-size', '4']);
  const small = join(root, 'small.npy');
  writeNpy(small, { dtype: 'float32', shape: [2, 8], data: new Float32Array(16).fill(0.5) });
  await assert.rejects(run(['caption', '--decoder', dec, '--embeddings', small, '--output', join(root, 'r.json')]), isErr(/dimension 8, the decoder's mapper expects 16/));
  await assert.rejects(run(['caption', '--decoder', dec, '--embeddings', join(root, 'test', 'image.npy'), '--treatment', 'decap', '--memory', small, '--output', join(root, 'r.json')]), isErr(/dimension is 8, expected 16/));
});

test('lm writes the logits of a HF GPT-2 folder for given ids (fixture parity) and continues greedily', async () => {
  const dir = tmpDir('dec-lm-');
  const ids = join(dir, 'ids.json');
  writeFileSync(ids, JSON.stringify([[32, 582, 10311, 257, 8223, 319, 262, 10481, 13]]));
  const out = join(dir, 'logits.npy'), js = join(dir, 'summary.json');
  const log = console.log; console.log = () => {};
  try {
    await run(['lm', '--model', join(FIXTURES, 'gpt2_tiny'), '--ids', ids, '--output', out, '--json', js, '--generate', '2']);
  } finally { console.log = log; }
  const a = readNpy(out);
  assert.deepEqual(a.shape, [1, 9, 50257]);
  const refCols = readNpy(join(FIXTURES, 'gpt2_tiny', 'reference', 'logits_valid_cols.npy')).data as Float32Array;
  const C = 4189, data = a.data as Float32Array;
  let worst = 0;
  for (let p = 0; p < 9; p++) for (let j = 0; j < C; j++) worst = Math.max(worst, Math.abs(data[p * 50257 + j * 12] - refCols[p * C + j]));
  assert.ok(worst <= 1e-4, `lm logits differ by ${worst}`);
  const s = readJson<{ last_argmax: number[]; generated: number[][] }>(js);
  const am = readNpy(join(FIXTURES, 'gpt2_tiny', 'reference', 'logits_valid_argmax.npy')).data as Int32Array;
  assert.equal(s.last_argmax[0], am[8]);
  assert.equal(s.generated[0][0], am[8]);
  await assert.rejects(run(['lm', '--model', join(FIXTURES, 'gpt2_tiny'), '--ids', ids, '--text', 'x']), (e: Error) => e instanceof DbridgeError && /exactly one of --ids and --text/.test(e.message));
});
