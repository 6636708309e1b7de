// --resume checks what it resumes (lib/util/resume.ts, wired into the trainers): every setting
// that changes the result must equal the checkpoint's, or the run is refused naming the setting;
// --resume and --force exclude each other; a refused resume changes no file (--mean is never
// written over the checkpoint's text mean).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.ts';
import { writeNpy } from '../../lib/io/npy.ts';
import { Rng } from '../../lib/util/rng.ts';
import { DbridgeError } from '../../lib/util/errors.ts';
import { checkResume, firstDifference, flattenSettings } from '../../lib/util/resume.ts';
import { setupBackend, tmpDir } from '../helpers.ts';

before(async () => { await setupBackend(); });

const oneLine = (re: RegExp) => (e: unknown) => e instanceof DbridgeError && re.test(e.message) && !e.message.includes('\n');

test('checkResume names the first differing setting, skips what the checkpoint did not record, ignores what may change', () => {
  const saved = { seed: 0, batchSize: 64, lr: 1e-4, steps: 100, data: 'abc' };
  checkResume('ck', saved, { seed: 0, batchSize: 64, lr: 1e-4, steps: 500, data: 'abc' }, { ignore: ['steps'] });
  checkResume('ck', { seed: 0 }, { seed: 0, newSetting: 3 });
  assert.throws(() => checkResume('ck', saved, { ...saved, batchSize: 32 }, { labels: { batchSize: '--batch-size' } }),
    oneLine(/^cannot resume ck: --batch-size is 32 but the checkpoint was trained with 64;/));
  assert.throws(() => checkResume('ck', saved, { ...saved, steps: 5 }), oneLine(/steps is 5/));
  assert.deepEqual(firstDifference({ a: [1, 2] }, { a: [1, 2] }), null);
  assert.deepEqual(flattenSettings({ train: { lr: 1, arch: { w: 2 } }, x: [1] }), { 'train.lr': 1, 'train.arch.w': 2, x: [1] });
});

test('train-diffusion --resume refuses another seed, batch size, lr, data or mean, naming it; files stay as they were', async () => {
  const dir = tmpDir();
  const rng = new Rng(5);
  const emb = join(dir, 'text.npy');
  writeNpy(emb, { dtype: 'float32', shape: [24, 16], data: rng.normals(24 * 16) });
  const out = join(dir, 'ck');
  const base = ['train-diffusion', '--embeddings', emb, '--config', 'smoke', '--out', out, '--batch-size', '4', '--quiet'];
  const log = console.log; console.log = () => {};
  try {
    await main([...base, '--steps', '2']);
    const before = { mean: readFileSync(join(out, 'text_mean.npy')), weights: statSync(join(out, 'weights.safetensors')).mtimeMs };
    await assert.rejects(main([...base, '--steps', '3', '--resume', '--seed', '1']), oneLine(/cannot resume .*: --seed is 1 but the checkpoint was trained with 0/));
    await assert.rejects(main([...base.slice(0, -3), '--batch-size', '8', '--quiet', '--steps', '3', '--resume']), oneLine(/--batch-size is 8 but the checkpoint was trained with 4/));
    await assert.rejects(main([...base, '--steps', '3', '--resume', '--lr', '0.5']), oneLine(/--lr is 0.5 but the checkpoint was trained with/));
    const other = join(dir, 'other.npy');
    writeNpy(other, { dtype: 'float32', shape: [24, 16], data: rng.normals(24 * 16) });
    await assert.rejects(main(['train-diffusion', '--embeddings', other, ...base.slice(3), '--steps', '3', '--resume']), oneLine(/the training data \(embeddings, text mean\) is/));
    const mean = join(dir, 'mean.npy');
    writeNpy(mean, { dtype: 'float32', shape: [16], data: rng.normals(16) });
    await assert.rejects(main([...base, '--steps', '3', '--resume', '--mean', mean]), oneLine(/--mean .* differs from the text mean the checkpoint was trained with/));
    await assert.rejects(main([...base, '--steps', '3', '--resume', '--force']), oneLine(/--resume and --force exclude each other/));
    await assert.rejects(main([...base, '--steps', '3']), oneLine(/already holds a diffusion checkpoint; pass --resume to continue it, --force to replace it/));
    assert.deepEqual(readFileSync(join(out, 'text_mean.npy')), before.mean);
    assert.equal(statSync(join(out, 'weights.safetensors')).mtimeMs, before.weights);
    // the same settings resume; the checkpoint's own mean passed explicitly is accepted
    await main([...base, '--steps', '3', '--resume', '--mean', join(out, 'text_mean.npy')]);
    assert.equal(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).step, 3);
  } finally { console.log = log; }
});
