/** Real media peers for end-to-end tests: a cached test clip, ffmpeg publishers, ffprobe readers. */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE = join(process.cwd(), '.tmp', 'clips');

/**
 * A real 720p30 H.264/AAC clip with 1 s GOPs (made once, cached under .tmp/clips).
 * testsrc2 moves, so every frame differs and a frozen player is visible.
 */
export async function clip720p(seconds = 12): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `testsrc-720p30-${seconds}s.flv`);
  if (!existsSync(file)) {
    await run('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '3M', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
      '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-shortest', file + '.part.flv',
    ]);
    await run('mv', [file + '.part.flv', file]);
  }
  return file;
}

export interface Publisher {
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Publishes `file` in real time, looping, with stream copy (the encoder's CPU stays out of the way). */
export function publish(file: string, url: string, opts: { loop?: boolean; format?: 'flv' | 'mpegts'; extra?: string[] } = {}): Publisher {
  const args = ['-v', 'error', '-re'];
  if (opts.loop !== false) args.push('-stream_loop', '-1');
  args.push('-i', file, '-c', 'copy');
  // (mpegts output inserts h264_mp4toannexb itself; an explicit -bsf:v breaks -stream_loop in ffmpeg 5.1)
  args.push(...(opts.extra ?? []), '-f', opts.format ?? 'flv', url);
  const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    stderr: () => err,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface ProbeResult {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; nb_read_frames?: string }[];
}

/**
 * ffprobe a URL (or file), decoding `seconds` of it and counting frames: proves the media decodes.
 * (A live playlist never ends, so the read is bounded.)
 */
export async function probe(url: string, seconds = 3, timeoutMs = 30_000): Promise<ProbeResult> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-rw_timeout', '10000000', '-read_intervals', `%+${seconds}`, '-count_frames', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_frames', '-of', 'json', url],
    { timeout: timeoutMs },
  );
  return JSON.parse(stdout) as ProbeResult;
}

/** Decodes a URL fully with ffmpeg and returns its error output (empty = clean). */
export async function decodeErrors(url: string, seconds: number): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-t', String(seconds), '-i', url, '-f', 'null', '-'], { timeout: (seconds + 30) * 1000 });
  return stderr;
}

/**
 * Reads a live URL with ffmpeg (decoding to null) until it has decoded `frames` video frames, then stops it.
 * Returns ffmpeg's log (stream descriptions, progress) and the last frame count seen. Bounded by `timeoutMs`.
 */
export async function decodeLive(url: string, frames: number, extraInput: string[] = [], timeoutMs = 30_000): Promise<{ log: string; frames: number }> {
  const proc = spawn('ffmpeg', ['-hide_banner', ...extraInput, '-i', url, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let seen = 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => { clearTimeout(timer); resolve(); };
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = [...log.matchAll(/frame=\s*(\d+)/g)].pop();
      if (m) seen = Number(m[1]);
      if (seen >= frames) done();
    });
    proc.on('exit', done);
  });
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
  }
  return { log, frames: seen };
}
