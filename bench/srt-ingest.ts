/**
 * Measurement 5: SRT ingest. CPU seconds per stream-minute at 1 and 10 SRT publishers for onair (SRT
 * ingest + LL-HLS packaging + serving the monitor's playlist polls) and for srt-live-transmit relaying the
 * same publishers' MPEG-TS to a UDP sink (relay only: a floor, not a peer doing the same work); then
 * onair's SRT ingest-to-HLS latency (clock publisher over SRT -> Chromium + hls.js) with those streams
 * still running in the background.
 */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { cpuSecondsBetween, snapshotCpu } from './lib/proc-cpu.js';
import { errorRow, row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep } from './lib/wait.js';
import { latencyDisplay, measureClockLatency } from './glass-to-glass.js';
import { RELAY_NAME, SrtRelayFarm } from './peers/srt-relay.js';

export const srtCpuMetric = (streams: number): string => `SRT CPU s/stream-min @${streams}`;
export const srtLatencyP50Metric = 'SRT ingest-to-HLS latency p50';
export const srtLatencyP95Metric = 'SRT ingest-to-HLS latency p95';

interface Plan {
  levels: number[];
  warmupMs: number;
  windowMs: number;
  latencyWarmupMs: number;
  latencyCollectMs: number;
}

function plan(quick: boolean): Plan {
  return quick
    ? { levels: [1, 5], warmupMs: 4_000, windowMs: 8_000, latencyWarmupMs: 6_000, latencyCollectMs: 10_000 }
    : { levels: [1, 10], warmupMs: 10_000, windowMs: 40_000, latencyWarmupMs: 10_000, latencyCollectMs: 25_000 };
}

const perStreamMinute = (cpuSeconds: number, streams: number, windowMs: number): number => cpuSeconds / (streams * (windowMs / 60_000));

function pushMissing(out: ResultRow[], server: string, metrics: Array<{ metric: string; unit: string }>, err: unknown): void {
  for (const { metric, unit } of metrics) if (!out.some((r) => r.metric === metric)) out.push(errorRow(metric, server, unit, err));
}

async function measureOnair(ctx: BenchContext, p: Plan): Promise<ResultRow[]> {
  const cpuMetrics = p.levels.map((n) => ({ metric: srtCpuMetric(n), unit: 's' }));
  const latencyMetrics = [{ metric: srtLatencyP50Metric, unit: 's' }, { metric: srtLatencyP95Metric, unit: 's' }];
  ctx.log(`srt: onair at ${p.levels.join(', ')} SRT streams (warm-up ${p.warmupMs / 1000} s, window ${p.windowMs / 1000} s), then latency`);
  const result = await withServer(ctx, 'onair', [...cpuMetrics, ...latencyMetrics], async (server, out) => {
    // SRT publishers (MPEG-TS to srt://...?streamid=&passphrase=), playlists polled every 2 s like the RTMP rows.
    const farm = new StreamFarm(server, ctx.clipPath, 900, 2000, 6000, 'srt');
    try {
      try {
        for (const level of p.levels) {
          await farm.add(level - farm.size);
          await farm.waitAllLive(30_000);
          await sleep(p.warmupMs);
          farm.monitor.markWindow();
          const before = snapshotCpu(server.rootPid());
          await sleep(p.windowMs);
          const after = snapshotCpu(server.rootPid());
          const seconds = cpuSecondsBetween(before, after);
          const value = perStreamMinute(seconds, level, p.windowMs);
          const health = farm.health();
          const problems = [
            health.failedInWindow > 0 ? `${health.failedInWindow}/${level} stalled` : '',
            health.slowPublishers > 0 ? `${health.slowPublishers}/${level} publishers < 0.95x` : '',
          ].filter(Boolean).join(', ');
          const display = `${value.toFixed(3)}${problems ? ` (${problems})` : ''}`;
          ctx.log(`  onair srt @${level}: ${seconds.toFixed(2)} CPU s in ${p.windowMs / 1000} s over ${after.perPid.size} processes -> ${display} s/stream-min`);
          out.push(row(srtCpuMetric(level), 'onair', value, 's', display));
        }
      } catch (err) {
        ctx.log(`  onair srt cpu: ${err instanceof Error ? err.message : String(err)}`);
        pushMissing(out, 'onair', cpuMetrics, err);
      }
      try {
        const background = farm.health();
        ctx.log(`  onair srt latency: clock publisher over SRT, ${background.live}/${background.streams} SRT background streams live`);
        const latency = await measureClockLatency(server, { ingest: 'srt', warmupMs: p.latencyWarmupMs, collectMs: p.latencyCollectMs, log: ctx.log });
        const after = farm.health();
        const note = `${latency.note}; ${after.live}/${after.streams} SRT background live`;
        out.push(row(srtLatencyP50Metric, 'onair', latency.p50, 's', latencyDisplay(latency.p50, latency.stalls), note));
        out.push(row(srtLatencyP95Metric, 'onair', latency.p95, 's', latencyDisplay(latency.p95, latency.stalls), note));
      } catch (err) {
        ctx.log(`  onair srt latency: ${err instanceof Error ? err.message : String(err)}`);
        pushMissing(out, 'onair', latencyMetrics, err);
      }
    } finally {
      await farm.stop();
    }
  });
  return result.rows;
}

