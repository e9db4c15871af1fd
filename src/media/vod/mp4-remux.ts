/**
 * Progressive MP4 (or audio-only M4A) downloads remuxed by ffmpeg from recorded CMAF pieces: stream copy, no
 * re-encode, `+faststart` (moov first, so players start before the whole file is there).
 *
 * Input forms:
 * - `{ init, segments }`: one init segment and its media segments (buffers, or an async iterable read lazily
 *   from the segment store). init + segments concatenated is a fragmented MP4: it goes to ffmpeg's stdin.
 * - `{ runs: [{ init, segments }, ...] }`: several inits, i.e. a recording with discontinuities (the encoder
 *   reconnected with another configuration). ffmpeg's HLS and mov demuxers keep the first init's codec
 *   configuration for the whole stream (the second run would decode as garbage), so each run is first remuxed
 *   on its own into a temporary MP4 (video timescale forced to 90 kHz so the runs agree), then the runs are
 *   joined with the concat demuxer: it re-times each run to follow the previous one and carries each run's
 *   SPS/PPS in-band (h264_mp4toannexb), so every part decodes.
 * - `{ playlist }` (or a string): a local HLS playlist (EXT-X-MAP + segments, relative file paths); it is read
 *   here and becomes the runs above (a new run at every EXT-X-MAP change).
 *
 * The result is written to `<out>.<random>.tmp`, checked with ffprobe (at least one stream, a duration) and
 * renamed to `out`: `out` is never a partial file. On error or timeout every ffmpeg is killed and every
 * temporary file removed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type { Writable } from 'node:stream';
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { registry } from '../../metrics.js';

export type SegmentSource = AsyncIterable<Buffer> | Iterable<Buffer>;

/** One init segment and the media segments that use it. */
export interface CmafRun {
  init: Buffer;
  segments: SegmentSource;
}

export type RemuxInput = CmafRun | { runs: readonly CmafRun[] } | { playlist: string } | string;

export interface RemuxOptions {
  /** only the audio track (an .m4a); fails when there is none */
  audioOnly?: boolean;
  /** for the whole remux, all ffmpeg runs included (default 10 minutes) */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** where multi-run remuxes keep their intermediate files (default the OS temp dir) */
  tmpDir?: string;
  ffmpegPath?: string;
  ffprobePath?: string;
  logger?: Logger;
}

export interface RemuxResult {
  bytes: number;
  durationS: number;
}

/** The remux failed; `out` was not written. `stderr` holds the tail of ffmpeg's log when it was ffmpeg. */
export class RemuxError extends Error {
  override readonly name = 'RemuxError';
  constructor(message: string, readonly stderr = '') {
    super(stderr ? `${message}: ${stderr}` : message);
  }
}

const remuxes = new Counter({
  name: 'onair_mp4_remux_total',
  help: 'MP4/M4A downloads remuxed from recordings, by outcome (ok, failed, timeout)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const STDERR_TAIL = 2048;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export async function remuxToMp4(input: RemuxInput, out: string, opts: RemuxOptions = {}): Promise<RemuxResult> {
  const ffmpeg = opts.ffmpegPath ?? 'ffmpeg';
  const ffprobe = opts.ffprobePath ?? 'ffprobe';
  const ctl = new Control(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.signal);
  const tmp = `${out}.${randomBytes(6).toString('hex')}.tmp`;
  let workDir: string | undefined;
  const started = Date.now();
  try {
    const runs = await toRuns(input);
    if (runs.length === 0) throw new RemuxError('nothing to remux: no segments');
    const map = opts.audioOnly ? ['-map', '0:a:0'] : ['-map', '0:v:0?', '-map', '0:a:0?'];
    const final = [...map, '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '-y', tmp];
    if (runs.length === 1) {
      await ctl.run(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-f', 'mp4', '-i', 'pipe:0', ...final], runs[0]);
    } else {
      workDir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'onair-remux-'));
      const files: string[] = [];
      for (const [i, run] of runs.entries()) {
        const file = join(workDir, `run-${i}.mp4`);
        await ctl.run(
          ffmpeg,
          ['-hide_banner', '-nostdin', '-v', 'error', '-f', 'mp4', '-i', 'pipe:0', '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-video_track_timescale', '90000', '-f', 'mp4', '-y', file],
          run,
        );
        files.push(file);
      }
      const list = join(workDir, 'runs.ffconcat');
      await writeFile(list, `ffconcat version 1.0\n${files.map((f) => `file '${f.replace(/'/g, "'\\''")}'\n`).join('')}`);
      await ctl.run(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, ...final]);
    }
    const probe = await ctl.run(ffprobe, ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type', '-of', 'json', tmp]);
    const info = JSON.parse(probe) as { format?: { duration?: string }; streams?: { codec_type?: string }[] };
    const durationS = Number(info.format?.duration);
    const streams = info.streams ?? [];
    if (streams.length === 0 || !Number.isFinite(durationS) || durationS <= 0) {
      throw new RemuxError('the input holds no decodable media (the remuxed file is empty)');
    }
    if (opts.audioOnly && !streams.some((s) => s.codec_type === 'audio')) throw new RemuxError('the input has no audio track');
    const { size } = await stat(tmp);
    await rename(tmp, out);
    remuxes.inc({ outcome: 'ok' });
    opts.logger?.info({ out, bytes: size, durationS, runs: runs.length, ms: Date.now() - started }, 'mp4 remuxed');
    return { bytes: size, durationS };
  } catch (err) {
    ctl.killAll();
    await rm(tmp, { force: true });
    remuxes.inc({ outcome: ctl.timedOut ? 'timeout' : 'failed' });
    const e = normalizeError(err, ctl, opts);
    opts.logger?.warn({ err: e, out }, 'mp4 remux failed');
    throw e;
  } finally {
    ctl.dispose();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }
}

