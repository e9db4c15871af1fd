/**
 * Measurement 1: CPU seconds per stream-minute of each server's process tree at 1, 10 and 40 streams, and memory
 * per stream at the top level (PSS of the tree at N streams minus before the first stream, over N).
 * onair's streams are made with enableRecording: false here (nginx-hls records nothing either); `recording.ts`
 * measures what recording costs.
 */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { cpuSecondsBetween, snapshotCpu } from './lib/proc-cpu.js';
import { MB, treeMemoryBytes } from './lib/proc-mem.js';
import { row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep } from './lib/wait.js';
import type { MediaServer } from './peers/media-server.js';
import { OnairServer } from './peers/onair-server.js';
import { makeServer } from './lib/bench-context.js';

export const cpuMetric = (streams: number): string => `CPU s/stream-min @${streams}`;
export const memMetric = (streams: number): string => `memory MB/stream @${streams}`;

export function cpuLevels(ctx: BenchContext): number[] {
  const top = ctx.streams;
  const levels = ctx.quick ? [1, top] : [1, 10, top];
  return [...new Set(levels.filter((n) => n <= top))].sort((a, b) => a - b);
}

/** Memory of the server: its process tree plus what it keeps outside (nginx's HLS files on tmpfs). */
export function serverMemoryBytes(server: MediaServer): number {
  return treeMemoryBytes(server.rootPid()) + (server.extraMemoryBytes?.() ?? 0);
}

/** `cpu`: CPU rows at every level + the memory row at the top level; `mem` alone: the top level only. */
export async function measureCpuPerStream(ctx: BenchContext, mode: 'cpu' | 'mem' = 'cpu'): Promise<ResultRow[]> {
  const levels = mode === 'mem' ? [ctx.streams] : cpuLevels(ctx);
  const warmupMs = ctx.quick ? 4_000 : 10_000;
  const windowMs = mode === 'mem' ? 4_000 : ctx.windowS * 1000;
  const top = levels[levels.length - 1]!;
  const metrics = [...(mode === 'cpu' ? levels.map((n) => ({ metric: cpuMetric(n), unit: '' })) : []), { metric: memMetric(top), unit: 'MB' }];
  const rows: ResultRow[] = [];
  for (const name of ctx.servers) {
    ctx.log(`${mode}: ${name} at ${levels.join(', ')} streams (warm-up ${warmupMs / 1000} s, window ${windowMs / 1000} s)`);
    const make = (): MediaServer => (name === 'onair' ? new OnairServer({ recording: false }) : makeServer(name));
    const result = await withServer(ctx, name, metrics, async (server, out) => {
      // Publishers stop by themselves after this long, whatever happens to the bench.
      const farm = new StreamFarm(server, ctx.clipPath, 900);
      try {
        await sleep(2000);
        const idleBytes = serverMemoryBytes(server);
        for (const level of levels) {
          await farm.add(level - farm.size);
          await farm.waitAllLive(30_000);
          await sleep(warmupMs);
          farm.monitor.markWindow();
          const before = snapshotCpu(server.rootPid());
          await sleep(windowMs);
          const after = snapshotCpu(server.rootPid());
          const health = farm.health();
          const failed = health.failedInWindow;
          const stalled = failed > 0 ? ` (${failed}/${level} stalled)` : '';
          if (mode === 'cpu') {
            const seconds = cpuSecondsBetween(before, after);
            const perStreamMinute = seconds / (level * (windowMs / 60_000));
            const display = `${perStreamMinute.toFixed(3)}${stalled}`;
            ctx.log(`  ${name} @${level}: ${seconds.toFixed(2)} CPU s in ${windowMs / 1000} s over ${after.perPid.size} processes -> ${display} s/stream-min`);
            out.push(row(cpuMetric(level), name, perStreamMinute, 's', display));
          }
          if (level === top) {
            const bytes = serverMemoryBytes(server);
            const perStream = (bytes - idleBytes) / level / MB;
            const display = `${perStream.toFixed(2)} (${(bytes / MB).toFixed(0)} MB in all, ${(idleBytes / MB).toFixed(0)} idle)${stalled}`;
            ctx.log(`  ${name} memory @${level}: ${display}`);
            out.push(row(memMetric(level), name, perStream, 'MB', display));
          }
        }
      } finally {
        await farm.stop();
      }
    }, make);
    rows.push(...result.rows);
  }
  return rows;
}
