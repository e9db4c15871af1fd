/** Memory of a process tree from /proc: PSS (shared pages split between the processes that map them), RSS as a fallback. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { processTree } from './proc-cpu.js';

/** Bytes of one process: Pss from smaps_rollup (Linux >= 4.14), else VmRSS; 0 when it is gone. */
export function processMemoryBytes(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const pss = /^Pss:\s+(\d+) kB/m.exec(rollup);
    if (pss) return Number(pss[1]) * 1024;
  } catch {
    // no smaps_rollup: fall through to status
  }
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return rss ? Number(rss[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Summed PSS of the tree rooted at `rootPid` (nginx master + worker; onair node + children). */
export function treeMemoryBytes(rootPid: number): number {
  let bytes = 0;
  for (const stat of processTree(rootPid)) bytes += processMemoryBytes(stat.pid);
  return bytes;
}

/** Bytes of the regular files under `dir` (nginx's HLS window on tmpfs is memory too). */
export function dirBytes(dir: string, depth = 0): number {
  let bytes = 0;
  if (depth > 6) return bytes;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return bytes;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    try {
      if (entry.isDirectory()) bytes += dirBytes(path, depth + 1);
      else if (entry.isFile()) bytes += statSync(path).size;
    } catch {
      // removed meanwhile (nginx rotates fragments)
    }
  }
  return bytes;
}

export const MB = 1024 * 1024;
