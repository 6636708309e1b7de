// How much CPU other processes took while a benchmark ran: the machine's busy time (/proc/stat's
// aggregate `cpu` line) minus this process's own (/proc/self/stat: utime + stime of all its threads,
// worker threads included, + cutime + cstime of the children it has waited for, e.g. the torch
// peer), as a number of cores. The 1-minute load average cannot tell this: a benchmark that keeps
// both cores busy itself (two workers, or torch on two threads) shows a load of ~2 on a quiet
// 2-core machine. Both files count in the same clock ticks (USER_HZ), so no conversion is needed.
// Linux only; elsewhere `sample()` returns null and callers fall back to the load average.
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
