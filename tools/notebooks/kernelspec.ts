// The project's Jupyter kernel: tslab started under Node with tsx's loader, so notebook cells can
// `await import('../lib/index.ts')` (tslab's own TypeScript 5.0 compiler cannot compile lib/,
// which uses .ts import extensions and ESM). Written to <repo>/.jupyter/kernels/dbridge-tslab/
// with absolute paths; point JUPYTER_PATH at <repo>/.jupyter to use it (README, "Notebooks").
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { writeJsonAtomic } from '../../lib/util/fs.ts';
import { REPO_ROOT } from '../../lib/util/provenance.ts';

export const KERNEL_NAME = 'dbridge-tslab';

export function writeKernelspec(root = REPO_ROOT): string {
  const require = createRequire(join(root, 'package.json'));
  const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
  const tslab = join(root, 'node_modules', 'tslab', 'bin', 'tslab');
  const jupyterPath = join(root, '.jupyter');
  writeJsonAtomic(join(jupyterPath, 'kernels', KERNEL_NAME, 'kernel.json'), {
    argv: [process.execPath, '--import', tsxLoader, tslab, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (dbridge, tslab)',
    language: 'typescript',
  });
  return jupyterPath;
}
