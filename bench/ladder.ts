/**
 * Measurement `ladder` (issue 10): what the transcoding ladder costs, in one run.
 * - CPU per stream of onair's whole process tree (node + its ffmpeg child) with the default ladder from a 1080p30
 *   source (passthrough 1080p + 720p, 480p, 360p encoded), against a plain ffmpeg command producing the same three
 *   renditions as HLS (fMP4) from the same clip alone: one decode, split, three libx264 veryfast zerolatency
 *   encodes, keyframes at the source's, audio copied. Goal: onair within 1.1x of that command.
 * - Glass-to-glass latency of a transcoded rung against the source's, same server, same clock publisher
 *   (640x360, so the ladder gets a 240p rung to measure). Goal: the rung within 0.5 s of the source.
 * Usage: npm run bench -- --only ladder [--quick] [--window S]
 */
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withServer, type BenchContext } from './lib/bench-context.js';
import { makeTempDir, removeTempDir, spawnTracked, stopChild } from './lib/child-registry.js';
import { cpuSecondsBetween, snapshotCpu } from './lib/proc-cpu.js';
import { Publisher } from './lib/publisher.js';
import { row, type ResultRow } from './lib/results.js';
import { outDir } from './lib/test-clip.js';
import { sleep, waitFor } from './lib/wait.js';
import { measureClockLatency } from './glass-to-glass.js';
import type { MediaServer } from './peers/media-server.js';
import { OnairServer } from './peers/onair-server.js';

export const ladderCpuMetric = 'ladder CPU s/stream-min (1080p -> 720/480/360)';
export const ladderCpuRatioMetric = 'ladder CPU onair / plain ffmpeg';
export const ladderLatencyMetric = 'ladder rung latency - source (p50)';

const RUNGS = [
  { width: 1280, height: 720, kbps: 3000 },
  { width: 854, height: 480, kbps: 1200 },
  { width: 640, height: 360, kbps: 600 },
];

/** A 1080p30 H.264/AAC clip (1 s GOP, noise so the encoders work as on camera content), made once. */
async function ensureClip1080(log: (line: string) => void): Promise<string> {
  const path = join(outDir, 'clip-1080p.flv');
  if (existsSync(path) && statSync(path).size > 1_000_000) return path;
  mkdirSync(outDir, { recursive: true });
  log(`making ${path} (20 s, once)`);
  const partial = `${path}.part.flv`;
  const child = spawnTracked('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30,noise=alls=8:allf=t+u',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '20',
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M',
    '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-f', 'flv', partial,
  ]);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`ffmpeg could not make the 1080p clip (exit ${code})`);
  renameSync(partial, path);
  return path;
}

/** The plain ffmpeg command: the same three renditions as HLS (fMP4, 1 s segments), nothing else. */
function plainFfmpegArgs(clip: string, dir: string, seconds: number): string[] {
  const split = RUNGS.map((_, i) => `[s${i}]`).join('');
  const chains = RUNGS.map((r, i) => `[s${i}]scale=${r.width}:${r.height}[v${i}]`).join(';');
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-t', String(seconds),
    '-filter_complex', `[0:v]split=${RUNGS.length}${split};${chains}`];
  RUNGS.forEach((_, i) => args.push('-map', `[v${i}]`, '-map', '0:a'));
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0',
    '-force_key_frames', 'source', '-x264-params', 'scenecut=0:keyint=100000:min-keyint=1', '-c:a', 'copy');
  RUNGS.forEach((r, i) => args.push(`-b:v:${i}`, `${r.kbps}k`, `-maxrate:v:${i}`, `${r.kbps}k`, `-bufsize:v:${i}`, `${r.kbps}k`));
  args.push('-f', 'hls', '-hls_time', '1', '-hls_list_size', '8', '-hls_flags', 'delete_segments+independent_segments',
    '-hls_segment_type', 'fmp4', '-master_pl_name', 'master.m3u8',
    '-var_stream_map', RUNGS.map((_, i) => `v:${i},a:${i}`).join(' '), join(dir, 'v%v', 'media.m3u8'));
  return args;
}

async function cpuOver(rootPid: number, windowMs: number): Promise<number> {
  const before = snapshotCpu(rootPid);
  await sleep(windowMs);
  return cpuSecondsBetween(before, snapshotCpu(rootPid));
}

