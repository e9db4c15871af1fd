/** Test helper: a real clip from ffmpeg (raw H.264/HEVC Annex B + AAC ADTS) split into onair frames. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AudioConfig, MediaFrame, TrackConfig, VideoConfig } from '../../../src/media/frame.js';
import { AAC_SAMPLE_RATES, buildAudioSpecificConfig, parseAdtsHeader } from '../../../src/protocols/codecs/aac.js';
import { annexBToLengthPrefixed, splitAnnexB } from '../../../src/protocols/codecs/annexb.js';
import { buildAvcC, parseAvcC } from '../../../src/protocols/codecs/h264.js';
import { buildHvcC, parseHvcC } from '../../../src/protocols/codecs/hevc.js';

export interface Clip {
  configs: TrackConfig[];
  /** video and audio frames interleaved by dts */
  frames: MediaFrame[];
  video: MediaFrame[];
  audio: MediaFrame[];
}

export interface ClipOptions {
  seconds: number;
  fps?: number;
  /** keyframe interval in frames */
  gop?: number;
  video?: 'h264' | 'hevc' | false;
  audio?: boolean;
  width?: number;
  height?: number;
  sampleRate?: number;
}

const cache = new Map<string, Clip>();

export function makeClip(o: ClipOptions): Clip {
  const key = JSON.stringify(o);
  const hit = cache.get(key);
  if (hit) return hit;
  const fps = o.fps ?? 30;
  const gop = o.gop ?? fps;
  const video = o.video ?? 'h264';
  const audio = o.audio ?? true;
  const dir = mkdtempSync(join(tmpdir(), 'onair-clip-'));
  try {
    const args = ['-v', 'error', '-y'];
    if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${o.width ?? 320}x${o.height ?? 240}:rate=${fps}`);
    if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${o.sampleRate ?? 48000}`);
    if (video) {
      const enc = video === 'h264'
        ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'h264']
        : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:bframes=0:repeat-headers=1', '-pix_fmt', 'yuv420p', '-f', 'hevc'];
      args.push('-map', '0:v', '-t', String(o.seconds), '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', ...enc, join(dir, 'v.es'));
    }
    if (audio) {
      args.push('-map', `${video ? 1 : 0}:a`, '-t', String(o.seconds), '-c:a', 'aac', '-b:a', '64k', '-ac', '2', '-f', 'adts', join(dir, 'a.aac'));
    }
    execFileSync('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const configs: TrackConfig[] = [];
    const v = video ? splitVideo(readFileSync(join(dir, 'v.es')), video, fps) : { config: undefined, frames: [] };
    const a = audio ? splitAdts(readFileSync(join(dir, 'a.aac'))) : { config: undefined, frames: [] };
    if (v.config) configs.push(v.config);
    if (a.config) configs.push(a.config);
    const frames = [...v.frames, ...a.frames].sort((x, y) => x.dts - y.dts || (x.track === 'video' ? -1 : 1));
    const clip = { configs, frames, video: v.frames, audio: a.frames };
    cache.set(key, clip);
    return clip;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function splitVideo(es: Buffer, codec: 'h264' | 'hevc', fps: number): { config: VideoConfig; frames: MediaFrame[] } {
  const nals = splitAnnexB(es);
  const h264 = codec === 'h264';
  const type = (n: Buffer): number => (h264 ? n[0]! & 0x1f : (n[0]! >> 1) & 0x3f);
  const isVcl = (t: number): boolean => (h264 ? t >= 1 && t <= 5 : t < 32);
  const isKey = (t: number): boolean => (h264 ? t === 5 : t >= 16 && t <= 23);
  // first_mb_in_slice == 0 (H.264) / first_slice_segment_in_pic_flag (HEVC): top bit of the first payload byte
  const firstSlice = (n: Buffer): boolean => ((h264 ? n[1]! : n[2]!) & 0x80) !== 0;
  const vps: Buffer[] = [];
  const sps: Buffer[] = [];
  const pps: Buffer[] = [];
  const aus: Buffer[][] = [];
  let cur: Buffer[] = [];
  let curHasVcl = false;
  for (const n of nals) {
    const t = type(n);
    const paramSet = h264 ? t === 7 || t === 8 : t >= 32 && t <= 34;
    if (paramSet) {
      const list = h264 ? (t === 7 ? sps : pps) : t === 32 ? vps : t === 33 ? sps : pps;
      if (!list.some((x) => x.equals(n))) list.push(n);
    }
    const startsAu = (isVcl(t) && firstSlice(n)) || (!isVcl(t) && curHasVcl);
    if (startsAu && curHasVcl) {
      aus.push(cur);
      cur = [];
      curHasVcl = false;
    }
    cur.push(n);
    if (isVcl(t)) curHasVcl = true;
  }
  if (curHasVcl) aus.push(cur);
  const record = h264 ? buildAvcC(sps, pps) : buildHvcC(vps, sps, pps);
  const parsed = h264 ? parseAvcC(record) : parseHvcC(record);
  const config: VideoConfig = { track: 'video', codec, record, width: parsed.width, height: parsed.height, codecString: parsed.codecString };
  const frames = aus.map((au, i): MediaFrame => {
    const dts = Math.round((i * 90_000) / fps);
    const keyframe = au.some((n) => isKey(type(n)));
    return { track: 'video', codec, dts, pts: dts, keyframe, data: annexBToLengthPrefixed(au) };
  });
  return { config, frames };
}

function splitAdts(buf: Buffer): { config: AudioConfig; frames: MediaFrame[] } {
  const frames: MediaFrame[] = [];
  let config: AudioConfig | undefined;
  let off = 0;
  let i = 0;
  while (off < buf.length) {
    const h = parseAdtsHeader(buf, off);
    if (!h) throw new Error(`bad ADTS header at ${off}`);
    if (!config) {
      const asc = buildAudioSpecificConfig(h.objectType, AAC_SAMPLE_RATES.indexOf(h.sampleRate), h.channels);
      config = { track: 'audio', codec: 'aac', asc, sampleRate: h.sampleRate, channels: h.channels, codecString: `mp4a.40.${h.objectType}` };
    }
    const dts = Math.round((i * 1024 * 90_000) / h.sampleRate);
    frames.push({ track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, data: buf.subarray(off + h.headerLength, off + h.frameLength) });
    off += h.frameLength;
    i++;
  }
  if (!config) throw new Error('no ADTS frames');
  return { config, frames };
}

/** ffprobe a file built from buffers; returns per-stream codec and decoded frame counts. */
export function probe(buffers: Buffer[]): { streams: { codec_type: string; codec_name: string; nb_read_frames?: string; width?: number; height?: number }[]; decodeErrors: string } {
  const dir = mkdtempSync(join(tmpdir(), 'onair-probe-'));
  try {
    const file = join(dir, 'out.mp4');
    writeFileSync(file, Buffer.concat(buffers));
    const json = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,nb_read_frames,width,height', '-of', 'json', file], { encoding: 'utf8' });
    let decodeErrors = '';
    try {
      execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      decodeErrors = String((e as { stderr?: Buffer }).stderr ?? e);
    }
    return { ...(JSON.parse(json) as { streams: never[] }), decodeErrors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A tiny ISO-BMFF reader for assertions: type, payload and children of the containers we write. */
export interface ParsedBox {
  type: string;
  payload: Buffer;
  children: ParsedBox[];
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'dinf']);

export function readBoxes(buf: Buffer): ParsedBox[] {
  const out: ParsedBox[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (size < 8 || off + size > buf.length) throw new Error(`bad box ${type} size ${size} at ${off}`);
    const payload = buf.subarray(off + 8, off + size);
    out.push({ type, payload, children: CONTAINERS.has(type) ? readBoxes(payload) : [] });
    off += size;
  }
  if (off !== buf.length) throw new Error(`trailing ${buf.length - off} bytes`);
  return out;
}

export function findBox(boxes: ParsedBox[], path: string): ParsedBox | undefined {
  const [head, ...rest] = path.split('/');
  const b = boxes.find((x) => x.type === head);
  if (!b || rest.length === 0) return b;
  return findBox(b.children, rest.join('/'));
}

/** A ManualClock for PROGRAM-DATE-TIME. */
export function fixedClock(start = Date.UTC(2025, 0, 1)): () => number {
  return () => start;
}