async function measureRelay(ctx: BenchContext, p: Plan): Promise<ResultRow[]> {
  const metrics = p.levels.map((n) => ({ metric: srtCpuMetric(n), unit: 's' }));
  const out: ResultRow[] = [];
  ctx.log(`srt: ${RELAY_NAME} relay at ${p.levels.join(', ')} streams (warm-up ${p.warmupMs / 1000} s, window ${p.windowMs / 1000} s)`);
  const farm = new SrtRelayFarm(ctx.clipPath, 900);
  try {
    await farm.start();
    ctx.descriptions.set(RELAY_NAME, farm.description);
    for (const level of p.levels) {
      await farm.add(level - farm.size);
      await farm.waitAllFlowing(30_000);
      await sleep(p.warmupMs);
      const bytesBefore = farm.health().bytes;
      const before = farm.snapshot();
      await sleep(p.windowMs);
      const after = farm.snapshot();
      const seconds = SrtRelayFarm.cpuSecondsBetween(before, after);
      const value = perStreamMinute(seconds, level, p.windowMs);
      const health = farm.health();
      const mbitPerStream = ((health.bytes - bytesBefore) * 8) / 1e6 / (p.windowMs / 1000) / level;
      const problems = [
        health.delivering < level ? `${level - health.delivering}/${level} not delivering` : '',
        health.slowPublishers > 0 ? `${health.slowPublishers}/${level} publishers < 0.95x` : '',
      ].filter(Boolean).join(', ');
      const display = `${value.toFixed(3)}${problems ? ` (${problems})` : ''}`;
      ctx.log(`  ${RELAY_NAME} @${level}: ${seconds.toFixed(2)} CPU s in ${p.windowMs / 1000} s over ${after.length} relays, ${mbitPerStream.toFixed(2)} Mbit/s per stream delivered -> ${display} s/stream-min`);
      out.push(row(srtCpuMetric(level), RELAY_NAME, value, 's', display));
    }
  } catch (err) {
    ctx.log(`  ${RELAY_NAME}: ${err instanceof Error ? err.message : String(err)}`);
    pushMissing(out, RELAY_NAME, metrics, err);
  } finally {
    await farm.stop();
  }
  return out;
}

export async function measureSrtIngest(ctx: BenchContext): Promise<ResultRow[]> {
  const p = plan(ctx.quick);
  const rows: ResultRow[] = [];
  // onair is the subject (skipped with --servers lacking it); the relay is the SRT floor and always runs.
  if (ctx.servers.includes('onair')) rows.push(...(await measureOnair(ctx, p)));
  rows.push(...(await measureRelay(ctx, p)));
  return rows;
}
