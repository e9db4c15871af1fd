/**
 * The onair benchmark suite: onair side by side with nginx-rtmp (HLS) and node-media-server on this machine,
 * and for SRT ingest with srt-live-transmit relaying the same input (a floor: it does no packaging).
 * Usage: npm run bench -- [--quick] [--only cpu,max,latency,rps,srt] [--servers onair,nginx-hls,nms] [--max-cap 150]
 * The cluster rows of issue 11 run only when named: --only workers (2 workers each: onair on Postgres vs nginx-rtmp),
 * --only edge (viewers through an edge node).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { measureCpuPerStream, cpuMetric, memMetric } from './cpu-per-stream.js';
import { measureDbStall, stallIncreaseMetric } from './db-stall.js';
import { measureDvrMemory, dvrSlopeMetric } from './dvr-memory.js';
import { measureRecording } from './recording.js';
import { measureGlassToGlass, latencyP50Metric, latencyP95Metric } from './glass-to-glass.js';
import { measureMaxStreams, maxStreamsMetric } from './max-streams.js';
import { measureMaxStreamsWorkers, workersMaxMetric } from './max-streams-workers.js';
import { measureEdgeViewers, edgeGrowthMetric, EDGE_LEVELS } from './edge-viewers.js';
import { measurePlaybackRps, playlistRpsMetric, segmentRpsMetric } from './playback-rps.js';
import { measureSrtIngest } from './srt-ingest.js';
import { measureLadder, ladderCpuRatioMetric, ladderLatencyMetric } from './ladder.js';
import { RELAY_NAME } from './peers/srt-relay.js';
import type { BenchContext } from './lib/bench-context.js';
import { stopAll } from './lib/child-registry.js';
import { buildOnair, useExistingBuild } from './lib/onair-build.js';
import { renderTable, type ResultRow, type Target } from './lib/results.js';
import { ensureClip, ensureDir, outDir } from './lib/test-clip.js';
import type { ServerName } from './peers/media-server.js';

const MEASUREMENTS = {
  cpu: (ctx: BenchContext) => measureCpuPerStream(ctx, 'cpu'),
  // the memory row alone (the cpu measurement makes it too: with both, mem does not run again)
  mem: (ctx: BenchContext) => measureCpuPerStream(ctx, 'mem'),
  recording: measureRecording,
  dbstall: measureDbStall,
  dvr: measureDvrMemory,
  max: measureMaxStreams,
  latency: measureGlassToGlass,
  rps: measurePlaybackRps,
  srt: measureSrtIngest,
  ladder: measureLadder,
  workers: measureMaxStreamsWorkers,
  edge: measureEdgeViewers,
} as const;
type MeasurementName = keyof typeof MEASUREMENTS;

const ALL_SERVERS: ServerName[] = ['onair', 'nginx-hls', 'nms'];

/** The issues' targets; ratios are onair over nginx-hls. The many-streams ones are for 40 streams (--streams; indicative only below). */
const targets = (streams: number): Target[] => [
  { metric: cpuMetric(streams), text: '<= 1.0x nginx-hls', check: (o, n) => (n === null ? null : o <= 1.0 * n) },
  { metric: cpuMetric(1), text: '<= 2x nginx-hls', check: (o, n) => (n === null ? null : o <= 2 * n) },
  { metric: memMetric(streams), text: '<= 4 MB', check: (o) => o <= 4 },
  { metric: stallIncreaseMetric, text: '<= 50 ms', check: (o) => o <= 50 },
  { metric: dvrSlopeMetric, text: 'flat (< 1 MB/min)', check: (o) => o < 1 },
  { metric: maxStreamsMetric, text: '>= 1.5x nginx-hls', check: (o, n) => (n === null ? null : o >= 1.5 * n) },
  { metric: workersMaxMetric, text: '>= 1.5x nginx-hls (2 workers)', check: (o, n) => (n === null ? null : o >= 1.5 * n) },
  { metric: edgeGrowthMetric, text: '<= 1.2x', check: (o) => o <= 1.2 },
  { metric: latencyP50Metric, text: '< 1.5 s', check: (o) => o < 1.5 },
  { metric: latencyP95Metric, text: '< 2.5 s', check: (o) => o < 2.5 },
  { metric: ladderCpuRatioMetric, text: '<= 1.1x plain ffmpeg', check: (o) => o <= 1.1 },
  { metric: ladderLatencyMetric, text: '<= 0.5 s', check: (o) => o <= 0.5 },
  { metric: playlistRpsMetric, text: '>= 0.8x nginx', check: (o, n) => (n === null ? null : o >= 0.8 * n) },
  { metric: segmentRpsMetric, text: '>= 0.8x nginx', check: (o, n) => (n === null ? null : o >= 0.8 * n) },
];

