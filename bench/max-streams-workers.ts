/**
 * Issue 11 (scale-out), the most concurrent live streams with two worker processes on this 2-core machine:
 * onair `serve --workers 2 --database postgres://...` against nginx-rtmp with `worker_processes 2`, one after the
 * other in the same run. The load comes from one fan-out publisher (bench/lib/fanout-publisher.ts: one process
 * reading the clip once and pacing it in real time to every URL), so that the publishers are not the limit; its
 * own CPU is measured and shown. Same health rule as max-streams.ts: every playlist advancing within 6 s and every
 * publisher at >= 0.95x real time; +STEP streams every 15 s up to the cap. onair's streams are all created through
 * its API before the ramp starts (see withStreamsMade).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { BenchContext } from './lib/bench-context.js';
import { withServer } from './lib/bench-context.js';
import { startBenchPostgres } from './lib/bench-postgres.js';
import { FanoutPublisher } from './lib/fanout-publisher.js';
import { cpuSecondsBetween, idleShare, machineCpu, processTree, snapshotCpu } from './lib/proc-cpu.js';
import { errorRow, row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep, waitFor } from './lib/wait.js';
import { onairHasWorkersFlag } from './edge-viewers.js';
import type { MediaServer, StreamEndpoints } from './peers/media-server.js';
import { NginxServer } from './peers/nginx-server.js';
import { OnairServer } from './peers/onair-server.js';

export const workersMaxMetric = 'max live streams, 2 workers';
export const generatorCpuMetric = 'load generator CPU at that count';

const WORKERS = 2;
const STEP_MS = 15_000;
const MAX_RAMP_MS = 10 * 60_000;
const MIN_RATE = 0.95;

/** Node processes in the tree at `root` (the primary and its workers; not tsx's esbuild service or ffmpeg). */
function nodeProcesses(root: number): number {
  return processTree(root).filter((p) => {
    try {
      return readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() === 'node';
    } catch {
      return false;
    }
  }).length;
}

/** Streams added per step: the cap in about 25 steps (a multiple of 10). */
export const workersStep = (cap: number): number => Math.max(10, Math.ceil(cap / 25 / 10) * 10);

interface RampResult {
  lastHealthy: number;
  why: string;
  /** generator and server CPU (% of one core) over the last healthy step, and the machine's idle share then */
  generatorPct: number;
  serverPct: number;
  idlePct: number;
}

/**
 * The server with its `count` streams made up front: createStream(i) hands out the i-th. onair's streams are made
 * through its API before the ramp, so that the ramp measures live streams (ingest, packaging, playlists) and not how
 * fast the API answers on a saturated machine (nginx-rtmp has no such step: a stream is a name in the URL).
 */
async function withStreamsMade(server: MediaServer, count: number): Promise<MediaServer> {
  const made: StreamEndpoints[] = [];
  for (let i = 0; i < count; i++) made.push(await server.createStream(i));
  return {
    name: server.name,
    description: server.description,
    start: () => server.start(),
    stop: () => server.stop(),
    rootPid: () => server.rootPid(),
    playbackOrigin: () => server.playbackOrigin(),
    createStream: async (index) => {
      const endpoints = made[index];
      if (!endpoints) throw new Error(`only ${count} streams were made`);
      return endpoints;
    },
  };
}

async function ramp(ctx: BenchContext, name: string, server: MediaServer, cap: number): Promise<RampResult> {
  const step = workersStep(cap);
  const madeAt = Date.now();
  const streams = await withStreamsMade(server, cap);
  ctx.log(`  ${name}: ${cap} streams made in ${((Date.now() - madeAt) / 1000).toFixed(1)} s`);
  const generator = new FanoutPublisher(ctx.clipPath);
  await generator.start();
  const farm = new StreamFarm(streams, ctx.clipPath, 3600, 2000, 6000, 'rtmp', (url) => generator.add(url));
  const rampStart = Date.now();
  const result: RampResult = { lastHealthy: 0, why: `reached the cap of ${cap}`, generatorPct: 0, serverPct: 0, idlePct: 0 };
  try {
    while (farm.size < cap) {
      if (Date.now() - rampStart > MAX_RAMP_MS) {
        result.why = `ramp time limit (${MAX_RAMP_MS / 60_000} min)`;
        break;
      }
      const stepStart = Date.now();
      try {
        await farm.add(Math.min(step, cap - farm.size), 25);
      } catch (err) {
        // (streams are made before the ramp: this is a failure of the fan-out publisher's side)
        result.why = `at ${farm.size}: adding a stream failed: ${(err instanceof Error ? err.message : String(err)).slice(0, 80)}`;
        break;
      }
      farm.monitor.markWindow();
      const genBefore = snapshotCpu(generator.pid);
      const serverBefore = snapshotCpu(server.rootPid());
      const machineBefore = machineCpu();
      const benchBefore = process.cpuUsage();
      await sleep(Math.max(0, STEP_MS - (Date.now() - stepStart)));
      const idlePct = idleShare(machineBefore, machineCpu()) * 100;
      const bench = process.cpuUsage(benchBefore);
      const benchPct = ((bench.user + bench.system) / 1e3 / (Date.now() - genBefore.at)) * 100;
      const genPct = (cpuSecondsBetween(genBefore, snapshotCpu(generator.pid)) / ((Date.now() - genBefore.at) / 1000)) * 100;
      const serverPct = (cpuSecondsBetween(serverBefore, snapshotCpu(server.rootPid())) / ((Date.now() - serverBefore.at) / 1000)) * 100;
      const health = farm.health(MIN_RATE);
      const rate = health.minRate === undefined ? '?' : health.minRate.toFixed(3);
      ctx.log(`  ${name} @${health.streams}: ${health.live} live, ${health.slowPublishers} slow publishers (min rate ${rate}); server ${serverPct.toFixed(0)}% CPU, generator ${genPct.toFixed(0)}%, bench (playlist monitor) ${benchPct.toFixed(0)}%, machine ${idlePct.toFixed(0)}% idle, load ${loadavg()[0]!.toFixed(2)}`);
      if (health.live < health.streams || health.slowPublishers > 0) {
        result.why = `at ${health.streams}: ${health.streams - health.live} not live, ${health.slowPublishers} publishers < ${MIN_RATE}x${health.detail ? ` (${health.detail.slice(0, 80)})` : ''}`;
        if (server instanceof NginxServer) {
          const tail = server.errorLogTail().trim();
          if (tail) ctx.log(`  nginx error.log: ${tail.split('\n').slice(-3).join(' | ').slice(-400)}`);
        }
        break;
      }
      Object.assign(result, { lastHealthy: health.streams, generatorPct: genPct, serverPct, idlePct });
    }
  } finally {
    await farm.stop();
    await generator.stop();
  }
  return result;
}

