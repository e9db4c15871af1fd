import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { splitAnnexB, annexBToLengthPrefixed } from '../../../src/protocols/codecs/annexb.js';
import { buildHvcC, isHevcKeyframe, hevcNalType } from '../../../src/protocols/codecs/hevc.js';
import { isH264Keyframe } from '../../../src/protocols/codecs/h264.js';
import { ProtocolError } from '../../../src/protocols/errors.js';
import { collect, findBox, flvTags, makeClip } from './codecs-fixtures.js';


test('flv: real H.264 + AAC FLV from ffmpeg -> configs and frames (90 kHz, pts = dts + cts, views)', () => {
  const clip = makeClip('av.flv', '320x180', ['-c:v', 'libx264', '-g', '10', '-bf', '2', '-c:a', 'aac'], 25, ['-f', 'lavfi', '-i', 'sine=duration=1']);
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_packets', '-select_streams', 'v', '-of', 'json', clip.file], { encoding: 'utf8' })).packets as { pts: number; dts: number; flags: string }[];
  const { demux, configs, frames, warnings } = collect();
  for (const [type, ts, body] of flvTags(clip.bytes)) {
    if (type === 9) demux.pushVideo(body, ts);
    else if (type === 8) demux.pushAudio(body, ts);
  }
  assert.deepEqual(warnings, []);
  const video = configs.find((c) => c.track === 'video');
  const audio = configs.find((c) => c.track === 'audio');
  assert.ok(video && video.track === 'video' && audio && audio.track === 'audio');
  assert.deepEqual([video.width, video.height, video.codec], [320, 180, 'h264']);
  assert.match(video.codecString, /^avc1\.64/);
  assert.deepEqual([audio.codecString, audio.sampleRate, audio.channels], ['mp4a.40.2', 44100, 1]);
  const v = frames.filter((f) => f.track === 'video');
  assert.equal(v.length, probe.length);
  v.forEach((f, i) => {
    assert.equal(f.dts, probe[i]!.dts * 90, 'ms -> 90 kHz');
    assert.equal(f.pts, probe[i]!.pts * 90, 'pts = dts + cts');
    assert.equal(f.keyframe, probe[i]!.flags.startsWith('K'));
    assert.equal(f.keyframe, isH264Keyframe(f.data));
    assert.equal(f.data.buffer, clip.bytes.buffer, 'payload is a view');
  });
  const a = frames.filter((f) => f.track === 'audio');
  const audioPackets = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_packets', '-select_streams', 'a', '-of', 'json', clip.file], { encoding: 'utf8' })).packets as { dts: number }[];
  assert.ok(a.length >= 10);
  assert.deepEqual(a.map((f) => f.dts), audioPackets.map((p) => p.dts * 90));
  assert.ok(a.every((f, i) => f.keyframe && f.pts === f.dts && (i === 0 || f.dts >= a[i - 1]!.dts)));
  // the same sequence header again is not a new config
  const n = configs.length;
  const seq = flvTags(clip.bytes).find(([t, , b]) => t === 9 && b[1] === 0)!;
  demux.pushVideo(seq[2], 2000);
  assert.equal(configs.length, n);
});

/** Groups an HEVC Annex B stream's NAL units into access units. */
function hevcAccessUnits(nals: Buffer[]): Buffer[][] {
  const aus: Buffer[][] = [];
  let cur: Buffer[] = [];
  let hasVcl = false;
  for (const nal of nals) {
    const t = hevcNalType(nal);
    const vcl = t < 32;
    const startsAu = vcl ? (nal[2]! & 0x80) !== 0 && hasVcl : hasVcl && (t <= 35 || t === 39);
    if (startsAu) {
      aus.push(cur);
      cur = [];
      hasVcl = false;
    }
    cur.push(nal);
    hasVcl ||= vcl;
  }
  if (cur.length) aus.push(cur);
  return aus;
}

test('flv: Enhanced RTMP hvc1 tags built from a real libx265 stream', () => {
  const clip = makeClip('e.hevc', '426x240', ['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=4:bframes=0', '-f', 'hevc'], 9);
  const nals = splitAnnexB(clip.bytes);
  const pick = (t: number) => nals.filter((n) => hevcNalType(n) === t);
  const hvcC = buildHvcC(pick(32), pick(33), pick(34));
  const aus = hevcAccessUnits(nals).map((au) => annexBToLengthPrefixed(au.filter((n) => hevcNalType(n) < 32)));
  assert.equal(aus.length, 9);
  const fourcc = Buffer.from('hvc1');
  const { demux, configs, frames, warnings } = collect();
  // ExVideoTagHeader: IsExHeader(1) FrameType(3) PacketType(4), FourCC
  demux.pushVideo(Buffer.concat([Buffer.of(0x80 | (1 << 4) | 0), fourcc, hvcC]), 0);
  aus.forEach((au, i) => {
    const key = isHevcKeyframe(au);
    const frameType = key ? 1 : 2;
    if (i % 2 === 0) {
      // CodedFrames: SI24 composition time then the data
      demux.pushVideo(Buffer.concat([Buffer.of(0x80 | (frameType << 4) | 1), fourcc, Buffer.from([0, 0, 40]), au]), i * 40);
    } else {
      // CodedFramesX: no composition time
      demux.pushVideo(Buffer.concat([Buffer.of(0x80 | (frameType << 4) | 3), fourcc, au]), i * 40);
    }
  });
  demux.pushVideo(Buffer.concat([Buffer.of(0x80 | (1 << 4) | 2), fourcc]), 400); // SequenceEnd
  demux.pushVideo(Buffer.concat([Buffer.of(0x80 | (5 << 4) | 1), fourcc, Buffer.of(0)]), 400); // command frame
  assert.deepEqual(warnings, []);
  assert.equal(configs.length, 1);
  const c = configs[0]!;
  assert.ok(c.track === 'video');
  assert.deepEqual([c.codec, c.width, c.height], ['hevc', 426, 240]);
  assert.equal(c.width, clip.probe.width);
  assert.match(c.codecString, /^hvc1\.1\.6\.L\d+\.90$/);
  assert.equal(frames.length, 9);
  assert.deepEqual(frames.map((f) => f.keyframe), [true, false, false, false, true, false, false, false, true]);
  assert.deepEqual(frames.map((f) => f.pts - f.dts), [3600, 0, 3600, 0, 3600, 0, 3600, 0, 3600]);
  assert.deepEqual(frames.map((f) => f.dts), aus.map((_, i) => i * 40 * 90));
});

