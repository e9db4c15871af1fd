/** CPU time of a process tree from /proc/<pid>/stat (utime+stime of every live descendant). */
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second; Linux reports USER_HZ = 100 on every mainstream architecture. */
const CLK_TCK = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in ticks. */
  ticks: number;
  /** cutime + cstime: time of children that exited and were waited for, in ticks. */
  childTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // proc(5): "(2) comm ... in parentheses"; the name may hold spaces, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After comm: [0]=state (3), [1]=ppid (4), ... [11]=utime (14), [12]=stime (15), [13]=cutime, [14]=cstime.
  return {
    pid,
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]),
    childTicks: Number(fields[13]) + Number(fields[14]),
  };
}

/** All live processes in the tree rooted at `rootPid` (the root included). */
export function processTree(rootPid: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.push(stat);
  }
  const byParent = new Map<number, ProcStat[]>();
  for (const stat of all) {
    const siblings = byParent.get(stat.ppid) ?? [];
    siblings.push(stat);
    byParent.set(stat.ppid, siblings);
  }
  const root = all.find((stat) => stat.pid === rootPid);
  if (!root) return [];
  const tree: ProcStat[] = [];
  const queue = [root];
  while (queue.length > 0 && tree.length < 100_000) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(byParent.get(next.pid) ?? []));
  }
  return tree;
}

/** A snapshot of per-process CPU ticks of a tree, to diff against a later one. */
export interface CpuSnapshot {
  at: number;
  perPid: Map<number, number>;
  rootChildTicks: number;
}

export function snapshotCpu(rootPid: number): CpuSnapshot {
  const tree = processTree(rootPid);
  const perPid = new Map<number, number>();
  let rootChildTicks = 0;
  for (const stat of tree) {
    perPid.set(stat.pid, stat.ticks);
    if (stat.pid === rootPid) rootChildTicks = stat.childTicks;
  }
  return { at: Date.now(), perPid, rootChildTicks };
}

/**
 * CPU seconds the tree used between two snapshots: the growth of every process alive at the end
 * (new ones count in full) plus what exited children of the root handed to its cutime/cstime.
 * Descendants that died in between under a non-root parent are missed (rare: NMS and nginx reap
 * their own children, which are direct children of the root).
 */
export function cpuSecondsBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let ticks = 0;
  for (const [pid, end] of after.perPid) {
    const start = before.perPid.get(pid) ?? 0;
    ticks += Math.max(0, end - start);
  }
  ticks += Math.max(0, after.rootChildTicks - before.rootChildTicks);
  return ticks / CLK_TCK;
}

/** The machine's CPU time from /proc/stat (proc(5): the "cpu" line sums every core: user nice system idle iowait ...). */
export interface MachineCpu {
  idleTicks: number;
  totalTicks: number;
}

export function parseProcStat(text: string): MachineCpu {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // idle + iowait are time no process ran; guest time is already inside user/nice
  const idleTicks = (fields[3] ?? 0) + (fields[4] ?? 0);
  const totalTicks = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idleTicks, totalTicks };
}

export function machineCpu(): MachineCpu {
  return parseProcStat(readFileSync('/proc/stat', 'utf8'));
}

/** Share of the machine's CPU time (all cores) that was idle between two readings, 0..1. */
export function idleShare(before: MachineCpu, after: MachineCpu): number {
  const total = after.totalTicks - before.totalTicks;
  return total > 0 ? (after.idleTicks - before.idleTicks) / total : 0;
}
