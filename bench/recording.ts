/**
 * Issue 9's recording row: onair's CPU s per stream-minute at N streams (default 40) with enableRecording false,
 * then true (segments to the segment store on tmpfs + a manifest row per segment), same run, same window.
 */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { cpuSecondsBetween, snapshotCpu } from './lib/proc-cpu.js';
import { MB, treeMemoryBytes } from './lib/proc-mem.js';
import { row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep } from './lib/wait.js';
import { OnairServer } from './peers/onair-server.js';

export const recordingMetric = (streams: number, on: boolean): string => `CPU s/stream-min @${streams}, recording ${on ? 'on' : 'off'}`;
export const recordingCostMetric = (streams: number): string => `recording CPU cost @${streams} (on / off)`;

export async function measureRecording(ctx: BenchContext): Promise<ResultRow[]> {
  const n = ctx.streams;
  const warmupMs = ctx.quick ? 4_000 : 10_000;
  const windowMs = ctx.windowS * 1000;
  const rows: ResultRow[] = [];
  const figures = new Map<boolean, number>();
  for (const on of [false, true]) {
    const metric = recordingMetric(n, on);
    ctx.log(`recording: onair, ${n} streams, enableRecording ${on} (window ${windowMs / 1000} s)`);
    const result = await withServer(ctx, 'onair', [{ metric, unit: 's' }], async (server, out) => {
      const farm = new StreamFarm(server, ctx.clipPath, 600);
      try {
        await farm.add(n);
        await farm.waitAllLive(30_000);
        await sleep(warmupMs);
        farm.monitor.markWindow();
        const before = snapshotCpu(server.rootPid());
        await sleep(windowMs);
        const after = snapshotCpu(server.rootPid());
        const seconds = cpuSecondsBetween(before, after);
        const perStreamMinute = seconds / (n * (windowMs / 60_000));
        const failed = farm.health().failedInWindow;
        const rss = treeMemoryBytes(server.rootPid()) / MB;
        const display = `${perStreamMinute.toFixed(3)}${failed > 0 ? ` (${failed}/${n} stalled)` : ''}`;
        ctx.log(`  recording ${on ? 'on' : 'off'}: ${seconds.toFixed(2)} CPU s in ${windowMs / 1000} s -> ${display} s/stream-min, ${rss.toFixed(0)} MB`);
        figures.set(on, perStreamMinute);
        out.push(row(metric, 'onair', perStreamMinute, 's', display, `${rss.toFixed(0)} MB PSS`));
      } finally {
        await farm.stop();
      }
    }, () => new OnairServer({ recording: on }));
    rows.push(...result.rows);
  }
  const off = figures.get(false);
  const on = figures.get(true);
  if (off !== undefined && on !== undefined) {
    const ratio = on / off;
    rows.push(row(recordingCostMetric(n), 'onair', ratio, 'x', `${ratio.toFixed(2)}x (+${(on - off).toFixed(3)} s/stream-min)`));
  }
  return rows;
}
