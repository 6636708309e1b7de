// Worker side of the CLIP preprocessing pool (clip-preprocess-pool.ts): computes pixel_values for a chunk of
// images with clipPixelValues and sends the Float32Array back (transferred, not copied).
import { parentPort } from 'node:worker_threads';
import { clipPixelValues, type ClipImageConfig } from './clip-preprocess.ts';
import type { RGBImage } from './types.ts';

parentPort!.on('message', (m: { id: number; images: RGBImage[]; cfg: ClipImageConfig }) => {
  try {
    const r = clipPixelValues(m.images, m.cfg);
    parentPort!.postMessage({ id: m.id, data: r.data, dims: r.dims }, [r.data.buffer]);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message, user: (e as Error).name === 'DbridgeError' });
  }
});