export async function measureMaxStreamsWorkers(ctx: BenchContext): Promise<ResultRow[]> {
  const cap = ctx.workersCap;
  const metrics = [{ metric: workersMaxMetric, unit: 'streams' }, { metric: generatorCpuMetric, unit: '%' }];
  const rows: ResultRow[] = [];
  const report = (name: string, r: RampResult, out: ResultRow[]): void => {
    ctx.log(`  ${name}: last healthy ${r.lastHealthy}; stopped: ${r.why}`);
    const capped = r.lastHealthy >= cap;
    out.push({ ...row(workersMaxMetric, name, r.lastHealthy, 'streams', `${r.lastHealthy}${capped ? '+ (cap)' : ''}`, r.why), atLimit: capped });
    out.push(row(generatorCpuMetric, name, r.generatorPct, '%',
      r.lastHealthy === 0 ? 'n/a' : `${r.generatorPct.toFixed(0)}% of a core @${r.lastHealthy} (server ${r.serverPct.toFixed(0)}% of ${WORKERS * 100}%, machine ${r.idlePct.toFixed(0)}% idle)`));
  };
  const step = workersStep(cap);
  for (const name of ['nginx-hls', 'onair'] as const) {
    if (!ctx.servers.includes(name)) continue;
    ctx.log(`workers: ${name} with ${WORKERS} workers, +${step} streams every ${STEP_MS / 1000} s up to ${cap} or ${MAX_RAMP_MS / 60_000} min, one fan-out publisher`);
    if (name === 'nginx-hls') {
      // (withServer notes nginx's description: "nginx + nginx-rtmp, 2 workers, ...")
      const result = await withServer(ctx, name, metrics, async (server, out) => report(name, await ramp(ctx, name, server, cap), out), () => new NginxServer(WORKERS));
      rows.push(...result.rows);
      continue;
    }
    if (!onairHasWorkersFlag()) {
      const err = new Error('onair serve has no --workers yet');
      ctx.log(`  onair: ${err.message}`);
      rows.push(...metrics.map((m) => errorRow(m.metric, name, m.unit, err)));
      continue;
    }
    let pg: Awaited<ReturnType<typeof startBenchPostgres>> | undefined;
    try {
      pg = await startBenchPostgres();
      const db = await pg.createDatabase('bench_workers');
      const result = await withServer(ctx, name, metrics, async (server, out) => {
        // --workers is only in effect when the primary forked its workers: count the processes of the tree
        await waitFor(`${WORKERS} onair workers`, () => (nodeProcesses(server.rootPid()) >= WORKERS + 1 ? true : undefined), 20_000, 250)
          .catch(() => {
            throw new Error(`--workers ${WORKERS} not in effect: onair runs as ${nodeProcesses(server.rootPid())} node process(es)`);
          });
        report(name, await ramp(ctx, name, server, cap), out);
      }, () => new OnairServer({
        recording: false,
        args: ['--workers', String(WORKERS), '--database', db],
        // no connection cap in the way of the ramp (the default is 1000 RTMP connections)
        env: { ONAIR_RTMP_MAX_CONNECTIONS: '0' },
      }));
      ctx.descriptions.set('onair (workers)', `${result.description}, --workers ${WORKERS}, Postgres 15 (throwaway, fsync off)`);
      rows.push(...result.rows);
    } catch (err) {
      ctx.log(`  onair: ${err instanceof Error ? err.message : String(err)}`);
      rows.push(...metrics.map((m) => errorRow(m.metric, name, m.unit, err)));
    } finally {
      await pg?.stop();
    }
  }
  return rows;
}
