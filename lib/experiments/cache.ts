// Stage cache of the experiment runner (design.md "Stages and caching"): every stage is a pure
// function of (its config, its inputs' keys) and writes into <root>/<stage>-<hash>/; a `done.json`
// marker written last (atomically) says the folder is complete. A stage whose folder is done is
// skipped; an interrupted stage re-runs in its own folder, where it may resume from its own
// checkpoints. Changing a setting changes the hash of that stage and of everything downstream.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { configHash } from '../util/hash.ts';
import { ensureDir, readJson, writeJsonAtomic } from '../util/fs.ts';
import { packageVersion } from '../util/provenance.ts';
import { waitForFolderLock } from '../util/lock.ts';
import { withProgressLabel } from '../util/progress.ts';

export interface StageResult<T = Record<string, unknown>> {
  /** The stage's folder. */
  dir: string;
  /** Key identifying this stage's output; downstream stages include it in their hash. */
  key: string;
  /** Whatever the stage recorded in done.json (`output`). */
  output: T;
  /** True when the result came from the cache. */
  cached: boolean;
  seconds: number;
}

export interface StageLog {
  (line: string): void;
}

export class StageCache {
  readonly events: { stage: string; key: string; cached: boolean; seconds: number }[] = [];
  constructor(readonly root: string, private readonly log: StageLog = (l) => process.stderr.write(l + '\n')) {
    ensureDir(root);
  }

  /**
   * Runs `fn(dir)` unless <root>/<name>-<hash(config, inputs)>/done.json exists. `fn` returns the
   * small JSON-able output recorded in done.json (paths inside `dir`, metrics, timings).
   */
  async run<T extends Record<string, unknown>>(
    name: string,
    config: unknown,
    inputs: (StageResult<unknown> | string)[],
    fn: (dir: string) => Promise<T>,
  ): Promise<StageResult<T>> {
    const inputKeys = inputs.map((i) => (typeof i === 'string' ? i : i.key));
    // The package version is part of the key: a new release never reuses stages computed by old code.
    const key = `${name}-${configHash({ name, config, inputs: inputKeys, version: packageVersion() })}`;
    const dir = join(this.root, key);
    const done = join(dir, 'done.json');
    if (existsSync(done)) {
      const rec = readJson<{ output: T; seconds: number }>(done, 'stage marker');
      this.log(`[stage] ${name}: cached (${key})`);
      this.events.push({ stage: name, key, cached: true, seconds: 0 });
      return { dir, key, output: rec.output, cached: true, seconds: rec.seconds };
    }
    ensureDir(dir);
    // <dir>/.lock: a live process computing this stage is waited for; a dead one's lock is taken over
    // (its stage resumes from its own checkpoints)
    const lock = await waitForFolderLock(dir, {
      onWait: (h) => this.log(`[stage] ${name}: waiting for process ${h.pid}, which is computing it`),
      until: () => existsSync(done),
    });
    // Another process finished this stage while we waited for its lock.
    if (!lock) return this.run(name, config, inputs, fn);
    try {
      writeJsonAtomic(join(dir, 'stage.json'), { name, config, inputs: inputKeys });
      this.log(`[stage] ${name}: running (${key})`);
      const t0 = Date.now();
      const output = await withProgressLabel(name, () => fn(dir));
      const seconds = (Date.now() - t0) / 1000;
      writeJsonAtomic(done, { output, seconds, finished: new Date().toISOString() });
      this.log(`[stage] ${name}: done in ${seconds.toFixed(1)} s`);
      this.events.push({ stage: name, key, cached: false, seconds });
      return { dir, key, output, cached: false, seconds };
    } finally {
      lock.release();
    }
  }
  /** Forgets a stage's result (used by --force). */
  invalidate(result: StageResult<unknown>): void {
    rmSync(join(result.dir, 'done.json'), { force: true });
  }
}
