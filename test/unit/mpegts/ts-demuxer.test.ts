/** TsDemuxer against real ffmpeg clips: frame counts, configs, timestamps and keyframes match ffprobe. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TsDemuxer } from '../../../src/protocols/mpegts/ts-demuxer.js';
import type { VideoConfig, AudioConfig } from '../../../src/media/frame.js';
import { CollectingSink, makeClip, makeTempDir, probe, pushInSlices, type ClipKind } from './ts-test-helpers.js';

const tmp = makeTempDir();
const clips = new Map<ClipKind, { path: string; bytes: Buffer }>();
before(() => {
  for (const kind of ['h264-aac', 'hevc-aac', 'audio-only', 'video-only'] as const) clips.set(kind, makeClip(tmp.dir, kind));
});
after(() => tmp.cleanup());

function demux(bytes: Buffer, sizes = [1316]): { sink: CollectingSink; demuxer: TsDemuxer } {
  const sink = new CollectingSink();
  const demuxer = new TsDemuxer(sink);
  pushInSlices((b) => demuxer.push(b), bytes, sizes);
  demuxer.flush();
  return { sink, demuxer };
}

function assertMatchesProbe(kind: ClipKind, sink: CollectingSink): void {
  const clip = clips.get(kind)!;
  const facts = probe(clip.path);
  for (const track of ['video', 'audio'] as const) {
    const ours = sink.track(track);
    const theirs = facts.packets[track] ?? [];
    assert.equal(ours.length, facts.frames[track] ?? 0, `${kind} ${track}: frame count vs ffprobe -count_frames`);
    assert.equal(ours.length, theirs.length, `${kind} ${track}: packet count`);
    for (let i = 0; i < ours.length; i++) {
      assert.equal(ours[i]!.dts, theirs[i]!.dts, `${kind} ${track} #${i} dts`);
      assert.equal(ours[i]!.pts, theirs[i]!.pts, `${kind} ${track} #${i} pts`);
      assert.equal(ours[i]!.keyframe, theirs[i]!.keyframe, `${kind} ${track} #${i} keyframe`);
      if (i > 0) assert.ok(ours[i]!.dts > ours[i - 1]!.dts, `${kind} ${track} dts strictly increasing at #${i}`);
    }
  }
}

function assertLengthPrefixed(data: Buffer): void {
  let pos = 0;
  let nals = 0;
  while (pos < data.length) {
    const n = data.readUInt32BE(pos);
    assert.ok(n > 0 && pos + 4 + n <= data.length, 'NAL length fits the sample');
    pos += 4 + n;
    nals++;
  }
  assert.equal(pos, data.length);
  assert.ok(nals > 0);
}

test('H.264 + AAC: counts, timestamps and keyframes match ffprobe; configs are right', () => {
  const { sink, demuxer } = demux(clips.get('h264-aac')!.bytes);
  assertMatchesProbe('h264-aac', sink);
  const video = sink.configs.filter((c): c is VideoConfig => c.track === 'video');
  const audio = sink.configs.filter((c): c is AudioConfig => c.track === 'audio');
  assert.equal(video.length, 1, 'video config emitted once (SPS/PPS do not change)');
  assert.equal(audio.length, 1);
  assert.equal(video[0]!.codec, 'h264');
  assert.equal(video[0]!.width, 320);
  assert.equal(video[0]!.height, 240);
  assert.match(video[0]!.codecString, /^avc1\.[0-9a-f]{6}$/);
  assert.equal(audio[0]!.sampleRate, 48000);
  assert.equal(audio[0]!.channels, 1);
  assert.equal(audio[0]!.codecString, 'mp4a.40.2');
  assert.deepEqual(audio[0]!.asc, Buffer.from([0x11, 0x88]));
  // Keyframes every 25 frames (-g 25), first frame is one.
  const keyIdx = sink.track('video').flatMap((f, i) => (f.keyframe ? [i] : []));
  assert.deepEqual(keyIdx, [0, 25]);
  for (const f of sink.track('video')) {
    assertLengthPrefixed(f.data);
    // AUD, SPS and PPS never stay in the sample.
    for (let p = 0; p < f.data.length; p += 4 + f.data.readUInt32BE(p)) assert.ok(![7, 8, 9].includes(f.data[p + 4]! & 0x1f));
  }
  // The configs come before the first frame of their track.
  assert.equal(demuxer.stats.ccErrors, 0);
  assert.equal(demuxer.stats.pesErrors, 0);
  assert.equal(demuxer.stats.resyncs, 0);
  assert.equal(demuxer.stats.packets, clips.get('h264-aac')!.bytes.length / 188);
});

test('HEVC + AAC: hvcC config, IRAP keyframes, counts match ffprobe', () => {
  const { sink } = demux(clips.get('hevc-aac')!.bytes);
  assertMatchesProbe('hevc-aac', sink);
  const video = sink.configs.find((c): c is VideoConfig => c.track === 'video')!;
  assert.equal(video.codec, 'hevc');
  assert.equal(video.width, 320);
  assert.equal(video.height, 240);
  assert.match(video.codecString, /^hvc1\./);
  assert.equal(sink.track('video')[0]!.keyframe, true);
  for (const f of sink.track('video')) {
    for (let p = 0; p < f.data.length; p += 4 + f.data.readUInt32BE(p)) assert.ok(![32, 33, 34, 35].includes((f.data[p + 4]! >> 1) & 0x3f));
  }
});

test('audio-only and video-only clips', () => {
  const a = demux(clips.get('audio-only')!.bytes);
  assertMatchesProbe('audio-only', a.sink);
  assert.equal(a.sink.track('video').length, 0);
  assert.ok(a.sink.track('audio').length > 80, '2 s of 48 kHz AAC is ~94 frames');
  // Raw AAC: the ADTS header is stripped, and the frame is a view (no copy).
  for (const f of a.sink.track('audio')) assert.ok(!(f.data[0] === 0xff && (f.data[1]! & 0xf0) === 0xf0));
  const v = demux(clips.get('video-only')!.bytes);
  assertMatchesProbe('video-only', v.sink);
  assert.equal(v.sink.track('audio').length, 0);
  assert.equal(v.sink.track('video').length, 50);
});

test('a stream shorter than the sync confirmation window still comes out on flush', () => {
  const bytes = clips.get('audio-only')!.bytes.subarray(0, 188 * 3);
  const sink = new CollectingSink();
  const demuxer = new TsDemuxer(sink);
  demuxer.push(bytes);
  assert.equal(demuxer.stats.packets, 0, 'three packets cannot confirm sync yet');
  demuxer.flush();
  assert.equal(demuxer.stats.packets, 3);
});

test('any slicing gives the same frames: 1 byte, odd sizes, whole file', () => {
  const bytes = clips.get('h264-aac')!.bytes;
  const reference = demux(bytes).sink;
  for (const sizes of [[bytes.length], [1, 7, 188, 1000, 3], [187], [189, 1316, 5000]]) {
    const { sink } = demux(bytes, sizes);
    assert.equal(sink.frames.length, reference.frames.length, `slices ${sizes.join(',')}`);
    sink.frames.forEach((f, i) => {
      const r = reference.frames[i]!;
      assert.equal(f.track, r.track);
      assert.equal(f.dts, r.dts);
      assert.ok(f.data.equals(r.data));
    });
  }
});

test('garbage between packets: resync and keep every intact frame', () => {
  const bytes = clips.get('h264-aac')!.bytes;
  const reference = demux(bytes).sink;
  // Insert 50 bytes of junk (with stray 0x47s, not first: a junk block that starts with 0x47 and
  // lands a second one 188 bytes on cannot be told from a packet) every 100 packets.
  const parts: Buffer[] = [Buffer.from('leading junk \x47 bytes')];
  for (let p = 0; p < bytes.length; p += 188 * 100) {
    parts.push(bytes.subarray(p, p + 188 * 100));
    parts.push(Buffer.alloc(50, 0x47).fill(0x13, 0, 10));
  }
  const dirty = Buffer.concat(parts);
  const whole = demux(dirty, [dirty.length]);
  assert.ok(whole.demuxer.stats.resyncs > 0);
  assert.equal(whole.demuxer.stats.ccErrors, 0, 'junk at packet boundaries loses no packet');
  assert.equal(whole.sink.frames.length, reference.frames.length);
  // Sliced, the search for sync runs across slice boundaries: the same result.
  const sliced = demux(dirty, [1316]);
  assert.equal(sliced.demuxer.stats.resyncs, whole.demuxer.stats.resyncs);
  assert.equal(sliced.demuxer.stats.ccErrors, 0);
  assert.equal(sliced.sink.frames.length, reference.frames.length);
});