test('flv: Enhanced RTMP av01 SequenceStart / CodedFrames / MPEG2TSSequenceStart', () => {
  const clip = makeClip('e.mp4', '320x240', ['-c:v', 'libsvtav1', '-preset', '12'], 2);
  const av1C = findBox(clip.bytes, 'av1C');
  const fourcc = Buffer.from('av01');
  const { demux, configs, frames } = collect();
  demux.pushVideo(Buffer.concat([Buffer.of(0x80 | (1 << 4) | 0), fourcc, av1C]), 0);
  demux.pushVideo(Buffer.concat([Buffer.of(0x80 | (1 << 4) | 1), fourcc, Buffer.from('12000a0b', 'hex')]), 33);
  assert.equal(configs.length, 1);
  assert.ok(configs[0]!.track === 'video');
  assert.deepEqual([configs[0]!.codec, configs[0]!.width, configs[0]!.height], ['av1', 320, 240]);
  assert.match(configs[0]!.codecString, /^av01\.0\.\d\dM\.08$/);
  assert.deepEqual(frames.map((f) => [f.codec, f.dts, f.pts, f.keyframe, f.data.toString('hex')]), [['av1', 2970, 2970, true, '12000a0b']]);
  // MPEG2TSSequenceStart: AV1 video descriptor (tag 0x80) -> a 4-byte av1C when no SequenceStart came
  const other = collect();
  other.demux.pushVideo(Buffer.concat([Buffer.of(0x80 | (1 << 4) | 5), fourcc, Buffer.from('800481084c00', 'hex')]), 0);
  assert.equal(other.configs.length, 1);
  assert.equal(other.configs[0]!.codecString, 'av01.0.08M.10');
});

test('flv: unsupported codecs are dropped with one warning each; frames before config dropped', () => {
  const { demux, configs, frames, warnings } = collect();
  for (let i = 0; i < 3; i++) {
    demux.pushAudio(Buffer.from('2f00ff', 'hex'), i); // MP3
    demux.pushAudio(Buffer.from('b2aabb', 'hex'), i); // Speex
    demux.pushVideo(Buffer.from('14000000', 'hex'), i); // VP6
    demux.pushVideo(Buffer.concat([Buffer.of(0x91), Buffer.from('vp09'), Buffer.of(1, 2)]), i);
    demux.pushVideo(Buffer.from('1701000000000000020000', 'hex'), i); // AVC frame before sequence header
    demux.pushAudio(Buffer.from('af01aabb', 'hex'), i); // AAC raw before ASC
  }
  assert.equal(configs.length, 0);
  assert.equal(frames.length, 0);
  assert.equal(warnings.length, 6, warnings.join('\n'));
  assert.ok(warnings.some((w) => w.includes('MP3')));
  assert.ok(warnings.some((w) => w.includes('vp09')));
});

test('flv: legacy AVC with 2-byte NAL lengths is rewritten to 4-byte lengths and a matching avcC', () => {
  const clip = makeClip('nal.mp4', '160x96', ['-c:v', 'libx264'], 1);
  const avcC = Buffer.from(findBox(clip.bytes, 'avcC'));
  avcC[4] = 0xfc | 1; // lengthSizeMinusOne = 1
  const { demux, configs, frames } = collect();
  demux.pushVideo(Buffer.concat([Buffer.from('1700000000', 'hex'), avcC]), 0);
  demux.pushVideo(Buffer.concat([Buffer.from('1701000000', 'hex'), Buffer.from('0003650102' + '000241aa', 'hex')]), 0);
  assert.ok(configs[0]!.track === 'video');
  assert.equal(configs[0]!.record[4]! & 3, 3);
  assert.equal(frames[0]!.data.toString('hex'), '00000003650102' + '0000000241aa');
});

test('flv fuzz: mutated and truncated tags -> frames or ProtocolError', () => {
  let seed = 99;
  const rnd = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const clip = makeClip('fz.flv', '160x96', ['-c:v', 'libx264', '-c:a', 'aac'], 5, ['-f', 'lavfi', '-i', 'sine=duration=0.2']);
  const tags = flvTags(clip.bytes).filter(([t]) => t === 8 || t === 9);
  const start = Date.now();
  for (let i = 0; i < 3000; i++) {
    const [type, ts, body] = tags[Math.floor(rnd() * tags.length)]!;
    const b = Buffer.from(body.subarray(0, Math.floor(rnd() * (body.length + 1))));
    for (let f = 0; f < rnd() * 4 && b.length; f++) b[Math.floor(rnd() * Math.min(b.length, 40))] = Math.floor(rnd() * 256);
    const { demux } = collect();
    try {
      if (type === 9) demux.pushVideo(b, ts);
      else demux.pushAudio(b, ts);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err));
    }
  }
  assert.ok(Date.now() - start < 5000);
});
