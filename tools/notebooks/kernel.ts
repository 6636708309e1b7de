// The project's Jupyter kernel: tslab 1.0.22 run under tsx's loader (so cells can import lib/,
// ESM TypeScript with .ts specifiers, which tslab's bundled TypeScript 5.0 cannot compile), with
// its shell messages handled in order so the busy/idle status is right (kernel-patch.ts).
// Started by the kernelspec that tools/notebooks/kernelspec.ts writes, with tslab's own arguments:
//   node --import tsx tools/notebooks/kernel.ts kernel --config-path <connection file>
import { createRequire } from 'node:module';
import { serializeShellMessages, type ShellServer } from './kernel-patch.ts';

const require = createRequire(import.meta.url);
const jupyter = require('tslab/dist/jupyter.js') as { ZmqServer: { prototype: ShellServer } };
serializeShellMessages(jupyter.ZmqServer.prototype);
(require('tslab/dist/main.js') as { main(): void }).main();
