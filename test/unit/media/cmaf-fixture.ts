/** Real CMAF (fMP4 HLS) made by ffmpeg itself, for the image and download tests. */
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export interface Cmaf {
  dir: string;
  playlist: string;
  init: Buffer;
  segments: Buffer[];
}

/**
 * testsrc2 (+ a sine unless `audio: false`, no video with `video: false`) as H.264/AAC CMAF with 1 s segments
 * (GOP = 1 s) into `dir`: init.mp4, seg-N.m4s, index.m3u8.
 */
export async function makeCmaf(
  dir: string,
  o: { size?: string; rate?: number; seconds?: number; audio?: boolean; video?: boolean; x264?: string[] } = {},
): Promise<Cmaf> {
  const rate = o.rate ?? 30;
  const seconds = o.seconds ?? 4;
  const args = ['-v', 'error', '-y'];
  if (o.video !== false) args.push('-f', 'lavfi', '-i', `testsrc2=size=${o.size ?? '640x360'}:rate=${rate}:duration=${seconds}`);
  if (o.audio !== false) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
  if (o.video !== false) {
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-g', String(rate), '-keyint_min', String(rate), '-sc_threshold', '0', '-pix_fmt', 'yuv420p', ...(o.x264 ?? []));
  }
  if (o.audio !== false) args.push('-c:a', 'aac', '-b:a', '96k');
  args.push(
    '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', '1', '-hls_playlist_type', 'vod',
    '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(dir, 'seg-%d.m4s'), join(dir, 'index.m3u8'),
  );
  await run('ffmpeg', args);
  const count = readdirSync(dir).filter((f) => /^seg-\d+\.m4s$/.test(f)).length;
  return {
    dir,
    playlist: join(dir, 'index.m3u8'),
    init: readFileSync(join(dir, 'init.mp4')),
    segments: Array.from({ length: count }, (_, i) => readFileSync(join(dir, `seg-${i}.m4s`))),
  };
}

/**
 * An executable that stands in for `ffmpeg`: it appends "<pid> <how many earlier wrappers are still alive>" to
 * `log` (under a lock on fd 250, far above the input pipes the Thumbnailer passes on fds 3..12, so the count is
 * exact), then execs the real ffmpeg (same pid) with `prefix` + the args.
 */
export function ffmpegWrapper(dir: string, name: string, prefix: string[] = []): { path: string; log: string } {
  const path = join(dir, `${name}.sh`);
  const log = join(dir, `${name}.log`);
  writeFileSync(
    path,
    `#!/bin/bash
exec 250>>"${log}.lock"
flock 250
alive=0
if [ -f "${log}" ]; then
  while read -r pid _; do kill -0 "$pid" 2>/dev/null && alive=$((alive+1)); done < "${log}"
fi
echo "$$ $alive" >> "${log}"
flock -u 250
exec 250>&-
exec ffmpeg ${prefix.join(' ')} "$@"
`,
  );
  chmodSync(path, 0o755);
  return { path, log };
}

/** The wrapper's log: one entry per ffmpeg started. */
export function wrapperLog(log: string): { pid: number; aliveBefore: number }[] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [pid, alive] = l.split(' ');
      return { pid: Number(pid), aliveBefore: Number(alive) };
    });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Image/video dimensions and codec as ffprobe sees them. */
export async function probeImage(data: Buffer | string): Promise<{ codec: string; width: number; height: number }> {
  const file = typeof data === 'string' ? data : undefined;
  const p = run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', file ?? 'pipe:0']);
  if (!file) {
    p.child.stdin!.on('error', () => {});
    p.child.stdin!.end(data as Buffer);
  }
  const { stdout } = await p;
  const s = (JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0]!;
  return { codec: s.codec_name, width: s.width, height: s.height };
}

/** Decodes an image (or the first frame of a file) to raw RGB24 at its own size. */
export async function rgb(data: Buffer): Promise<Buffer> {
  const p = run('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { encoding: 'buffer', maxBuffer: 256 << 20 });
  p.child.stdin!.on('error', () => {});
  p.child.stdin!.end(data);
  return (await p).stdout;
}

/** Mean absolute difference of two equally sized RGB regions. */
export function meanAbsDiff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
