/** Measurement 3: glass-to-glass latency (clock in the frame -> Chromium + hls.js) with background streams. */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { fetchMediaPlaylist } from './lib/hls-playlist.js';
import { percentile, row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep, waitFor } from './lib/wait.js';
import type { ServerName } from './peers/media-server.js';
import { ClockPublisher } from './latency/clock-publisher.js';
import { LatencyPlayer } from './latency/latency-player.js';

export const latencyP50Metric = 'glass-to-glass p50';
export const latencyP95Metric = 'glass-to-glass p95';

/** onair is the subject; nginx-hls is the (optional) comparison; NMS is not measured here. */
const LATENCY_SERVERS: ServerName[] = ['onair', 'nginx-hls'];

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
      const player = new LatencyPlayer();
      let clock: ClockPublisher | undefined;
      try {
        await farm.add(background, 50);
        await farm.waitAllLive(45_000);
        const endpoints = await server.createStream(10_000);
        clock = new ClockPublisher(endpoints.publishUrl, 300);
        const source = clock;
        await waitFor('the clock stream playlist', async () => {
          if (source.exited) throw new Error(`clock publisher exited: ${source.stats.lastError}`);
          const info = await fetchMediaPlaylist(endpoints.playUrl);
          return info.segments.length > 0 ? true : undefined;
        }, 20_000, 500);
        await player.start(server.playbackOrigin(), endpoints.playUrl);
        await sleep(warmupMs);
        await player.resetSamples();
        await sleep(collectMs);
        const stats = await player.stats();
        const sorted = stats.samples.map((ms) => ms / 1000).sort((a, b) => a - b);
        const health = farm.health();
        const note = `${sorted.length} frames decoded, ${stats.bad} undecodable, ${health.live}/${health.streams} background live; generator dropped ${clock.stats.dropped}`;
        ctx.log(`  ${name}: ${note}${stats.errors.length ? `; hls.js: ${stats.errors.slice(0, 3).join(', ')}` : ''}`);
        if (sorted.length < 10) {
          throw new Error(`only ${sorted.length} decoded frames (${stats.frames} presented)${stats.errors[0] ? `; ${stats.errors[0]}` : ''}`);
        }
        const p50 = percentile(sorted, 50);
        const p95 = percentile(sorted, 95);
        ctx.log(`  ${name}: p50 ${p50.toFixed(3)} s, p95 ${p95.toFixed(3)} s (min ${sorted[0]!.toFixed(3)}, max ${sorted[sorted.length - 1]!.toFixed(3)})`);
        out.push(row(latencyP50Metric, name, p50, 's', undefined, note));
        out.push(row(latencyP95Metric, name, p95, 's', undefined, note));
      } finally {
        await player.stop();
        await clock?.stop();
        await farm.stop();
      }
    });
    rows.push(...result.rows);
  }
  return rows;
}
