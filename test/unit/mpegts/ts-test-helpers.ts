/** Shared helpers for the MPEG-TS tests: ffmpeg-generated clips, ffprobe facts, a collecting sink, a seeded PRNG. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameSink, MediaFrame, TrackConfig } from '../../../src/media/frame.js';

export class CollectingSink implements FrameSink {
  configs: TrackConfig[] = [];
  frames: MediaFrame[] = [];
  onConfig(config: TrackConfig): void {
    this.configs.push(config);
  }
  onFrame(frame: MediaFrame): void {
    this.frames.push(frame);
  }
  track(kind: 'video' | 'audio'): MediaFrame[] {
    return this.frames.filter((f) => f.track === kind);
  }
}

export { mulberry32 } from '../../helpers/prng.js';

export type ClipKind = 'h264-aac' | 'hevc-aac' | 'audio-only' | 'video-only' | 'h264-aac-wrap';

const VIDEO_IN = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25'];
const AUDIO_IN = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '2', '-pix_fmt', 'yuv420p'];
const X265 = ['-c:v', 'libx265', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error'];
const AAC = ['-c:a', 'aac', '-b:a', '64k'];

function clipArgs(kind: ClipKind, seconds: number): string[] {
  const t = ['-t', String(seconds)];
  switch (kind) {
    case 'h264-aac':
      return [...VIDEO_IN, ...AUDIO_IN, ...t, ...X264, ...AAC];
    case 'hevc-aac':
      return [...VIDEO_IN, ...AUDIO_IN, ...t, ...X265, ...AAC];
    case 'audio-only':
      return [...AUDIO_IN, ...t, ...AAC];
    case 'video-only':
      return [...VIDEO_IN, ...t, ...X264];
    case 'h264-aac-wrap':
      // Start 2 s before the 33-bit PTS wrap (2^33 / 90000 = 95443.7176 s) so the clip crosses it.
      return [...VIDEO_IN, ...AUDIO_IN, ...t, ...X264, ...AAC, '-output_ts_offset', '95441.7'];
  }
}

/** A temp dir for one test file, removed by the returned cleanup. */
export function makeTempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'onair-mpegts-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function makeClip(dir: string, kind: ClipKind, seconds = 2): { path: string; bytes: Buffer } {
  const path = join(dir, `${kind}.ts`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...clipArgs(kind, seconds), '-f', 'mpegts', path], { stdio: 'pipe' });
  return { path, bytes: readFileSync(path) };
}

export interface ProbedPacket {
  dts: number;
  pts: number;
  keyframe: boolean;
}

/** ffprobe's view of a file: frames decoded per kind and the packets (in 90 kHz) per kind. */
export function probe(path: string): { frames: Record<string, number>; packets: Record<string, ProbedPacket[]>; streams: Record<string, Record<string, unknown>> } {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-show_entries', 'stream=index,codec_type,codec_name,width,height,nb_read_frames,sample_rate,channels,profile:packet=stream_index,dts,pts,flags', '-of', 'json', path],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const json = JSON.parse(out) as {
    streams: { index: number; codec_type: string; nb_read_frames: string }[];
    packets: { stream_index: number; dts?: number; pts?: number; flags: string }[];
  };
  const frames: Record<string, number> = {};
  const packets: Record<string, ProbedPacket[]> = {};
  const streams: Record<string, Record<string, unknown>> = {};
  const kindOf = new Map<number, string>();
  for (const s of json.streams) {
    kindOf.set(s.index, s.codec_type);
    frames[s.codec_type] = Number(s.nb_read_frames);
    packets[s.codec_type] = [];
    streams[s.codec_type] = s as unknown as Record<string, unknown>;
  }
  for (const p of json.packets) {
    packets[kindOf.get(p.stream_index)!]!.push({ dts: Number(p.dts), pts: Number(p.pts), keyframe: p.flags.startsWith('K') });
  }
  return { frames, packets, streams };
}

/** `ffmpeg -v error -i file -f null -`: the decoder's complaints (empty when the stream is clean). */
export function decodeErrors(path: string): string {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
  return r.stderr + (r.status === 0 ? '' : `ffmpeg exited with ${r.status}`);
}

/** Push `bytes` in slices of the given sizes (cycled). */
export function pushInSlices(push: (b: Buffer) => void, bytes: Buffer, sizes: number[]): void {
  let pos = 0;
  let i = 0;
  while (pos < bytes.length) {
    const n = sizes[i++ % sizes.length]!;
    push(bytes.subarray(pos, pos + n));
    pos += n;
  }
}