function normalizeError(err: unknown, ctl: Control, opts: RemuxOptions): Error {
  if (ctl.timedOut) return new RemuxError(`remux timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`);
  if (ctl.aborted) return new RemuxError('remux aborted');
  if (err instanceof RemuxError) {
    if (opts.audioOnly && /matches no streams/.test(err.stderr)) return new RemuxError('the input has no audio track');
    if (/does not contain any stream/.test(err.stderr)) return new RemuxError('the input holds no audio or video track', err.stderr);
    if (/Invalid data found|moov atom not found/.test(err.stderr)) return new RemuxError('the input is not valid CMAF (fragmented MP4)', err.stderr);
    return err;
  }
  return new RemuxError(`remux failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** Timeout, abort and the children of one remux. */
class Control {
  timedOut = false;
  aborted = false;
  private readonly children = new Set<import('node:child_process').ChildProcess>();
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = (): void => {
    this.aborted = true;
    this.killAll();
  };

  constructor(timeoutMs: number, private readonly signal?: AbortSignal) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.killAll();
    }, timeoutMs);
    if (signal?.aborted) this.aborted = true;
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  killAll(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Runs a command; `feed` (init + segments) goes to its stdin. Resolves with stdout. */
  async run(cmd: string, args: string[], feed?: CmafRun): Promise<string> {
    if (this.timedOut || this.aborted) throw new RemuxError(this.timedOut ? 'remux timed out' : 'remux aborted');
    const child = spawn(cmd, args, { stdio: [feed ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    let spawnError: Error | undefined;
    let feedError: unknown;
    child.on('error', (e) => (spawnError = e));
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL)));
    const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    if (feed) {
      writeAll(child.stdin!, feed).catch((e: unknown) => {
        feedError = e;
        child.kill('SIGKILL');
      });
    }
    const [code, signal] = await closed;
    this.children.delete(child);
    if (spawnError) throw new RemuxError(`cannot run ${cmd}: ${spawnError.message}`);
    if (feedError !== undefined) throw new RemuxError(`reading the input failed: ${feedError instanceof Error ? feedError.message : String(feedError)}`);
    if (code !== 0) throw new RemuxError(`${cmd} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`, stderr.trim());
    return stdout;
  }
}

/** Writes init then the segments with backpressure; stops quietly when the child closes its stdin. */
async function writeAll(sink: Writable, run: CmafRun): Promise<void> {
  let gone = false;
  sink.on('error', () => (gone = true));
  sink.on('close', () => (gone = true));
  const write = async (b: Buffer): Promise<void> => {
    if (gone) return;
    if (!sink.write(b)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          sink.off('drain', done);
          sink.off('close', done);
          resolve();
        };
        sink.on('drain', done);
        sink.on('close', done);
      });
    }
  };
  await write(run.init);
  for await (const seg of run.segments) {
    if (gone) break;
    await write(seg);
  }
  if (!gone) sink.end();
}

async function toRuns(input: RemuxInput): Promise<CmafRun[]> {
  if (typeof input === 'string') return playlistRuns(input);
  if ('playlist' in input) return playlistRuns(input.playlist);
  if ('runs' in input) {
    for (const r of input.runs) if (!Buffer.isBuffer(r.init)) throw new RemuxError('every run needs an init segment');
    return [...input.runs];
  }
  if (!Buffer.isBuffer(input.init)) throw new RemuxError('the input needs an init segment');
  return [input];
}

/**
 * Reads a local CMAF HLS playlist into runs: a new run at each EXT-X-MAP change. Segment and init URIs are file
 * paths relative to the playlist (no URLs, no byte ranges).
 */
async function playlistRuns(path: string): Promise<CmafRun[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RemuxError(`cannot read the playlist ${path}: ${(err as Error).message}`);
  }
  if (!text.startsWith('#EXTM3U')) throw new RemuxError(`${path} is not an HLS playlist (no #EXTM3U)`);
  const base = dirname(resolvePath(path));
  const local = (uri: string): string => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) throw new RemuxError(`only local files are supported in the playlist, got ${uri}`);
    return resolvePath(base, uri);
  };
  const groups: { init: string; segments: string[] }[] = [];
  let map: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-BYTERANGE')) throw new RemuxError('byte-range playlists are not supported');
    if (line.startsWith('#EXT-X-MAP:')) {
      if (/BYTERANGE=/.test(line)) throw new RemuxError('byte-range EXT-X-MAP is not supported');
      const m = /URI="([^"]+)"/.exec(line);
      if (!m) throw new RemuxError(`EXT-X-MAP without URI: ${line}`);
      map = local(m[1]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    if (!map) throw new RemuxError('the playlist has no EXT-X-MAP before its first segment (not CMAF)');
    const last = groups[groups.length - 1];
    if (last && last.init === map) last.segments.push(local(line));
    else groups.push({ init: map, segments: [local(line)] });
  }
  const runs: CmafRun[] = [];
  for (const g of groups) {
    let init: Buffer;
    try {
      init = await readFile(g.init);
    } catch (err) {
      throw new RemuxError(`cannot read the init segment ${g.init}: ${(err as Error).message}`);
    }
    runs.push({ init, segments: readFiles(g.segments) });
  }
  return runs;
}

async function* readFiles(paths: string[]): AsyncGenerator<Buffer> {
  for (const p of paths) yield await readFile(p);
}
