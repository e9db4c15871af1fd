/** Measurement 4: playlist and segment requests per second (wrk, 200 connections, 2 threads) with one live stream. */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { fetchMediaPlaylist } from './lib/hls-playlist.js';
import { row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { runWrk } from './lib/wrk.js';

export const playlistRpsMetric = 'playlist req/s (wrk c200)';
export const segmentRpsMetric = 'segment req/s (wrk c200)';

export async function measurePlaybackRps(ctx: BenchContext): Promise<ResultRow[]> {
  // 15 s per URL, as slices: a live segment leaves the window within seconds, so each slice takes a fresh one.
  const slices = ctx.quick ? 1 : 3;
  const sliceSeconds = 5;
  const metrics = [{ metric: playlistRpsMetric, unit: 'req/s' }, { metric: segmentRpsMetric, unit: 'req/s' }];
  const rows: ResultRow[] = [];
  for (const name of ctx.servers) {
    ctx.log(`rps: ${name}, ${slices} x ${sliceSeconds} s per URL`);
    const result = await withServer(ctx, name, metrics, async (server, out) => {
      const farm = new StreamFarm(server, ctx.clipPath, 300);
      try {
        await farm.add(1);
        await farm.waitAllLive(30_000);
        const playUrl = farm.endpoints[0]!.playUrl;
        for (const [metric, pick] of [
          [playlistRpsMetric, (info: { url: string }) => info.url],
          [segmentRpsMetric, (info: { segments: string[] }) => info.segments[info.segments.length - 1]],
        ] as const) {
          let good = 0;
          let total = 0;
          let seconds = 0;
          let sampleUrl = '';
          let size = 0;
          for (let i = 0; i < slices; i++) {
            const info = await fetchMediaPlaylist(playUrl);
            const url = pick(info);
            if (!url) throw new Error(`no URL for ${metric}`);
            if (!sampleUrl) {
              sampleUrl = url;
              size = (await (await fetch(url, { signal: AbortSignal.timeout(5000) })).arrayBuffer()).byteLength;
            }
            const result = await runWrk(url, sliceSeconds);
            good += result.goodPerSecond * result.seconds;
            total += result.requests;
            seconds += result.seconds;
          }
          const perSecond = good / seconds;
          const failed = total - good;
          const note = `${new URL(sampleUrl).pathname} (${size} B)${failed > 0.5 ? `, ${Math.round(failed)} non-2xx/errors` : ''}`;
          ctx.log(`  ${name} ${metric}: ${Math.round(perSecond)} req/s, ${note}`);
          out.push(row(metric, name, perSecond, 'req/s', `${Math.round(perSecond)}${failed > total * 0.01 ? ' (!errors)' : ''}`, note));
        }
      } finally {
        await farm.stop();
      }
    });
    rows.push(...result.rows);
  }
  return rows;
}
