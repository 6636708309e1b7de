// On webgpu the trainers use the one device, not worker threads: the main job's default worker
// count is 1 there (worker threads run CPU backends, and the pool refuses webgpu), whatever the
// scale, while wasm at mini scale takes the cores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initBackend } from '../../lib/backend.ts';
import { resolveConfig } from '../../lib/experiments/config.ts';

test('webgpu: the main job trains on one device (workers = 1 at every scale)', async () => {
  delete process.env.DBRIDGE_WORKERS;
  await initBackend('webgpu', { quiet: true });
  for (const scale of ['smoke', 'mini']) assert.equal(resolveConfig({ scale }).workers, 1, `scale ${scale}`);
});