interface Options {
  quick: boolean;
  maxCap: number;
  workersCap: number;
  only: MeasurementName[];
  servers: ServerName[];
  /** compile onair into bench/out/dist first (default; --no-build: tsx or dist/ as before) */
  build: boolean;
  streams?: number;
  minutes?: number;
  window?: number;
}

function intArg(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} needs an integer ${min}..${max}`);
  return n;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, maxCap: 150, workersCap: 1000, only: Object.keys(MEASUREMENTS) as MeasurementName[], servers: ALL_SERVERS, build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--streams') options.streams = intArg(arg, argv[++i], 1, 500);
    else if (arg === '--minutes') options.minutes = intArg(arg, argv[++i], 1, 600);
    else if (arg === '--window') options.window = intArg(arg, argv[++i], 2, 600);
    else if (arg === '--max-cap') {
      options.maxCap = Number(argv[++i]);
      if (!Number.isInteger(options.maxCap) || options.maxCap < 10 || options.maxCap > 1000) throw new Error('--max-cap needs an integer 10..1000');
    } else if (arg === '--workers-cap') options.workersCap = intArg(arg, argv[++i], 10, 3000);
    else if (arg === '--only' || arg === '--servers') {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a value`);
      const names = value.split(',');
      if (arg === '--only') {
        for (const name of names) if (!(name in MEASUREMENTS)) throw new Error(`--only: unknown ${name} (${Object.keys(MEASUREMENTS).join(', ')})`);
        options.only = names as MeasurementName[];
      } else {
        for (const name of names) if (!ALL_SERVERS.includes(name as ServerName)) throw new Error(`--servers: unknown ${name} (${ALL_SERVERS.join(', ')})`);
        options.servers = names as ServerName[];
      }
    } else if (arg === '--help' || arg === '-h') {
      console.log('npm run bench -- [--quick] [--only cpu,mem,recording,dbstall,dvr,max,latency,rps,srt,ladder,workers,edge] [--servers onair,nginx-hls,nms] [--max-cap 150] [--workers-cap 1000] [--no-build] [--streams 40] [--window 40] [--minutes 30]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  // "--quick: fewer streams, shorter windows, skip the ramp" unless the ramp is asked for by name.
  if (options.quick && !argv.includes('--only')) options.only = options.only.filter((m) => m !== 'max');
  // the long DVR session and the cluster rows (Postgres, a 2-worker ramp) run only when asked for by name; cpu makes the memory row too
  if (!argv.includes('--only')) options.only = options.only.filter((m) => m !== 'dvr' && m !== 'workers' && m !== 'edge');
  if (options.only.includes('cpu')) options.only = options.only.filter((m) => m !== 'mem');
  return options;
}

function notes(options: Options, descriptions: Map<string, string>): string[] {
  const lines = [
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; all servers, publishers, pollers and wrk share these cores.`,
    'publishers: ffmpeg -re -stream_loop -1 -c copy of bench/out/clip.flv (720p30 H.264/AAC ~3 Mbit/s, 1 s GOP); their CPU is not counted but it competes (matters most for max streams).',
    'CPU: utime+stime of the server process tree (nginx master+worker; NMS node + its ffmpeg per stream; onair node + children) over the window.',
    `max streams: +${Math.max(10, Math.ceil(options.maxCap / 15 / 10) * 10)} every 15 s up to ${options.maxCap} (--max-cap) / 5 min; healthy = every playlist advancing within 6 s and every publisher >= 0.95x real time; "N+ (cap)" = still healthy at the cap.`,
    'rps: wrk -t2 -c200 against the newest media playlist / newest full segment with one live stream; 2xx only; one nginx worker.',
  ];
  if (options.only.includes('cpu') || options.only.includes('mem')) {
    lines.push('onair streams of the cpu/mem rows are created with enableRecording: false and run with ONAIR_TRANSCODE=off (nginx-hls records and transcodes nothing); the recording row measures recording.');
    lines.push('memory MB/stream: (PSS of the server tree with N streams - PSS before the first stream) / N; nginx-hls also counts its HLS files on tmpfs (its live window lives there, onair\'s in its heap).');
  }
  if (options.only.includes('dbstall')) {
    lines.push(`dbstall: ONAIR_BENCH_HEADERS=1; blocking playlist requests (_HLS_msn/_HLS_part, next part) on 8 of the streams; delay = answer arrival - x-onair-part-ready; "part completion late" = gap between consecutive parts' completion minus the part's DURATION (an ingest stalled by the event loop shows there). API load: open loop, 40% GET stream, 15% list, 10% viewer-count, 25% PATCH metadata, 5% create, 5% delete; recording on (a manifest row per segment).`);
  }
  if (options.only.includes('dvr')) {
    lines.push('dvr: 4 streams with enableDvrMode, one viewer per stream polling the DVR playlist every 2 s; PSS of the onair process every 15 s. V8 lets its old space grow towards --initial-old-space-size (128 MB) before full collections, so the first minutes rise by design: judge the second half of a long (30 min) run.');
  }
  if (options.only.includes('srt')) {
    lines.push(`SRT: publishers send the same clip as MPEG-TS (ffmpeg -f mpegts, AES-128 passphrase, libsrt default 120 ms latency). onair column = SRT ingest + LL-HLS packaging (+ the 2 s playlist polls), CPU of its process tree; ${RELAY_NAME} column = one relay process per stream, SRT listener -> UDP sink in the bench, summed CPU of the relays: no demux, no packaging, so a floor, not a like-for-like peer. Latency: the clock stream published over SRT, played by Chromium + hls.js (LL mode), with the ${options.quick ? 5 : 10} SRT CPU streams still running.`);
  }
  if (options.only.includes('workers')) {
    lines.push(`workers: onair serve --workers 2 --database postgres://... (throwaway Postgres 15, fsync off; ONAIR_TRANSCODE=off, enableRecording false) vs nginx-rtmp worker_processes 2 (HLS TS on tmpfs), one after the other; all cap streams created before the ramp (onair: through its API, so that API latency on a saturated machine does not end the ramp); +${Math.max(10, Math.ceil(options.workersCap / 25 / 10) * 10)} streams every 15 s up to ${options.workersCap} (--workers-cap) / 10 min, same health rule as max streams. Load: ONE fan-out publisher process (bench/lib/fanout-publisher.ts) reads the clip once and paces it in real time to every RTMP URL (same tag bytes for all, ffmpeg's command sequence); its CPU is the "load generator CPU" row. The playlist monitor (2 s polls) runs in the bench process.`);
  }
  if (options.only.includes('edge')) {
    lines.push(`edge: two onair nodes (--workers 1 each when the flag exists) on one throwaway Postgres, one stream published to node A with ffmpeg, simulated LL-HLS viewers on node B (blocking playlist reload _HLS_msn/_HLS_part for the next part, then that part; a keep-alive connection each, a minimal HTTP/1.1 client, all in the bench process) at ${EDGE_LEVELS.join(', ')} viewers; origin req/s = onair_playback_requests_total of node A per second (only B talks to A), over a ${options.quick ? 8 : Math.min(20, options.window ?? 40)} s window after ${options.quick ? 3 : 6} s of settling; node B CPU = its process tree, % of one core; growth = origin req/s at ${EDGE_LEVELS[EDGE_LEVELS.length - 1]} viewers / at ${EDGE_LEVELS[0]}.`);
  }
  if (options.quick) lines.push('--quick: 1 and 5 streams, 8 s CPU windows, no ramp, 5 s wrk slices, 5 background streams for latency (SRT: 1 and 5 streams, 8 s windows, 10 s of latency samples).');
  for (const [name, description] of descriptions) lines.push(`${name}: ${description}`);
  return lines;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);
  ensureDir(outDir);
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
  const clipPath = await ensureClip(log);
  // BENCH_REUSE_BUILD=1: keep bench/out/dist as it is (A/B runs of a hand-edited build)
  if (process.env.BENCH_REUSE_BUILD === '1' && useExistingBuild()) log('reusing bench/out/dist');
  else if (options.build && options.servers.includes('onair')) buildOnair(log);
  const descriptions = new Map<string, string>();
  const ctx: BenchContext = {
    quick: options.quick, clipPath, servers: options.servers, log, descriptions, maxStreamsCap: options.maxCap, workersCap: options.workersCap,
    streams: options.streams ?? (options.quick ? 5 : 40),
    minutes: options.minutes ?? (options.quick ? 3 : 30),
    windowS: options.window ?? (options.quick ? 8 : 40),
  };
  log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rows: ResultRow[] = [];
  for (const name of options.only) {
    try {
      rows.push(...(await MEASUREMENTS[name](ctx)));
    } catch (err) {
      log(`${name}: failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }
  // The SRT relay is a column of its own, only when its rows are there.
  const columns: string[] = [...options.servers, ...(rows.some((r) => r.server === RELAY_NAME) ? [RELAY_NAME] : [])];
  const table = renderTable(rows, columns, targets(ctx.streams));
  const noteLines = notes(options, descriptions);
  noteLines.push(`load average (1/5/15 min) before: ${loadBefore}, after: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores; other work on the machine shows here)`);
  console.log(`\n${table}\n\nnotes:\n${noteLines.map((l) => `- ${l}`).join('\n')}`);
  const resultsPath = join(outDir, 'results.json');
  writeFileSync(resultsPath, `${JSON.stringify({
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    options,
    rows,
    targets: targets(ctx.streams).map((t) => ({ metric: t.metric, target: t.text })),
    notes: noteLines,
    table,
  }, null, 2)}\n`);
  console.log(`\nwrote ${resultsPath} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
  });
