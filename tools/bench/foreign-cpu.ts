// How much CPU other processes took while a benchmark ran: the machine's busy time (/proc/stat's
// aggregate `cpu` line) minus this process's own (/proc/self/stat: utime + stime of all its threads,
// worker threads included, + cutime + cstime of the children it has waited for, e.g. the torch
// peer), as a number of cores. The 1-minute load average cannot tell this: a benchmark that keeps
// both cores busy itself (two workers, or torch on two threads) shows a load of ~2 on a quiet
// 2-core machine. Both files count in the same clock ticks (USER_HZ), so no conversion is needed.
// Linux only; elsewhere `sample()` returns null and `underLoad` falls back to the load average.
// The benchmarks judge their targets only on a quiet machine (`underLoad` false).
import { readFileSync } from 'node:fs';

export interface CpuSample { busy: number; total: number; own: number; cores: number }

/** Parses /proc/stat's aggregate line: [busy, total] ticks over all CPUs (iowait counts as idle). */
export function parseProcStat(text: string): { busy: number; total: number; cores: number } {
  const lines = text.split('\n');
  const agg = lines.find((l) => /^cpu\s/.test(l));
  if (!agg) throw new Error('no aggregate cpu line in /proc/stat');
  const f = agg.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal [guest guest_nice: already inside user/nice]
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait, cores: lines.filter((l) => /^cpu\d+\s/.test(l)).length };
}

/** Parses /proc/<pid>/stat: utime + stime + cutime + cstime (fields 14-17; the name in parentheses may hold spaces). */
export function parseSelfStat(text: string): number {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field k is rest[k - 3]
  return Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
}

export function sample(): CpuSample | null {
  try {
    const s = parseProcStat(readFileSync('/proc/stat', 'utf8'));
    return { ...s, own: parseSelfStat(readFileSync('/proc/self/stat', 'utf8')) };
  } catch {
    return null;
  }
}

/** Cores' worth of CPU that other processes used between two samples (0 = the machine was ours alone). */
export function foreignCores(a: CpuSample, b: CpuSample): number {
  const total = b.total - a.total;
  if (total <= 0) return 0;
  const foreign = Math.max(0, (b.busy - a.busy) - (b.own - a.own));
  return (foreign / total) * b.cores;
}

/** Other processes' CPU (cores, mean over a measured phase) above which a run is under load. */
export const QUIET_FOREIGN_CORES = 0.25;
/** Without /proc: the 1-minute load average above which a run is under load (it counts the bench's own threads too). */
export const QUIET_LOAD = 1.5;

/**
 * Whether a benchmark ran under load: other processes took more than QUIET_FOREIGN_CORES in any
 * measured phase (`foreign`, null entries for phases not measured), or, when nothing could be
 * measured (no /proc), the highest 1-minute load average in `loads` exceeded QUIET_LOAD.
 */
export function underLoad(foreign: (number | null)[], loads: number[]): boolean {
  const measured = foreign.filter((v): v is number => v !== null);
  return measured.length ? Math.max(...measured) > QUIET_FOREIGN_CORES : Math.max(...loads) > QUIET_LOAD;
}
