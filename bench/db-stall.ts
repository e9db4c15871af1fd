/**
 * Issue 8's "the database must not stall the media" row (`--only dbstall`, onair only). N live streams (default 40,
 * recording on as the API creates them, so every segment also writes a manifest row); on K of them a watcher keeps
 * one LL-HLS blocking playlist request (`_HLS_msn`/`_HLS_part`) open for the next part. onair runs with
 * ONAIR_BENCH_HEADERS=1, so each answer carries `x-onair-part-ready` (ms since epoch, when the packager completed that
 * part); the delay is the answer's arrival in the bench minus that. First a window without API load, then a window
 * with 300 API requests per second (open loop, mixed reads and writes on the same streams): p50/p99 of both and the
 * p99 increase (target: at most 50 ms).
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { withServer, type BenchContext } from './lib/bench-context.js';
import { cpuSecondsBetween, snapshotCpu } from './lib/proc-cpu.js';
import { percentile, row, type ResultRow } from './lib/results.js';
import { StreamFarm } from './lib/stream-farm.js';
import { sleep } from './lib/wait.js';
import type { MediaServer } from './peers/media-server.js';
import { OnairServer } from './peers/onair-server.js';

export const WATCHED_STREAMS = 8;
export const API_RATE = 300;
export const stallMetric = (load: boolean): string => `blocking part delay p50/p99, ${load ? `${API_RATE} API req/s` : 'no API load'}`;
export const stallIncreaseMetric = `blocking part delay p99 increase with ${API_RATE} API req/s`;

/**
 * The next part a blocking request should wait for, from a media playlist: the open segment's msn is
 * EXT-X-MEDIA-SEQUENCE + the number of full segments listed, and its next part index is the number of
 * EXT-X-PART lines after the last segment URI.
 */
export function nextPart(text: string): { msn: number; part: number } | undefined {
  const sequence = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  if (!sequence) return undefined;
  let segments = 0;
  let partsAfter = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-PART:')) partsAfter++;
    else if (!line.startsWith('#')) {
      segments++;
      partsAfter = 0;
    }
  }
  return { msn: Number(sequence[1]) + segments, part: partsAfter };
}

/** DURATION of the last EXT-X-PART of a playlist (the part a blocking request waited for), seconds. */
export function lastPartDuration(text: string): number | undefined {
  const at = text.lastIndexOf('#EXT-X-PART:');
  if (at < 0) return undefined;
  const m = /DURATION=([\d.]+)/.exec(text.slice(at, text.indexOf('\n', at) >>> 0));
  return m ? Number(m[1]) : undefined;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the response head arrived */
  arrival: number;
}

function httpRequest(agent: Agent, url: string, method = 'GET', headers: Record<string, string> = {}, body?: string, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, timeout: timeoutMs }, (res) => {
      const arrival = Date.now();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), arrival }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

class Samples {
  readonly delays: number[] = [];
  /**
   * Completion gap minus the part's duration, for consecutive parts: a stalled event loop delays the
   * ingest (the part completes late) rather than the answer, and shows here (publisher jitter too).
   */
  readonly gaps: number[] = [];
  missingHeader = 0;
  errors = 0;
}

/** A watcher: keeps one blocking request open on `playlistUrl` for the next part, records the delays into `sink()`. */
async function watch(agent: Agent, playlistUrl: string, running: () => boolean, sink: () => Samples | undefined): Promise<void> {
  let next: { msn: number; part: number } | undefined;
  let prevReady: number | undefined;
  while (running()) {
    try {
      const url = next ? `${playlistUrl}?_HLS_msn=${next.msn}&_HLS_part=${next.part}` : playlistUrl;
      const answer = await httpRequest(agent, url);
      const samples = sink();
      if (answer.status !== 200) {
        if (samples) samples.errors++;
        next = undefined;
        prevReady = undefined;
        await sleep(200);
        continue;
      }
      const ready = answer.headers['x-onair-part-ready'];
      if (next && samples) {
        if (typeof ready === 'string') {
          samples.delays.push(answer.arrival - Number(ready));
          const duration = lastPartDuration(answer.body);
          if (prevReady !== undefined && duration !== undefined) samples.gaps.push(Number(ready) - prevReady - duration * 1000);
        } else samples.missingHeader++;
      }
      prevReady = next && typeof ready === 'string' ? Number(ready) : undefined;
      next = nextPart(answer.body);
    } catch {
      const samples = sink();
      if (samples) samples.errors++;
      next = undefined;
      prevReady = undefined;
      await sleep(200);
    }
  }
}

