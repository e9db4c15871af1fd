/** fMP4 writer: box structure parsed back, and real clips decoded by ffprobe/ffmpeg. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AudioConfig, MediaFrame, TrackConfig, VideoConfig } from '../../../src/media/frame.js';
import { buildFragment, buildInitSegment, NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS, type FragmentTrack } from '../../../src/protocols/fmp4/index.js';
import { findBox, makeClip, probe, readBoxes } from '../packager/media-fixture.js';
import { mulberry32 } from '../../helpers/prng.js';

const video: VideoConfig = { track: 'video', codec: 'h264', record: Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe0, 0]), width: 1280, height: 720, codecString: 'avc1.64001f' };
const audio: AudioConfig = { track: 'audio', codec: 'aac', asc: Buffer.from([0x11, 0x90]), sampleRate: 48000, channels: 2, codecString: 'mp4a.40.2' };


test('init segment: ftyp + moov with one trak per track, timescales, sample entries, trex', () => {
  const boxes = readBoxes(buildInitSegment([video, audio]));
  assert.deepEqual(boxes.map((b) => b.type), ['ftyp', 'moov']);
  assert.equal(boxes[0]!.payload.toString('latin1', 0, 4), 'iso6');
  assert.match(boxes[0]!.payload.toString('latin1', 8), /cmfc/);
  const moov = boxes[1]!;
  const traks = moov.children.filter((b) => b.type === 'trak');
  assert.equal(traks.length, 2);
  const mvhd = findBox(boxes, 'moov/mvhd')!;
  assert.equal(mvhd.payload.readUInt32BE(mvhd.payload.length - 4), 3, 'next_track_ID');
  const timescales = traks.map((t) => findBox(t.children, 'mdia/mdhd')!.payload.readUInt32BE(12));
  assert.deepEqual(timescales, [90000, 48000]);
  const tkhd = findBox(traks[0]!.children, 'tkhd')!.payload;
  assert.equal(tkhd.readUInt32BE(12), 1, 'track id 1');
  assert.equal(tkhd.readUInt32BE(tkhd.length - 8) / 65536, 1280);
  assert.equal(tkhd.readUInt32BE(tkhd.length - 4) / 65536, 720);
  const vEntry = findBox(traks[0]!.children, 'mdia/minf/stbl/stsd')!.payload.subarray(8);
  assert.equal(vEntry.toString('latin1', 4, 8), 'avc1');
  assert.equal(vEntry.readUInt16BE(8 + 24), 1280);
  assert.equal(vEntry.readUInt16BE(8 + 26), 720);
  assert.ok(vEntry.includes(Buffer.concat([Buffer.from('avcC'), video.record])));
  const aEntry = findBox(traks[1]!.children, 'mdia/minf/stbl/stsd')!.payload.subarray(8);
  assert.equal(aEntry.toString('latin1', 4, 8), 'mp4a');
  assert.equal(aEntry.readUInt16BE(8 + 16), 2, 'channelcount');
  assert.equal(aEntry.readUInt32BE(8 + 24) >>> 16, 48000);
  assert.ok(aEntry.includes(Buffer.from('esds')));
  assert.ok(aEntry.includes(Buffer.from([0x05, 0x02, 0x11, 0x90])), 'DecoderSpecificInfo carries the ASC');
  const trex = findBox(boxes, 'moov/mvex')!.children.filter((b) => b.type === 'trex');
  assert.deepEqual(trex.map((t) => t.payload.readUInt32BE(4)), [1, 2]);
  assert.throws(() => buildInitSegment([]), RangeError);
});

test('init segment: HEVC is hvc1/hvcC, AV1 is av01/av1C, audio-only has no video trak', () => {
  const hevc = readBoxes(buildInitSegment([{ ...video, codec: 'hevc', codecString: 'hvc1.1.6.L93.B0' }]));
  assert.equal(findBox(hevc, 'moov/trak/mdia/minf/stbl/stsd')!.payload.toString('latin1', 12, 16), 'hvc1');
  assert.ok(findBox(hevc, 'moov/trak/mdia/minf/stbl/stsd')!.payload.includes(Buffer.from('hvcC')));
  const av1 = readBoxes(buildInitSegment([{ ...video, codec: 'av1', record: Buffer.from([0x81, 0, 0, 0]), codecString: 'av01.0.04M.08' }]));
  assert.equal(findBox(av1, 'moov/trak/mdia/minf/stbl/stsd')!.payload.toString('latin1', 12, 16), 'av01');
  assert.ok(findBox(av1, 'moov/trak/mdia/minf/stbl/stsd')!.payload.includes(Buffer.from('av1C')));
  const audioOnly = readBoxes(buildInitSegment([audio]));
  const traks = findBox(audioOnly, 'moov')!.children.filter((b) => b.type === 'trak');
  assert.equal(traks.length, 1);
  assert.equal(findBox(traks[0]!.children, 'mdia/hdlr')!.payload.toString('latin1', 8, 12), 'soun');
});

test('fragment: mfhd sequence, tfdt, trun v1 with signed offsets, data offsets point at the payloads', () => {
  const v: FragmentTrack = {
    trackId: 1,
    baseDecodeTime: 2 ** 33 + 5, // needs the 64-bit tfdt
    samples: [
      { duration: 3000, size: 3, flags: SYNC_SAMPLE_FLAGS, cto: 6000 },
      { duration: 3000, size: 2, flags: NON_SYNC_SAMPLE_FLAGS, cto: -3000 },
    ],
    data: [Buffer.from('abc'), Buffer.from('de')],
  };
  const a: FragmentTrack = { trackId: 2, baseDecodeTime: 960, samples: [{ duration: 1024, size: 4, flags: SYNC_SAMPLE_FLAGS, cto: 0 }], data: [Buffer.from('WXYZ')] };
  const parts = buildFragment(7, [v, a]);
  assert.equal(parts.length, 2 + 3, 'moof, mdat header, then the payload views');
  assert.equal(parts[2], v.data[0], 'payloads are passed by reference');
  const bytes = Buffer.concat(parts);
  const boxes = readBoxes(bytes);
  assert.deepEqual(boxes.map((b) => b.type), ['moof', 'mdat']);
  assert.equal(boxes[1]!.payload.toString(), 'abcdeWXYZ');
  assert.equal(findBox(boxes, 'moof/mfhd')!.payload.readUInt32BE(4), 7);
  const trafs = boxes[0]!.children.filter((b) => b.type === 'traf');
  const moofStart = 0;
  for (const [i, traf] of trafs.entries()) {
    const tfhd = findBox(traf.children, 'tfhd')!.payload;
    assert.equal(tfhd.readUInt32BE(0) & 0x020000, 0x020000, 'default-base-is-moof');
    assert.equal(tfhd.readUInt32BE(4), i + 1);
    const tfdt = findBox(traf.children, 'tfdt')!.payload;
    assert.equal(tfdt[0], 1);
    assert.equal(Number(tfdt.readBigUInt64BE(4)), i === 0 ? 2 ** 33 + 5 : 960);
    const trun = findBox(traf.children, 'trun')!.payload;
    assert.equal(trun[0], 1, 'trun version 1');
    const flags = trun.readUInt32BE(0) & 0xffffff;
    const count = trun.readUInt32BE(4);
    const dataOffset = trun.readInt32BE(8);
    const expected = i === 0 ? 'abc' : 'WXYZ';
    assert.equal(bytes.toString('latin1', moofStart + dataOffset, moofStart + dataOffset + expected.length), expected);
    if (i === 0) {
      assert.equal(flags & 0x800, 0x800, 'composition offsets present');
      assert.equal(count, 2);
      assert.equal(trun.readUInt32BE(12 + 8), SYNC_SAMPLE_FLAGS);
      assert.equal(trun.readInt32BE(12 + 12), 6000);
      assert.equal(trun.readUInt32BE(28 + 8), NON_SYNC_SAMPLE_FLAGS);
      assert.equal(trun.readInt32BE(28 + 12), -3000, 'negative offset survives (signed in v1)');
    } else {
      assert.equal(flags & 0x800, 0, 'no composition offsets for audio');
      assert.equal(trun.readUInt32BE(12), 1024);
      assert.equal(trun.readUInt32BE(16), 4);
    }
  }
});

test('fragment: random sample tables always parse back consistently (seeded)', () => {
  const rnd = mulberry32(1234);
  for (let iter = 0; iter < 2000; iter++) {
    const tracks: FragmentTrack[] = [];
    const nTracks = 1 + Math.floor(rnd() * 2);
    let payloadBytes = 0;
    for (let t = 0; t < nTracks; t++) {
      const n = Math.floor(rnd() * 20);
      const samples = [];
      const data = [];
      for (let i = 0; i < n; i++) {
        const size = Math.floor(rnd() * 50);
        samples.push({ duration: Math.floor(rnd() * 10000), size, flags: rnd() < 0.5 ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS, cto: Math.floor(rnd() * 20000) - 10000 });
        data.push(Buffer.alloc(size, i));
        payloadBytes += size;
      }
      tracks.push({ trackId: t + 1, baseDecodeTime: Math.floor(rnd() * 1e9), samples, data });
    }
    const bytes = Buffer.concat(buildFragment(iter, tracks));
    const boxes = readBoxes(bytes);
    assert.equal(boxes[1]!.payload.length, payloadBytes);
    const trafs = boxes[0]!.children.filter((b) => b.type === 'traf');
    assert.equal(trafs.length, nTracks);
    for (const [i, traf] of trafs.entries()) {
      const trun = findBox(traf.children, 'trun')!.payload;
      assert.equal(trun.readUInt32BE(4), tracks[i]!.samples.length);
    }
  }
});

function fragmentsFromClip(frames: MediaFrame[], configs: TrackConfig[]): Buffer[] {
  // One fragment per video GOP (audio alongside), built straight from the clip.
  const out: Buffer[] = [buildInitSegment(configs)];
  const vid = frames.filter((f) => f.track === 'video');
  const aud = frames.filter((f) => f.track === 'audio');
  const starts = vid.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0);
  let seq = 1;
  let ai = 0;
  for (const [k, s] of starts.entries()) {
    const e = starts[k + 1] ?? vid.length;
    const group = vid.slice(s, e);
    const endDts = vid[e]?.dts ?? Infinity;
    const aGroup: MediaFrame[] = [];
    while (ai < aud.length && aud[ai]!.dts < endDts) aGroup.push(aud[ai++]!);
    const tracks: FragmentTrack[] = [{
      trackId: 1,
      baseDecodeTime: group[0]!.dts,
      samples: group.map((f) => ({ duration: 3000, size: f.data.length, flags: f.keyframe ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS, cto: 0 })),
      data: group.map((f) => f.data),
    }];
    if (aGroup.length > 0) {
      tracks.push({
        trackId: 2,
        baseDecodeTime: Math.round((aGroup[0]!.dts * 48000) / 90000),
        samples: aGroup.map((f) => ({ duration: 1024, size: f.data.length, flags: SYNC_SAMPLE_FLAGS, cto: 0 })),
        data: aGroup.map((f) => f.data),
      });
    }
    out.push(...buildFragment(seq++, tracks));
  }
  return out;
}

test('ffprobe decodes every frame of an H.264 + AAC clip written as init + fragments', () => {
  const clip = makeClip({ seconds: 2 });
  const result = probe(fragmentsFromClip(clip.frames, clip.configs));
  assert.equal(result.decodeErrors, '');
  const v = result.streams.find((s) => s.codec_type === 'video')!;
  const a = result.streams.find((s) => s.codec_type === 'audio')!;
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 320);
  assert.equal(Number(v.nb_read_frames), clip.video.length);
  assert.equal(a.codec_name, 'aac');
  assert.equal(Number(a.nb_read_frames), clip.audio.length);
});

test('ffprobe decodes an HEVC (hvc1) clip', () => {
  const clip = makeClip({ seconds: 1, video: 'hevc', audio: false });
  const result = probe(fragmentsFromClip(clip.frames, clip.configs));
  assert.equal(result.decodeErrors, '');
  assert.equal(result.streams.length, 1);
  assert.equal(result.streams[0]!.codec_name, 'hevc');
  assert.equal(Number(result.streams[0]!.nb_read_frames), clip.video.length);
});
