#!/usr/bin/env node
// Package entry for the `dbridge` command: runs the TypeScript CLI in one child node process with
// tsx's loader, forwards the signals a terminal or a job runner sends (SIGINT, SIGTERM, SIGHUP) and
// exits with the child's status. The child is told it runs under a wrapper (DBRIDGE_WRAPPED), so if
// this process is killed outright (SIGKILL, which cannot be forwarded) the child stops by itself
// instead of running on orphaned (lib/cli/main.ts exitWithWrapper).
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const loader = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
const child = spawn(process.execPath, ['--import', loader, join(here, '..', 'lib', 'cli', 'main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, DBRIDGE_WRAPPED: '1' },
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 }[signal] ?? 0) : 1)));
