// How CLI commands treat their outputs: checked before any work, written only once the run has
// succeeded, never mixed between two processes.
//   - output files: `checkOutputFile` (not an input, not a folder, parent a writable folder) before
//     the work, an atomic write after it, and no non-finite number written (`checkFiniteOutput`);
//   - training folders (`trainingFolder`): locked for the run; a folder that already holds a run is
//     continued only with --resume (whose settings the trainer checks against the checkpoint's) and
//     replaced only with --force, by training into a temporary sibling that replaces the folder
//     when, and only when, training has finished. A folder holding anything else is never replaced.
import { rmSync } from 'node:fs';
import { DbridgeError } from '../util/errors.ts';
import { checkOutputDir, folderHasContent, removeStaleSiblings, replaceFolder, tempSiblingOf } from '../util/fs.ts';
import { lockFolder, type FolderLock } from '../util/lock.ts';

export interface TrainingFolder {
  /** Where the trainer writes now: the folder itself, or its temporary sibling when replacing. */
  readonly dir: string;
  /** 'new' (empty or missing folder), 'resume' (continue what it holds), 'replace' (--force). */
  readonly mode: 'new' | 'resume' | 'replace';
  /** Call when training succeeded: moves a replacement into place, releases the lock. */
  finish(): void;
  /** Call when training failed: removes a replacement in progress, releases the lock. The folder is untouched. */
  abandon(): void;
}

export interface TrainingFolderOptions {
  /** The option naming the folder in messages (default '--out'). */
  what?: string;
  resume: boolean;
  force: boolean;
  /** True when the folder holds this command's kind of output (a checkpoint, a partial run). */
  holdsRun: (dir: string) => boolean;
  /** What the folder holds, for messages (e.g. 'a diffusion checkpoint'). */
  kind: string;
  /** The run's inputs, which must not be the folder nor lie inside a folder that --force replaces. */
  inputs?: Record<string, string | undefined>;
}

/**
 * Decides how a training command writes into `out` and locks it (see the file header). Throws a
 * one-line DbridgeError before any work when the folder cannot be used as asked.
 */
export function trainingFolder(out: string, o: TrainingFolderOptions): TrainingFolder {
  const what = o.what ?? '--out';
  if (o.resume && o.force) throw new DbridgeError('--resume and --force exclude each other');
  checkOutputDir(out, { what, inputs: o.inputs, replaces: o.force });
  const occupied = folderHasContent(out);
  const ours = occupied && o.holdsRun(out);
  if (occupied && !ours) {
    throw new DbridgeError(`${what} ${out} holds files that are not ${o.kind}; choose a new or empty folder (nothing there is replaced)`);
  }
  if (ours && !o.resume && !o.force) {
    throw new DbridgeError(`${what} ${out} already holds ${o.kind}; pass --resume to continue it, --force to replace it once the new run has finished, or choose another ${what}`);
  }
  const lock: FolderLock = lockFolder(out);
  if (ours && o.force) {
    removeStaleSiblings(out);
    const tmp = tempSiblingOf(out);
    rmSync(tmp, { recursive: true, force: true });
    return {
      dir: tmp, mode: 'replace',
      finish() { try { replaceFolder(tmp, out); } finally { lock.release(); } },
      abandon() { rmSync(tmp, { recursive: true, force: true }); lock.release(); },
    };
  }
  return { dir: out, mode: ours ? 'resume' : 'new', finish: () => lock.release(), abandon: () => lock.release() };
}

/** Runs `train(dir)` in a training folder, finishing or abandoning it. */
export async function trainInto<T>(folder: TrainingFolder, train: (dir: string) => Promise<T>): Promise<T> {
  let r: T;
  try {
    r = await train(folder.dir);
  } catch (e) {
    folder.abandon();
    throw e;
  }
  folder.finish();
  return r;
}

/** Throws a one-line DbridgeError when a computed result holds NaN or Inf (nothing is written then). */
export function checkFiniteOutput(values: ArrayLike<number>, what: string, hint: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new DbridgeError(`${what} contains ${values[i]} at flat index ${i}; nothing was written (${hint})`);
  }
}
