/**
 * Issue 11 (scale-out), viewers through an edge node: two onair nodes on one Postgres (node A owns the stream, its
 * encoder publishes there; node B has none and proxies A's live edge), simulated LL-HLS viewers on node B at
 * 1, 10, 100 and 400 viewers. Per level: the requests per second node A's playback listener answers (its
 * onair_playback_requests_total: every one of them came from B), B's own count of origin fetches, B's CPU and how
 * well the viewers kept up. Done when the origin's requests per second do not grow with the viewers on the edge.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BenchContext } from './lib/bench-context.js';
import { startBenchPostgres } from './lib/bench-postgres.js';
import { makeTempDir, removeTempDir } from './lib/child-registry.js';
import { fetchMediaPlaylist } from './lib/hls-playlist.js';
import { LlHlsViewer } from './lib/ll-hls-viewer.js';
import { cpuSecondsBetween, snapshotCpu } from './lib/proc-cpu.js';
import { fetchMetrics, sumMetric } from './lib/prom-text.js';
import { Publisher } from './lib/publisher.js';
import { errorRow, formatNumber, row, type ResultRow } from './lib/results.js';
import { benchDir } from './lib/test-clip.js';
import { sleep, waitFor } from './lib/wait.js';
import { OnairServer } from './peers/onair-server.js';

export const EDGE_LEVELS = [1, 10, 100, 400] as const;
export const edgeOriginMetric = (viewers: number): string => `edge: origin req/s @${viewers} viewer${viewers === 1 ? '' : 's'} on B`;
export const edgeCpuMetric = (viewers: number): string => `edge: node B CPU @${viewers} viewer${viewers === 1 ? '' : 's'}`;
export const edgeGrowthMetric = `edge: origin req/s growth ${EDGE_LEVELS[0]} -> ${EDGE_LEVELS[EDGE_LEVELS.length - 1]} viewers`;

/** Whether this tree's `onair serve` knows --workers (issue 11's other half; until then each node is one process anyway). */
export function onairHasWorkersFlag(): boolean {
  const config = join(benchDir, '..', 'src', 'config.ts');
  return existsSync(config) && readFileSync(config, 'utf8').includes("'--workers");
}

/** origin req/s at the most viewers over origin req/s at one viewer */
export function growth(perLevel: ReadonlyMap<number, number>): number | undefined {
  const first = perLevel.get(EDGE_LEVELS[0]);
  const last = perLevel.get(EDGE_LEVELS[EDGE_LEVELS.length - 1]);
  if (first === undefined || last === undefined || first <= 0) return undefined;
  return last / first;
}

interface LevelFigures {
  originRps: number;
  /** B's onair_edge_origin_fetches_total per second (its own view of the same traffic), and its playlist part */
  edgeFetchRps: number;
  edgePlaylistRps: number;
  /** requests B's playback listener answered per second (what the viewers cost it) */
  servedRps: number;
  bCpuPct: number;
  /** the bench process (all the viewers) */
  viewersCpuPct: number;
  partsPerViewerS: number;
  lateViewers: number;
  errors: number;
  lastError: string;
}

