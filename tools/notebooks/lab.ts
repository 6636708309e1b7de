// `npm run lab [-- --scale smoke|mini] [--no-browser] [--port N] [--setup-only]`: the notebooks in
// JupyterLab with the project's kernel. Writes the kernelspec and lib's types for cells, finds
// JupyterLab (installing it into .venv/ with pip the first time; jupyterlab.ts), and starts it in
// the repository root. The notebooks run at DBRIDGE_SCALE (default mini); --scale sets it.
import { parseArgs } from 'node:util';
import { DbridgeError } from '../../lib/util/errors.ts';
import { prepareKernel, KERNEL_NAME } from './kernelspec.ts';
import { ensureJupyterLab, startJupyterLab } from './jupyterlab.ts';

function main(): void {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string' },
      'no-browser': { type: 'boolean', default: false },
      port: { type: 'string' },
      'setup-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('npm run lab [-- --scale smoke|mini] [--no-browser] [--port N] [--setup-only]\n' +
      'JupyterLab on notebooks/ with the "TypeScript (dbridge, tslab)" kernel; installs JupyterLab into .venv/ when missing.');
    return;
  }
  if (values.scale !== undefined && !['smoke', 'mini', 'paper'].includes(values.scale)) throw new DbridgeError(`--scale ${values.scale}: choose smoke, mini or paper`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new DbridgeError(`--port ${values.port}: not a port number`);
  const jupyterPath = prepareKernel();
  const jupyter = ensureJupyterLab({ install: true });
  const scale = values.scale ?? process.env.DBRIDGE_SCALE ?? 'mini';
  console.log(`kernel "TypeScript (dbridge, tslab)" (${KERNEL_NAME}) in ${jupyterPath}; JupyterLab: ${jupyter}`);
  console.log(`notebooks run at scale ${scale}${values.scale || process.env.DBRIDGE_SCALE ? '' : ' (the default; --scale smoke for a quick pass that only exercises the code)'}`);
  if (values['setup-only']) return;
  const child = startJupyterLab({ jupyter, jupyterPath, port, openBrowser: !values['no-browser'], env: { DBRIDGE_SCALE: scale }, extraArgs: ['--ServerApp.default_url=/lab/tree/notebooks'] });
  const stop = () => child.kill('SIGINT');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}

try {
  main();
} catch (e) {
  if (e instanceof DbridgeError) { console.error(`npm run lab: ${e.message}`); process.exit(2); }
  throw e;
}
