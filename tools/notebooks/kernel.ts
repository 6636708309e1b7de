// The project's Jupyter kernel: tslab 1.0.22 run under tsx's loader (so cells can import lib/,
// ESM TypeScript with .ts specifiers, which tslab's bundled TypeScript 5.0 cannot compile), with
// its shell messages handled in order so the busy/idle status is right, its socket sends queued
// (zeromq refuses overlapping sends, which killed the kernel), and without watching lib's generated
// declarations, whose rewrite would kill a running kernel (kernel-patch.ts).
// Started by the kernelspec that tools/notebooks/kernelspec.ts writes, with tslab's own arguments:
//   node --import tsx tools/notebooks/kernel.ts kernel --config-path <connection file>
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeShellMessages, queueSendsOfBoundSockets, ignoreWatchesUnder, type ShellServer, type SendingSocket, type WatchingSys } from './kernel-patch.ts';

const require = createRequire(import.meta.url);
const jupyter = require('tslab/dist/jupyter.js') as { ZmqServer: { prototype: ShellServer & { bindSocket(sock: SendingSocket, port: number): Promise<void> } } };
serializeShellMessages(jupyter.ZmqServer.prototype);
queueSendsOfBoundSockets(jupyter.ZmqServer.prototype);
const ts = require('@tslab/typescript-for-tslab') as { sys: WatchingSys };
ignoreWatchesUnder(ts.sys, join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'notebooks', 'node_modules'));
(require('tslab/dist/main.js') as { main(): void }).main();