export async function measureEdgeViewers(ctx: BenchContext): Promise<ResultRow[]> {
  const metrics = [...EDGE_LEVELS.flatMap((n) => [edgeOriginMetric(n), edgeCpuMetric(n)]), edgeGrowthMetric];
  if (!ctx.servers.includes('onair')) return [];
  const settleMs = ctx.quick ? 3000 : 6000;
  const windowMs = (ctx.quick ? 8 : Math.min(20, ctx.windowS)) * 1000;
  const workers = onairHasWorkersFlag() ? ['--workers', '1'] : [];
  const rows: ResultRow[] = [];
  const token = { id: 'bench', secret: randomBytes(24).toString('hex') };
  let pg: Awaited<ReturnType<typeof startBenchPostgres>> | undefined;
  const store = makeTempDir('onair-bench-edge-store-');
  const nodes: OnairServer[] = [];
  let publisher: Publisher | undefined;
  const viewers: LlHlsViewer[] = [];
  try {
    pg = await startBenchPostgres();
    const db = await pg.createDatabase('bench_edge');
    const node = (name: string): OnairServer => new OnairServer({
      recording: false, token,
      // one data store for both (object storage in a real cluster); the live edge itself is proxied from A's memory
      args: ['--database', db, '--node-name', name, '--storage', store, ...workers],
    });
    const a = node('edge-a');
    nodes.push(a);
    await a.start();
    const b = node('edge-b');
    nodes.push(b);
    await b.start();
    ctx.log(`edge: nodes A (${a.playbackOrigin()}) and B (${b.playbackOrigin()}) on one Postgres${workers.length ? ', --workers 1 each' : ''}`);
    ctx.descriptions.set('onair', a.description);
    const stream = await a.createStream();
    publisher = new Publisher(ctx.clipPath, stream.publishUrl, 3600);
    const viaB = stream.playUrl.replace(a.playbackOrigin(), b.playbackOrigin());
    await waitFor('the stream live through node B', async () => {
      if (publisher?.exited) throw new Error(`publisher exited: ${publisher.lastError}`);
      const info = await fetchMediaPlaylist(viaB);
      return info.segments.length >= 2 ? true : undefined;
    }, 45_000, 500);

    const originRps = new Map<number, number>();
    for (const level of EDGE_LEVELS) {
      while (viewers.length < level) {
        const viewer = new LlHlsViewer(viaB);
        viewers.push(viewer);
        viewer.start();
        // spread the joins over ~2 s, as viewers arrive
        if (level > 1) await sleep(Math.max(1, 2000 / level));
      }
      await sleep(settleMs);
      const figures = await measureWindow(a, b, viewers, windowMs);
      originRps.set(level, figures.originRps);
      ctx.log(`  edge @${level}: A answered ${figures.originRps.toFixed(1)} req/s (B fetched ${figures.edgeFetchRps.toFixed(1)}/s, ${figures.edgePlaylistRps.toFixed(1)} of them playlists), B served ${figures.servedRps.toFixed(0)} req/s at ${figures.bCpuPct.toFixed(0)}% CPU; viewers ${figures.partsPerViewerS.toFixed(2)} parts/s each, ${figures.lateViewers} late, ${figures.errors} errors${figures.lastError ? ` (${figures.lastError.slice(0, 100)})` : ''}; bench (viewers) ${figures.viewersCpuPct.toFixed(0)}% CPU`);
      const health = `${formatNumber(figures.partsPerViewerS)} parts/s per viewer, ${figures.lateViewers}/${level} late${figures.errors ? `, ${figures.errors} errors` : ''}`;
      rows.push(row(edgeOriginMetric(level), 'onair', figures.originRps, 'req/s',
        `${formatNumber(figures.originRps)} req/s (B: ${formatNumber(figures.servedRps)} req/s served; ${health})`));
      rows.push(row(edgeCpuMetric(level), 'onair', figures.bCpuPct, '%', `${figures.bCpuPct.toFixed(0)}% of a core (viewers in the bench: ${figures.viewersCpuPct.toFixed(0)}%)`));
    }
    const g = growth(originRps);
    rows.push(row(edgeGrowthMetric, 'onair', g ?? null, 'x', g === undefined ? 'n/a' : `${g.toFixed(2)}x`));
  } catch (err) {
    ctx.log(`  edge: ${err instanceof Error ? err.message : String(err)}${nodes.length ? ` | ${nodes.map((n) => n.tail()).join(' | ')}` : ''}`);
    for (const metric of metrics) if (!rows.some((r) => r.metric === metric)) rows.push(errorRow(metric, 'onair', '', err));
  } finally {
    await Promise.all(viewers.map((v) => v.stop()));
    await publisher?.stop();
    for (const n of nodes.reverse()) await n.stop().catch(() => undefined);
    removeTempDir(store);
    await pg?.stop();
  }
  return rows;
}

async function measureWindow(a: OnairServer, b: OnairServer, viewers: LlHlsViewer[], windowMs: number): Promise<LevelFigures> {
  const count = (): { parts: number; errors: number; late: number[] } => ({
    parts: viewers.reduce((s, v) => s + v.parts, 0),
    errors: viewers.reduce((s, v) => s + v.errors, 0),
    late: viewers.map((v) => v.late),
  });
  const [aBefore, bBefore] = await Promise.all([fetchMetrics(a.apiOrigin()), fetchMetrics(b.apiOrigin())]);
  const cpuBefore = snapshotCpu(b.rootPid());
  const benchBefore = process.cpuUsage();
  const before = count();
  const started = Date.now();
  await sleep(windowMs);
  const seconds = (Date.now() - started) / 1000;
  const after = count();
  const benchCpu = process.cpuUsage(benchBefore);
  const cpuAfter = snapshotCpu(b.rootPid());
  const [aAfter, bAfter] = await Promise.all([fetchMetrics(a.apiOrigin()), fetchMetrics(b.apiOrigin())]);
  const delta = (x: string, y: string, name: string): number => sumMetric(y, name) - sumMetric(x, name);
  return {
    originRps: delta(aBefore, aAfter, 'onair_playback_requests_total') / seconds,
    edgeFetchRps: delta(bBefore, bAfter, 'onair_edge_origin_fetches_total') / seconds,
    edgePlaylistRps: (sumMetric(bAfter, 'onair_edge_origin_fetches_total', ['kind="playlist"']) - sumMetric(bBefore, 'onair_edge_origin_fetches_total', ['kind="playlist"'])) / seconds,
    servedRps: delta(bBefore, bAfter, 'onair_playback_requests_total') / seconds,
    bCpuPct: (cpuSecondsBetween(cpuBefore, cpuAfter) / seconds) * 100,
    viewersCpuPct: ((benchCpu.user + benchCpu.system) / 1e6 / seconds) * 100,
    partsPerViewerS: (after.parts - before.parts) / viewers.length / seconds,
    lateViewers: after.late.filter((l, i) => l > before.late[i]!).length,
    errors: after.errors - before.errors,
    lastError: after.errors > before.errors ? viewers.find((v) => v.lastError !== '')?.lastError ?? '' : '',
  };
}
