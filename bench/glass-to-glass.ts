/** Measurement 3: glass-to-glass latency (clock in the frame -> Chromium + hls.js) with background streams. */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { fetchMediaPlaylist } from './lib/hls-playlist.js';
import { percentile, row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep, waitFor } from './lib/wait.js';
import type { MediaServer, ServerName } from './peers/media-server.js';
import { ClockPublisher } from './latency/clock-publisher.js';
import { LatencyPlayer } from './latency/latency-player.js';

export const latencyP50Metric = 'glass-to-glass p50';
export const latencyP95Metric = 'glass-to-glass p95';

/** onair is the subject; nginx-hls is the (optional) comparison; NMS is not measured here. */
const LATENCY_SERVERS: ServerName[] = ['onair', 'nginx-hls'];

export interface ClockLatency {
  p50: number;
  p95: number;
  /** Frames decoded, undecodable, generator drops (for the row note). */
  note: string;
  /** hls.js bufferStalledError events during the collection window (start-up excluded). */
  stalls: number;
}

/** A latency cell: the figure, plus the player's stalls in the window when there were any. */
export function latencyDisplay(seconds: number, stalls: number): string {
  return `${seconds.toFixed(2)} s${stalls > 0 ? ` (${stalls} hls.js stall${stalls === 1 ? '' : 's'})` : ''}`;
}

/**
 * One clock stream on `server` (published to the RTMP URL, or with `ingest: 'srt'` as MPEG-TS to the SRT
 * URL), played in Chromium + hls.js: `warmupMs` of start-up discarded, then `collectMs` of per-frame
 * samples (presentation time - clock in the frame). Everything it starts is stopped before it returns.
 */
export async function measureClockLatency(
  server: MediaServer,
  opts: { ingest: 'rtmp' | 'srt'; warmupMs: number; collectMs: number; log: (line: string) => void },
): Promise<ClockLatency> {
  const player = new LatencyPlayer();
  let clock: ClockPublisher | undefined;
  try {
    const endpoints = await server.createStream(10_000);
    const publishUrl = opts.ingest === 'srt' ? endpoints.srtPublishUrl : endpoints.publishUrl;
    if (publishUrl === undefined) throw new Error(`${server.name} gave no ${opts.ingest} publish URL`);
    clock = new ClockPublisher(publishUrl, 300);
    const source = clock;
    await waitFor('the clock stream playlist', async () => {
      if (source.exited) throw new Error(`clock publisher exited: ${source.stats.lastError}`);
      const info = await fetchMediaPlaylist(endpoints.playUrl);
      return info.segments.length > 0 ? true : undefined;
    }, 20_000, 500);
    await player.start(server.playbackOrigin(), endpoints.playUrl);
    await sleep(opts.warmupMs);
    // The page keeps at most 20 hls.js errors; those seen by now belong to start-up.
    const startupErrors = (await player.stats()).errors.length;
    await player.resetSamples();
    await sleep(opts.collectMs);
    const stats = await player.stats();
    const sorted = stats.samples.map((ms) => ms / 1000).sort((a, b) => a - b);
    const stalls = stats.errors.slice(startupErrors).filter((e) => e.includes('bufferStalledError')).length;
    const expected = Math.round((opts.collectMs / 1000) * 30);
    const note = `${sorted.length}/${expected} frames decoded, ${stats.bad} undecodable, ${stalls} hls.js stalls; generator dropped ${clock.stats.dropped}`;
    opts.log(`  ${server.name}: ${note}${stats.errors.length ? `; hls.js: ${stats.errors.slice(0, 3).join(', ')}` : ''}`);
    if (sorted.length < 10) {
      throw new Error(`only ${sorted.length} decoded frames (${stats.frames} presented)${stats.errors[0] ? `; ${stats.errors[0]}` : ''}`);
    }
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    opts.log(`  ${server.name}: p50 ${p50.toFixed(3)} s, p95 ${p95.toFixed(3)} s (min ${sorted[0]!.toFixed(3)}, max ${sorted[sorted.length - 1]!.toFixed(3)})`);
    return { p50, p95, note, stalls };
  } finally {
    await player.stop();
    await clock?.stop();
  }
}

export async function measureGlassToGlass(ctx: BenchContext): Promise<ResultRow[]> {
  const background = ctx.quick ? 5 : 40;
  const warmupMs = ctx.quick ? 6_000 : 10_000;
  const collectMs = ctx.quick ? 10_000 : 25_000;
  const metrics = [{ metric: latencyP50Metric, unit: 's' }, { metric: latencyP95Metric, unit: 's' }];
  const rows: ResultRow[] = [];
  for (const name of ctx.servers.filter((s) => LATENCY_SERVERS.includes(s))) {
    ctx.log(`latency: ${name} with ${background} background streams, ${collectMs / 1000} s of samples`);
    const result = await withServer(ctx, name, metrics, async (server, out) => {
      const farm = new StreamFarm(server, ctx.clipPath, 900);
      try {
        await farm.add(background, 50);
        await farm.waitAllLive(45_000);
        const latency = await measureClockLatency(server, { ingest: 'rtmp', warmupMs, collectMs, log: ctx.log });
        const health = farm.health();
        const note = `${latency.note}; ${health.live}/${health.streams} background live`;
        out.push(row(latencyP50Metric, name, latency.p50, 's', latencyDisplay(latency.p50, latency.stalls), note));
        out.push(row(latencyP95Metric, name, latency.p95, 's', latencyDisplay(latency.p95, latency.stalls), note));
      } finally {
        await farm.stop();
      }
    });
    rows.push(...result.rows);
  }
  return rows;
}
