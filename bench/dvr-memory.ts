/**
 * Issue 9's DVR row: memory of onair over a long DVR session (`--only dvr --minutes 30`). A few streams with
 * enableDvrMode publish for M minutes while a viewer per stream polls the DVR playlist (`?dvrMode=true`, the whole
 * session's history) every 2 s; the tree's PSS is sampled every 15 s. "Flat" = the least-squares slope over the
 * second half of the session stays under 1 MB/min for all streams together.
 */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { MB, treeMemoryBytes } from './lib/proc-mem.js';
import { row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { fetchWithTimeout, sleep } from './lib/wait.js';
import { OnairServer } from './peers/onair-server.js';

export const DVR_STREAMS = 4;
export const dvrStartMetric = 'DVR PSS MB after 1 min';
export const dvrEndMetric = (minutes: number): string => `DVR PSS MB after ${minutes} min`;
export const dvrSlopeMetric = 'DVR PSS growth MB/min (2nd half)';

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  let sx = 0; let sy = 0; let sxx = 0; let sxy = 0;
  for (const [x, y] of points) { sx += x; sy += y; sxx += x * x; sxy += x * y; }
  const d = n * sxx - sx * sx;
  return d === 0 ? Number.NaN : (n * sxy - sx * sy) / d;
}

export async function measureDvrMemory(ctx: BenchContext): Promise<ResultRow[]> {
  const minutes = ctx.minutes;
  const metrics = [{ metric: dvrStartMetric, unit: 'MB' }, { metric: dvrEndMetric(minutes), unit: 'MB' }, { metric: dvrSlopeMetric, unit: 'MB/min' }];
  ctx.log(`dvr: onair, ${DVR_STREAMS} DVR streams for ${minutes} min, a DVR playlist poll per stream every 2 s`);
  const result = await withServer(ctx, 'onair', metrics, async (server, out) => {
    const farm = new StreamFarm(server, ctx.clipPath, minutes * 60 + 120);
    let polling = true;
    let polls = 0;
    let pollErrors = 0;
    let lastPlaylistBytes = 0;
    const pollers: Promise<void>[] = [];
    try {
      await farm.add(DVR_STREAMS);
      await farm.waitAllLive(30_000);
      const started = Date.now();
      for (const endpoints of farm.endpoints) {
        const url = endpoints.playUrl.replace(/\.m3u8$/, '/media.m3u8');
        pollers.push((async () => {
          while (polling) {
            try {
              const res = await fetchWithTimeout(`${url}?dvrMode=true`, {}, 5000);
              const text = await res.text();
              if (res.ok) lastPlaylistBytes = text.length; else pollErrors++;
              polls++;
            } catch {
              pollErrors++;
            }
            await sleep(2000);
          }
        })());
      }
      const samples: Array<[number, number]> = [];
      const end = started + minutes * 60_000;
      while (Date.now() < end) {
        await sleep(Math.min(15_000, Math.max(0, end - Date.now())));
        const atMin = (Date.now() - started) / 60_000;
        const mb = treeMemoryBytes(server.rootPid()) / MB;
        samples.push([atMin, mb]);
        ctx.log(`  dvr t=${atMin.toFixed(1)} min: ${mb.toFixed(1)} MB PSS (${polls} polls, ${pollErrors} errors, playlist ${(lastPlaylistBytes / 1024).toFixed(0)} KiB)`);
      }
      const health = farm.health();
      const stalled = health.failedInWindow > 0 || health.live < DVR_STREAMS ? ` (${DVR_STREAMS - health.live} not live)` : '';
      const first = samples.find(([t]) => t >= 1) ?? samples[0];
      const last = samples[samples.length - 1];
      if (!first || !last) throw new Error('no memory samples');
      const half = samples.filter(([t]) => t >= minutes / 2);
      const growth = slope(half);
      const trend = samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 8)) === 0 || i === samples.length - 1)
        .map(([t, mb]) => `${t.toFixed(1)}m:${mb.toFixed(0)}`).join(' ');
      out.push(row(dvrStartMetric, 'onair', first[1], 'MB', `${first[1].toFixed(1)}${stalled}`));
      out.push(row(dvrEndMetric(minutes), 'onair', last[1], 'MB', `${last[1].toFixed(1)}${stalled}`, trend));
      out.push(row(dvrSlopeMetric, 'onair', growth, 'MB/min', `${growth.toFixed(2)}${pollErrors > 0 ? ` (${pollErrors} poll errors)` : ''}`, `trend ${trend}`));
      ctx.log(`  dvr trend (min:MB): ${trend}; slope 2nd half ${growth.toFixed(3)} MB/min`);
    } finally {
      polling = false;
      await Promise.all(pollers);
      await farm.stop();
    }
  }, () => new OnairServer({ dvr: true }));
  return result.rows;
}
