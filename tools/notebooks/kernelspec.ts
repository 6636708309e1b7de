// The project's Jupyter kernelspec, "TypeScript (dbridge, tslab)": tools/notebooks/kernel.ts (tslab
// under tsx's loader, with the busy/idle fix) started with absolute paths. Written to
// <repo>/.jupyter/kernels/dbridge-tslab/; JupyterLab and nbclient find it through JUPYTER_PATH
// (`npm run lab` and `npm run notebooks` set it). `prepareKernel` also writes lib's types for
// notebook cells (types.ts).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { writeJsonAtomic } from '../../lib/util/fs.ts';
import { REPO_ROOT } from '../../lib/util/provenance.ts';
import { writeLibTypes } from './types.ts';

export const KERNEL_NAME = 'dbridge-tslab';

/** Writes the kernelspec; returns the folder to put on JUPYTER_PATH. */
export function writeKernelspec(root = REPO_ROOT): string {
  const require = createRequire(join(root, 'package.json'));
  const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
  const kernel = join(root, 'tools', 'notebooks', 'kernel.ts');
  const jupyterPath = join(root, '.jupyter');
  writeJsonAtomic(join(jupyterPath, 'kernels', KERNEL_NAME, 'kernel.json'), {
    argv: [process.execPath, '--import', tsxLoader, kernel, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (dbridge, tslab)',
    language: 'typescript',
  });
  return jupyterPath;
}

/** Kernelspec plus lib's types for cells; returns the JUPYTER_PATH folder. */
export function prepareKernel(root = REPO_ROOT, log?: (line: string) => void): string {
  writeLibTypes(root, log);
  return writeKernelspec(root);
}