interface ApiLoad {
  sent: number;
  ok: number;
  failed: number;
  latencies: number[];
  statuses: Map<number, number>;
}

/** Open-loop API traffic at `rate` req/s until `running()` is false: reads (one stream, the list, viewer count) and writes (PATCH metadata, create + delete). */
async function apiLoad(server: OnairServer, rate: number, running: () => boolean): Promise<ApiLoad> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const load: ApiLoad = { sent: 0, ok: 0, failed: 0, latencies: [], statuses: new Map() };
  const ids = [...server.streamIds];
  const created: string[] = [];
  const auth = { authorization: server.authorization() };
  const api = server.apiOrigin();
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const one = (i: number): void => {
    if (inFlight > 400) {
      load.failed++;
      return;
    }
    const id = ids[i % ids.length]!;
    const pick = i % 20;
    let method = 'GET';
    let url = `${api}/v1/live/streams/${id}`;
    let body: string | undefined;
    if (pick < 8) { /* GET one stream */ } else if (pick < 11) url = `${api}/v1/live/streams?limit=10&offset=${1 + (i % 3)}`;
    else if (pick < 13) url = `${api}/v1/live/streams/${id}/viewer-count`;
    else if (pick < 18) {
      method = 'PATCH';
      body = JSON.stringify({ metadata: { bench: String(i) } });
    } else if (pick === 18 || created.length === 0) {
      method = 'POST';
      url = `${api}/v1/live/streams`;
      body = JSON.stringify({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { maxResolution: '1080p' } });
    } else {
      method = 'DELETE';
      url = `${api}/v1/live/streams/${created.shift()!}`;
    }
    const started = Date.now();
    inFlight++;
    load.sent++;
    const p = httpRequest(agent, url, method, auth, body).then((answer) => {
      load.statuses.set(answer.status, (load.statuses.get(answer.status) ?? 0) + 1);
      if (answer.status >= 200 && answer.status < 300) {
        load.ok++;
        load.latencies.push(Date.now() - started);
        if (method === 'POST') {
          const newId = (JSON.parse(answer.body) as { data?: { streamId?: string } }).data?.streamId;
          if (newId) created.push(newId);
        }
      } else load.failed++;
    }, () => { load.failed++; }).finally(() => {
      inFlight--;
      pending.delete(p);
    });
    pending.add(p);
  };
  const started = Date.now();
  let i = 0;
  while (running()) {
    // open loop: as many requests as the elapsed time calls for, whatever the answers do
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (i < due) one(i++);
    await sleep(5);
  }
  await Promise.all([...pending]);
  agent.destroy();
  return load;
}

function summary(s: Samples): { p50: number; p99: number; gapP99: number; text: string } {
  const sorted = [...s.delays].sort((a, b) => a - b);
  const gaps = [...s.gaps].sort((a, b) => a - b);
  const gapP99 = percentile(gaps, 99);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const extra = [s.missingHeader > 0 ? `${s.missingHeader} without header` : '', s.errors > 0 ? `${s.errors} errors` : ''].filter(Boolean).join(', ');
  return { p50, p99, gapP99, text: `${p50.toFixed(0)} / ${p99.toFixed(0)} ms (n=${sorted.length}, max ${sorted[sorted.length - 1]?.toFixed(0) ?? '-'}; part completion late p99 ${gapP99.toFixed(0)} ms${extra ? `, ${extra}` : ''})` };
}

