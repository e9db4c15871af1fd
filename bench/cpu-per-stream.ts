/** Measurement 1: CPU seconds per stream-minute of each server's process tree at 1, 10 and 40 streams. */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { cpuSecondsBetween, snapshotCpu } from './lib/proc-cpu.js';
import { row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep } from './lib/wait.js';

export const cpuMetric = (streams: number): string => `CPU s/stream-min @${streams}`;

export async function measureCpuPerStream(ctx: BenchContext): Promise<ResultRow[]> {
  const levels = ctx.quick ? [1, 5] : [1, 10, 40];
  const warmupMs = ctx.quick ? 4_000 : 10_000;
  const windowMs = ctx.quick ? 8_000 : 40_000;
  const metrics = levels.map((n) => ({ metric: cpuMetric(n), unit: '' }));
  const rows: ResultRow[] = [];
  for (const name of ctx.servers) {
    ctx.log(`cpu: ${name} at ${levels.join(', ')} streams (warm-up ${warmupMs / 1000} s, window ${windowMs / 1000} s)`);
    const result = await withServer(ctx, name, metrics, async (server, out) => {
      // Publishers stop by themselves after this long, whatever happens to the bench.
      const farm = new StreamFarm(server, ctx.clipPath, 900);
      try {
        for (const level of levels) {
          await farm.add(level - farm.size);
          await farm.waitAllLive(30_000);
          await sleep(warmupMs);
          farm.monitor.markWindow();
          const before = snapshotCpu(server.rootPid());
          await sleep(windowMs);
          const after = snapshotCpu(server.rootPid());
          const seconds = cpuSecondsBetween(before, after);
          const perStreamMinute = seconds / (level * (windowMs / 60_000));
          const health = farm.health();
          const failed = health.failedInWindow;
          const display = `${perStreamMinute.toFixed(3)}${failed > 0 ? ` (${failed}/${level} stalled)` : ''}`;
          ctx.log(`  ${name} @${level}: ${seconds.toFixed(2)} CPU s in ${windowMs / 1000} s over ${after.perPid.size} processes -> ${display} s/stream-min`);
          out.push(row(cpuMetric(level), name, perStreamMinute, 's', display));
        }
      } finally {
        await farm.stop();
      }
    });
    rows.push(...result.rows);
  }
  return rows;
}
