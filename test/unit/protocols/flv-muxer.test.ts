/** FLV muxer: TrackConfig / MediaFrame -> tag bodies, proved by a round trip through the FlvDemuxer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';
import {
  configTagBody, FLV_TAG_AUDIO, FLV_TAG_VIDEO, frameTagBody, frameTagHeaderLength, frameTagType, metadataBody, toMs, writeFrameTagHeader,
} from '../../../src/protocols/flv/flv-muxer.js';
import { decodeData } from '../../../src/protocols/rtmp/rtmp-command.js';
import { annexBToLengthPrefixed, splitAnnexB } from '../../../src/protocols/codecs/annexb.js';
import { buildHvcC, hevcNalType, isHevcKeyframe } from '../../../src/protocols/codecs/hevc.js';
import { collect, findBox, flvTags, makeClip } from './codecs-fixtures.js';


/** Muxes configs + frames as RTMP messages would carry them and demuxes them again. */
function roundTrip(configs: TrackConfig[], frames: MediaFrame[]) {
  const out = collect();
  for (const c of configs) {
    const body = configTagBody(c);
    if (c.track === 'video') out.demux.pushVideo(body, 0);
    else out.demux.pushAudio(body, 0);
  }
  for (const f of frames) {
    const body = frameTagBody(f);
    const ms = toMs(f.dts);
    if (frameTagType(f) === FLV_TAG_VIDEO) out.demux.pushVideo(body, ms);
    else out.demux.pushAudio(body, ms);
  }
  return out;
}

const strip = ({ slab: _slab, ...f }: MediaFrame) => ({ ...f, data: f.data.toString('hex') });
/** The FLV FrameType (1 key, 2 inter) of a muxed video tag body. */
const flvFrameType = (f: MediaFrame) => (frameTagBody(f)[0]! >> 4) & 0x07;

test('flv muxer: H.264 (B-frames, composition time) + AAC from a real ffmpeg FLV survive a round trip', () => {
  const clip = makeClip('mux.flv', '320x180', ['-c:v', 'libx264', '-g', '10', '-bf', '2', '-c:a', 'aac'], 25, ['-f', 'lavfi', '-i', 'sine=duration=1']);
  const src = collect();
  for (const [type, ts, body] of flvTags(clip.bytes)) {
    if (type === 9) src.demux.pushVideo(body, ts);
    else if (type === 8) src.demux.pushAudio(body, ts);
  }
  assert.ok(src.frames.some((f) => f.pts > f.dts), 'the clip has composition offsets');
  const back = roundTrip(src.configs, src.frames);
  assert.deepEqual(back.warnings, []);
  assert.deepEqual(back.configs, src.configs);
  assert.deepEqual(back.frames.map(strip), src.frames.map(strip));
  // The original sequence headers and NALU tags come out byte for byte (ffmpeg writes the same layout).
  const tags = flvTags(clip.bytes);
  const avcSeq = tags.find(([t, , b]) => t === 9 && b[1] === 0)![2];
  assert.deepEqual(configTagBody(src.configs.find((c) => c.track === 'video')!), avcSeq);
  const firstNalu = tags.find(([t, , b]) => t === 9 && b[1] === 1)![2];
  assert.deepEqual(frameTagBody(src.frames.find((f) => f.track === 'video')!), firstNalu);
  const firstAac = tags.find(([t, , b]) => t === 8 && b[1] === 1)![2];
  assert.deepEqual(frameTagBody(src.frames.find((f) => f.track === 'audio')!).subarray(1), firstAac.subarray(1), 'AAC packet type + raw frame');
});

test('flv muxer: header written in place, no payload copy needed; lengths per codec', () => {
  const f: MediaFrame = { track: 'video', codec: 'h264', dts: 9000, pts: 12600, keyframe: true, data: Buffer.from('00000002abcd', 'hex') };
  assert.equal(frameTagHeaderLength(f), 5);
  const out = Buffer.alloc(10, 0xee);
  assert.equal(writeFrameTagHeader(f, out, 3), 8);
  assert.equal(out.toString('hex'), 'eeeeee' + '17' + '01' + '000028' + 'eeee'); // key+AVC, NALU, cts 40 ms
  const a: MediaFrame = { track: 'audio', codec: 'aac', dts: 0, pts: 0, keyframe: true, data: Buffer.of(1, 2) };
  assert.equal(frameTagHeaderLength(a), 2);
  assert.equal(frameTagType(a), FLV_TAG_AUDIO);
  assert.equal(frameTagBody(a).toString('hex'), 'af010102');
  // negative composition offsets (pts < dts never leaves ingest, but stay in SI24 range)
  const neg = frameTagBody({ ...f, pts: f.dts - 90 * 33 });
  assert.equal(neg.readIntBE(2, 3), -33);
});