export async function measureLadder(ctx: BenchContext): Promise<ResultRow[]> {
  const clip = await ensureClip1080(ctx.log);
  const warmupMs = ctx.quick ? 5_000 : 10_000;
  const windowMs = ctx.windowS * 1000;
  const rows: ResultRow[] = [];
  const perMin = (s: number): number => s / (windowMs / 60_000);

  // 1. onair with the ladder on: one 1080p stream, the whole process tree
  ctx.log(`ladder: onair, one 1080p30 stream, default ladder (warm-up ${warmupMs / 1000} s, window ${windowMs / 1000} s)`);
  let onairCpu: number | undefined;
  const onair = await withServer(ctx, 'onair', [{ metric: ladderCpuMetric, unit: '' }], async (server, out) => {
    const endpoints = await server.createStream(0);
    const publisher = new Publisher(clip, endpoints.publishUrl, 600);
    try {
      const mv = await waitFor('the three rungs in the multivariant playlist', async () => {
        const res = await fetch(endpoints.playUrl).catch(() => undefined);
        const text = res?.ok ? await res.text() : '';
        return (text.match(/#EXT-X-STREAM-INF/g) ?? []).length === 4 ? text : undefined;
      }, 60_000, 500);
      ctx.log(`  onair: ${(mv.match(/RESOLUTION=\d+x\d+/g) ?? []).join(' ')}`);
      await sleep(warmupMs);
      const seconds = await cpuOver(server.rootPid(), windowMs);
      onairCpu = perMin(seconds);
      ctx.log(`  onair: ${seconds.toFixed(2)} CPU s in ${windowMs / 1000} s -> ${onairCpu.toFixed(3)} s/stream-min`);
      out.push(row(ladderCpuMetric, 'onair', onairCpu, 's'));
    } finally {
      await publisher.stop();
    }
  }, () => new OnairServer({ recording: false, env: { ONAIR_TRANSCODE: 'on', ONAIR_MAX_TRANSCODES: '4' } }));
  rows.push(...onair.rows);

  // 2. the plain ffmpeg command, alone
  ctx.log('ladder: plain ffmpeg producing the same three HLS renditions');
  const dir = makeTempDir('onair-bench-ladder-');
  const ff = spawnTracked('ffmpeg', plainFfmpegArgs(clip, dir, 600));
  let ffmpegCpu: number | undefined;
  try {
    await waitFor('ffmpeg\'s 360p playlist', async () => {
      if (ff.exitCode !== null) throw new Error(`ffmpeg exited ${ff.exitCode}`);
      return existsSync(join(dir, 'v2', 'media.m3u8')) ? true : undefined;
    }, 30_000, 500);
    await sleep(warmupMs);
    const seconds = await cpuOver(ff.pid!, windowMs);
    ffmpegCpu = perMin(seconds);
    ctx.log(`  ffmpeg: ${seconds.toFixed(2)} CPU s in ${windowMs / 1000} s -> ${ffmpegCpu.toFixed(3)} s/stream-min`);
  } catch (err) {
    ctx.log(`  ffmpeg: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await stopChild(ff, 3000);
    removeTempDir(dir);
  }
  if (onairCpu !== undefined && ffmpegCpu !== undefined && ffmpegCpu > 0) {
    const ratio = onairCpu / ffmpegCpu;
    rows.push(row(ladderCpuRatioMetric, 'onair', ratio, 'x', `${ratio.toFixed(2)}x (onair ${onairCpu.toFixed(2)} vs ffmpeg ${ffmpegCpu.toFixed(2)} CPU s/stream-min)`,
      'onair: node + its ffmpeg child, LL-HLS of 4 renditions (source passthrough + 3 rungs); ffmpeg: the same 3 encodes to HLS fMP4, no source rendition'));
  } else {
    rows.push(row(ladderCpuRatioMetric, 'onair', null, 'x', 'n/a (a side failed)'));
  }

  // 3. latency of a rung against the source, same server, one after the other
  ctx.log('ladder: glass-to-glass of the source (360p) and of its 240p rung');
  const lat = await withServer(ctx, 'onair', [{ metric: ladderLatencyMetric, unit: 's' }], async (server, out) => {
    // each player opens a rendition's media playlist directly: the source's, or the rung's (which exists once ffmpeg is up;
    // measureClockLatency waits for its first segment before the player starts)
    const playing = (rendition: string): MediaServer => ({
      name: server.name, description: server.description, start: () => server.start(), stop: () => server.stop(),
      rootPid: () => server.rootPid(), playbackOrigin: () => server.playbackOrigin(),
      createStream: async (i) => {
        const e = await server.createStream(i);
        return { ...e, playUrl: e.playUrl.replace(/\.m3u8$/, `${rendition}/media.m3u8`) };
      },
    });
    const warm = ctx.quick ? 6_000 : 10_000;
    const collect = ctx.quick ? 10_000 : 20_000;
    const source = await measureClockLatency(playing(''), { ingest: 'rtmp', warmupMs: warm, collectMs: collect, log: ctx.log });
    const rung = await measureClockLatency(playing('/240p'), { ingest: 'rtmp', warmupMs: warm, collectMs: collect, log: ctx.log });
    const diff = rung.p50 - source.p50;
    out.push(row(ladderLatencyMetric, 'onair', diff, 's', `${diff >= 0 ? '+' : ''}${diff.toFixed(2)} s (rung ${rung.p50.toFixed(2)} s, source ${source.p50.toFixed(2)} s)`,
      `source: ${source.note}; rung: ${rung.note}`));
  }, () => new OnairServer({ recording: false, env: { ONAIR_TRANSCODE: 'on', ONAIR_MAX_TRANSCODES: '4', ONAIR_LADDER: '1080p:5000,720p:3000,480p:1200,360p:600,240p:300' } }));
  rows.push(...lat.rows);
  ctx.descriptions.set('ladder', 'onair with --transcode on (ONAIR_MAX_TRANSCODES=4); the ffmpeg reference is Debian\'s ffmpeg, same x264 settings, run alone after onair');
  return rows;
}
