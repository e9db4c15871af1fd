/** Measurement 2: the most concurrent streams each server keeps live on this 2-core machine (bounded ramp). */
import { withServer, type BenchContext } from './lib/bench-context.js';
import { row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep } from './lib/wait.js';

export const maxStreamsMetric = 'max live streams (2 cores)';

const STEP_MS = 15_000;
const MAX_RAMP_MS = 5 * 60_000;
/** ffmpeg -re publishers below this media-seconds per wall-second are falling behind real time. */
const MIN_RATE = 0.95;

export async function measureMaxStreams(ctx: BenchContext): Promise<ResultRow[]> {
  const MAX_STREAMS = ctx.maxStreamsCap;
  // +10 per step up to 150; a higher cap takes bigger steps so the ramp still fits in the time limit.
  const STEP = Math.max(10, Math.ceil(MAX_STREAMS / 15 / 10) * 10);
  const rows: ResultRow[] = [];
  for (const name of ctx.servers) {
    ctx.log(`max: ${name}, +${STEP} streams every ${STEP_MS / 1000} s up to ${MAX_STREAMS} or ${MAX_RAMP_MS / 60_000} min`);
    const result = await withServer(ctx, name, [{ metric: maxStreamsMetric, unit: 'streams' }], async (server, out) => {
      const farm = new StreamFarm(server, ctx.clipPath, 900);
      const rampStart = Date.now();
      let lastHealthy = 0;
      let why = `reached the cap of ${MAX_STREAMS}`;
      try {
        while (farm.size < MAX_STREAMS) {
          if (Date.now() - rampStart > MAX_RAMP_MS) {
            why = `ramp time limit (${MAX_RAMP_MS / 60_000} min)`;
            break;
          }
          const stepStart = Date.now();
          await farm.add(Math.min(STEP, MAX_STREAMS - farm.size), 50);
          farm.monitor.markWindow();
          await sleep(Math.max(0, STEP_MS - (Date.now() - stepStart)));
          const health = farm.health(MIN_RATE);
          const rate = health.minRate === undefined ? '?' : health.minRate.toFixed(3);
          ctx.log(`  ${name} @${health.streams}: ${health.live} live, ${health.slowPublishers} slow publishers (min rate ${rate})`);
          // Streams added in this step get the step's 15 s to show a first segment; a stall anywhere fails it.
          if (health.live < health.streams || health.slowPublishers > 0) {
            why = `at ${health.streams}: ${health.streams - health.live} not live, ${health.slowPublishers} publishers < ${MIN_RATE}x${health.detail ? ` (${health.detail.slice(0, 80)})` : ''}`;
            break;
          }
          lastHealthy = health.streams;
        }
      } finally {
        await farm.stop();
      }
      ctx.log(`  ${name}: last healthy ${lastHealthy}; stopped: ${why}`);
      const capped = lastHealthy >= MAX_STREAMS;
      out.push({ ...row(maxStreamsMetric, name, lastHealthy, 'streams', `${lastHealthy}${capped ? '+ (cap)' : ''}`, why), atLimit: capped });
    });
    rows.push(...result.rows);
  }
  return rows;
}
