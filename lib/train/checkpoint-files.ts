// Atomic checkpoint folders: a checkpoint is first written completely into `<dir>/.partial/`
// (state.json last), then its files are renamed into `<dir>` one by one, state.json last. A crash
// while writing leaves `.partial` without state.json (discarded on the next load); a crash while
// renaming leaves a complete `.partial` whose remaining files are moved in on the next load
// (`recoverPartialCheckpoint`), so a folder never mixes two steps once it has been opened.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const PARTIAL = '.partial';
const ORDER = ['weights.safetensors', 'ema.safetensors', 'optimizer.safetensors', 'config.json'];

/** Runs (and awaits) `write(tmpDir)`, then moves the files into `dir` (state.json last). */
export async function writeCheckpointAtomically(dir: string, write: (tmp: string) => void | Promise<void>): Promise<void> {
  const tmp = join(dir, PARTIAL);
  rmSync(tmp, { recursive: true, force: true });
  await write(tmp);
  commitPartial(dir);
}

function commitPartial(dir: string): void {
  const tmp = join(dir, PARTIAL);
  const files = readdirSync(tmp);
  const rest = files.filter((f) => f !== 'state.json' && !ORDER.includes(f));
  for (const f of [...ORDER.filter((f) => files.includes(f)), ...rest]) renameSync(join(tmp, f), join(dir, f));
  if (files.includes('state.json')) renameSync(join(tmp, 'state.json'), join(dir, 'state.json'));
  rmSync(tmp, { recursive: true, force: true });
}

/** Finishes an interrupted commit (complete `.partial`) or discards an incomplete one. Returns what it did. */
export function recoverPartialCheckpoint(dir: string): 'none' | 'completed' | 'discarded' {
  const tmp = join(dir, PARTIAL);
  if (!existsSync(tmp)) return 'none';
  if (existsSync(join(tmp, 'state.json'))) { commitPartial(dir); return 'completed'; }
  rmSync(tmp, { recursive: true, force: true });
  return 'discarded';
}