test('flv muxer: HEVC goes out as Enhanced RTMP hvc1 (CodedFrames with cts, CodedFramesX without) and round-trips', () => {
  const clip = makeClip('mux.hevc', '426x240', ['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=4:bframes=0', '-f', 'hevc'], 8);
  const nals = splitAnnexB(clip.bytes);
  const pick = (t: number) => nals.filter((n) => hevcNalType(n) === t);
  const record = buildHvcC(pick(32), pick(33), pick(34));
  // one access unit per VCL NAL (single-slice stream)
  const aus = nals.filter((n) => hevcNalType(n) < 32).map((n) => annexBToLengthPrefixed([n]));
  const src = collect();
  src.demux.pushVideo(configTagBody({ track: 'video', codec: 'hevc', record, width: 0, height: 0, codecString: '' }), 0);
  const cfg = src.configs[0]!;
  assert.ok(cfg.track === 'video' && cfg.codec === 'hevc' && cfg.width === 426);
  const frames: MediaFrame[] = aus.map((data, i) => ({
    track: 'video', codec: 'hevc', dts: i * 3600, pts: i * 3600 + (i % 2 ? 3600 : 0), keyframe: isHevcKeyframe(data), data,
  }));
  // keyint=4: the muxer must signal the IRAP pictures as key frames (FrameType 1) and the demuxer must read them back
  assert.deepEqual(frames.map((f) => f.keyframe), [true, false, false, false, true, false, false, false]);
  assert.equal(flvFrameType(frames[0]!), 1);
  assert.equal(flvFrameType(frames[1]!), 2);
  const bodies = frames.map(frameTagBody);
  assert.equal(bodies[0]![0]! & 0x8f, 0x83, 'ExHeader + CodedFramesX for cts 0');
  assert.equal(bodies[1]![0]! & 0x8f, 0x81, 'ExHeader + CodedFrames for cts != 0');
  assert.equal(bodies[1]!.subarray(1, 5).toString('latin1'), 'hvc1');
  const back = roundTrip([cfg], frames);
  assert.deepEqual(back.warnings, []);
  assert.deepEqual(back.configs, [cfg]);
  assert.deepEqual(back.frames.map(strip), frames.map(strip));
});

test('flv muxer: AV1 goes out as Enhanced RTMP av01', () => {
  const clip = makeClip('mux-av1.mp4', '320x240', ['-c:v', 'libsvtav1', '-preset', '12'], 2);
  const src = collect();
  src.demux.pushVideo(configTagBody({ track: 'video', codec: 'av1', record: findBox(clip.bytes, 'av1C'), width: 0, height: 0, codecString: '' }), 0);
  const cfg = src.configs[0]!;
  assert.ok(cfg.track === 'video' && cfg.codec === 'av1' && cfg.width === 320);
  const f: MediaFrame = { track: 'video', codec: 'av1', dts: 2970, pts: 2970, keyframe: true, data: Buffer.from('12000a0b', 'hex') };
  const back = roundTrip([cfg], [f]);
  assert.deepEqual(back.frames.map(strip), [strip(f)]);
});

test('flv muxer: @setDataFrame onMetaData carries size and codec ids', () => {
  const body = metadataBody(
    { track: 'video', codec: 'h264', record: Buffer.alloc(0), width: 1280, height: 720, codecString: 'avc1.64001f' },
    { track: 'audio', codec: 'aac', asc: Buffer.from('1190', 'hex'), sampleRate: 48000, channels: 2, codecString: 'mp4a.40.2' },
  );
  const [a, b, meta] = decodeData(18, body) as [string, string, Record<string, unknown>];
  assert.equal(a, '@setDataFrame');
  assert.equal(b, 'onMetaData');
  assert.equal(meta.width, 1280);
  assert.equal(meta.height, 720);
  assert.equal(meta.videocodecid, 7);
  assert.equal(meta.audiocodecid, 10);
  assert.equal(meta.audiosamplerate, 48000);
  assert.equal(meta.stereo, true);
  const hevcMeta = decodeData(18, metadataBody({ track: 'video', codec: 'hevc', record: Buffer.alloc(0), width: 1, height: 1, codecString: '' }, undefined))[2] as Record<string, unknown>;
  assert.equal(hevcMeta.videocodecid, 0x68766331, 'Enhanced RTMP: videocodecid is the FourCC');
});
