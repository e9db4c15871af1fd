/** Test fixtures: tiny real bitstreams made with ffmpeg, box extraction, ffprobe facts. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';
import { FlvDemuxer } from '../../../src/protocols/flv/flv-demuxer.js';

export interface Clip {
  file: string;
  bytes: Buffer;
  probe: { width: number; height: number; codec_name: string; profile?: string };
}

const dir = mkdtempSync(join(tmpdir(), 'onair-codecs-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

export function hasEncoder(name: string): boolean {
  const out = execFileSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  return new RegExp(`\\s${name}\\s`).test(out);
}

/** Encodes `frames` frames of testsrc at `size` with the given codec args into `name`. */
export function makeClip(name: string, size: string, codecArgs: string[], frames = 5, extraInputs: string[] = []): Clip {
  const file = join(dir, name);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25`, ...extraInputs, '-pix_fmt', 'yuv420p',
    '-frames:v', String(frames), ...codecArgs, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { file, bytes: readFileSync(file), probe: probe(file, 'v:0') };
}

export function makeAudio(name: string, args: string[]): { file: string; bytes: Buffer; sampleRate: number; channels: number; profile: string } {
  const file = join(dir, name);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.3', ...args, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const p = probe(file, 'a:0') as unknown as { sample_rate: string; channels: number; profile: string };
  return { file, bytes: readFileSync(file), sampleRate: Number(p.sample_rate), channels: p.channels, profile: p.profile };
}

function probe(file: string, stream: string): Clip['probe'] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
  return JSON.parse(out).streams[0];
}

/** Payload of the first ISO-BMFF box of this type (found by scanning: sample entries nest it deep). */
export function findBox(buf: Buffer, type: string): Buffer {
  const i = buf.indexOf(Buffer.from(type, 'latin1'));
  if (i < 4) throw new Error(`no ${type} box`);
  const size = buf.readUInt32BE(i - 4);
  return buf.subarray(i + 4, i - 4 + size);
}

/** An FlvDemuxer whose configs, frames and warnings are collected. */
export function collect() {
  const configs: TrackConfig[] = [];
  const frames: MediaFrame[] = [];
  const warnings: string[] = [];
  const demux = new FlvDemuxer({ onConfig: (c) => configs.push(c), onFrame: (f) => frames.push(f), onWarning: (m) => warnings.push(m) });
  return { demux, configs, frames, warnings };
}

/** Reads an FLV file's tags: [type, timestamp ms, body]. */
export function flvTags(file: Buffer): [number, number, Buffer][] {
  const tags: [number, number, Buffer][] = [];
  let p = file.readUInt32BE(5) + 4;
  while (p + 11 <= file.length) {
    const size = file.readUIntBE(p + 1, 3);
    const ts = file.readUIntBE(p + 4, 3) | (file[p + 7]! << 24);
    tags.push([file[p]!, ts, file.subarray(p + 11, p + 11 + size)]);
    p += 11 + size + 4;
  }
  return tags;
}
