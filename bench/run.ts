/**
 * The onair benchmark suite: onair side by side with nginx-rtmp (HLS) and node-media-server on this machine,
 * and for SRT ingest with srt-live-transmit relaying the same input (a floor: it does no packaging).
 * Usage: npm run bench -- [--quick] [--only cpu,max,latency,rps,srt] [--servers onair,nginx-hls,nms] [--max-cap 150]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { measureCpuPerStream, cpuMetric } from './cpu-per-stream.js';
import { measureGlassToGlass, latencyP50Metric, latencyP95Metric } from './glass-to-glass.js';
import { measureMaxStreams, maxStreamsMetric } from './max-streams.js';
import { measurePlaybackRps, playlistRpsMetric, segmentRpsMetric } from './playback-rps.js';
import { measureSrtIngest } from './srt-ingest.js';
import { RELAY_NAME } from './peers/srt-relay.js';
import type { BenchContext } from './lib/bench-context.js';
import { stopAll } from './lib/child-registry.js';
import { renderTable, type ResultRow, type Target } from './lib/results.js';
import { ensureClip, ensureDir, outDir } from './lib/test-clip.js';
import type { ServerName } from './peers/media-server.js';

const MEASUREMENTS = {
  cpu: measureCpuPerStream,
  max: measureMaxStreams,
  latency: measureGlassToGlass,
  rps: measurePlaybackRps,
  srt: measureSrtIngest,
} as const;
type MeasurementName = keyof typeof MEASUREMENTS;

const ALL_SERVERS: ServerName[] = ['onair', 'nginx-hls', 'nms'];

/** The issue's targets; ratios are onair over nginx-hls. The CPU one is for 40 streams (5 in --quick, indicative only). */
const targets = (quick: boolean): Target[] => [
  { metric: cpuMetric(quick ? 5 : 40), text: '<= 0.8x nginx-hls', check: (o, n) => (n === null ? null : o <= 0.8 * n) },
  { metric: maxStreamsMetric, text: '>= 1.5x nginx-hls', check: (o, n) => (n === null ? null : o >= 1.5 * n) },
  { metric: latencyP50Metric, text: '< 1.5 s', check: (o) => o < 1.5 },
  { metric: latencyP95Metric, text: '< 2.5 s', check: (o) => o < 2.5 },
  { metric: playlistRpsMetric, text: '>= 0.5x nginx', check: (o, n) => (n === null ? null : o >= 0.5 * n) },
  { metric: segmentRpsMetric, text: '>= 0.5x nginx', check: (o, n) => (n === null ? null : o >= 0.5 * n) },
];

interface Options {
  quick: boolean;
  maxCap: number;
  only: MeasurementName[];
  servers: ServerName[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, maxCap: 150, only: Object.keys(MEASUREMENTS) as MeasurementName[], servers: ALL_SERVERS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--max-cap') {
      options.maxCap = Number(argv[++i]);
      if (!Number.isInteger(options.maxCap) || options.maxCap < 10 || options.maxCap > 1000) throw new Error('--max-cap needs an integer 10..1000');
    } else if (arg === '--only' || arg === '--servers') {
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
      console.log('npm run bench -- [--quick] [--only cpu,max,latency,rps,srt] [--servers onair,nginx-hls,nms] [--max-cap 150]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  // "--quick: fewer streams, shorter windows, skip the ramp" unless the ramp is asked for by name.
  if (options.quick && !argv.includes('--only')) options.only = options.only.filter((m) => m !== 'max');
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
  if (options.only.includes('srt')) {
    lines.push(`SRT: publishers send the same clip as MPEG-TS (ffmpeg -f mpegts, AES-128 passphrase, libsrt default 120 ms latency). onair column = SRT ingest + LL-HLS packaging (+ the 2 s playlist polls), CPU of its process tree; ${RELAY_NAME} column = one relay process per stream, SRT listener -> UDP sink in the bench, summed CPU of the relays: no demux, no packaging, so a floor, not a like-for-like peer. Latency: the clock stream published over SRT, played by Chromium + hls.js (LL mode), with the ${options.quick ? 5 : 10} SRT CPU streams still running.`);
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
  const clipPath = await ensureClip(log);
  const descriptions = new Map<string, string>();
  const ctx: BenchContext = { quick: options.quick, clipPath, servers: options.servers, log, descriptions, maxStreamsCap: options.maxCap };
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
  const table = renderTable(rows, columns, targets(options.quick));
  const noteLines = notes(options, descriptions);
  console.log(`\n${table}\n\nnotes:\n${noteLines.map((l) => `- ${l}`).join('\n')}`);
  const resultsPath = join(outDir, 'results.json');
  writeFileSync(resultsPath, `${JSON.stringify({
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    options,
    rows,
    targets: targets(options.quick).map((t) => ({ metric: t.metric, target: t.text })),
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