export async function measureDbStall(ctx: BenchContext): Promise<ResultRow[]> {
  const n = ctx.streams;
  const watched = Math.min(WATCHED_STREAMS, n);
  const warmupMs = ctx.quick ? 4_000 : 10_000;
  const windowMs = ctx.windowS * 1000;
  const metrics = [{ metric: stallMetric(false), unit: 'ms' }, { metric: stallMetric(true), unit: 'ms' }, { metric: stallIncreaseMetric, unit: 'ms' }];
  ctx.log(`dbstall: onair, ${n} streams, blocking part requests on ${watched}, ${windowMs / 1000} s without then with ${API_RATE} API req/s`);
  let onair: OnairServer | undefined;
  const make = (): MediaServer => (onair = new OnairServer({ env: { ONAIR_BENCH_HEADERS: '1' } }));
  const result = await withServer(ctx, 'onair', metrics, async (server, out) => {
    const farm = new StreamFarm(server, ctx.clipPath, 600);
    const agent = new Agent({ keepAlive: true, maxSockets: watched * 2 });
    let running = true;
    let current: Samples | undefined;
    const watchers: Promise<void>[] = [];
    try {
      await farm.add(n);
      await farm.waitAllLive(30_000);
      for (const endpoints of farm.endpoints.slice(0, watched)) {
        watchers.push(watch(agent, endpoints.playUrl.replace(/\.m3u8$/, '/media.m3u8'), () => running, () => current));
      }
      await sleep(warmupMs);
      const quiet = new Samples();
      current = quiet;
      const cpu0 = snapshotCpu(server.rootPid());
      await sleep(windowMs);
      const cpu1 = snapshotCpu(server.rootPid());
      const loaded = new Samples();
      let loading = true;
      current = loaded;
      const loadRun = apiLoad(onair!, API_RATE, () => loading);
      await sleep(windowMs);
      const cpu2 = snapshotCpu(server.rootPid());
      loading = false;
      current = undefined;
      const load = await loadRun;
      // onair's CPU for the API traffic: the loaded window minus the quiet one, per answered request
      const apiCpuUs = ((cpuSecondsBetween(cpu1, cpu2) - cpuSecondsBetween(cpu0, cpu1)) / Math.max(1, load.ok)) * 1e6;
      const a = summary(quiet);
      const b = summary(loaded);
      const apiSorted = [...load.latencies].sort((x, y) => x - y);
      const apiNote = `API: ${(load.sent / (windowMs / 1000)).toFixed(0)} req/s sent, ${load.ok} ok, ${load.failed} failed, ~${apiCpuUs.toFixed(0)} us onair CPU/request, p50 ${percentile(apiSorted, 50).toFixed(0)} ms, p99 ${percentile(apiSorted, 99).toFixed(0)} ms; statuses ${[...load.statuses].map(([s, c]) => `${s}:${c}`).join(' ')}`;
      ctx.log(`  no load: ${a.text}`);
      ctx.log(`  ${API_RATE} API req/s: ${b.text}`);
      ctx.log(`  ${apiNote}`);
      if (quiet.delays.length === 0 || loaded.delays.length === 0) throw new Error('no blocking answers with x-onair-part-ready (is ONAIR_BENCH_HEADERS honoured?)');
      out.push(row(stallMetric(false), 'onair', a.p99, 'ms', a.text));
      out.push(row(stallMetric(true), 'onair', b.p99, 'ms', b.text, apiNote));
      const increase = b.p99 - a.p99;
      out.push(row(stallIncreaseMetric, 'onair', increase, 'ms', `${increase >= 0 ? '+' : ''}${increase.toFixed(0)} ms (${apiNote.split(';')[0]})`));
    } finally {
      running = false;
      current = undefined;
      await farm.stop();
      await Promise.race([Promise.all(watchers), sleep(15_000)]);
      agent.destroy();
    }
  }, make);
  return result.rows;
}
