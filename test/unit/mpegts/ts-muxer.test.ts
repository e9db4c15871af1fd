/** TsMuxer: demux a real clip, mux it back, and let ffprobe/ffmpeg judge the output. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioConfig, FrameSink, MediaFrame, TrackConfig } from '../../../src/media/frame.js';
import { ProtocolError } from '../../../src/protocols/errors.js';
import { TsDemuxer } from '../../../src/protocols/mpegts/ts-demuxer.js';
import { TsMuxer } from '../../../src/protocols/mpegts/ts-muxer.js';
import { CollectingSink, decodeErrors, makeClip, makeTempDir, probe, type ClipKind } from './ts-test-helpers.js';

const tmp = makeTempDir();
after(() => tmp.cleanup());
const clips = new Map<ClipKind, { path: string; bytes: Buffer }>();
before(() => {
  for (const kind of ['h264-aac', 'hevc-aac', 'audio-only'] as const) clips.set(kind, makeClip(tmp.dir, kind));
});

/** Demux `bytes` straight into a muxer; returns the muxed bytes and what went in. */
function remux(bytes: Buffer): { out: Buffer; input: CollectingSink } {
  const muxer = new TsMuxer();
  const input = new CollectingSink();
  const chunks: Buffer[] = [];
  const sink: FrameSink = {
    onConfig(c: TrackConfig) {
      input.onConfig(c);
      muxer.onConfig(c);
    },
    onFrame(f: MediaFrame) {
      input.onFrame(f);
      const packets = muxer.onFrame(f);
      assert.equal(packets.length % 188, 0, 'whole TS packets');
      chunks.push(packets);
    },
  };
  const demuxer = new TsDemuxer(sink);
  demuxer.push(bytes);
  demuxer.flush();
  return { out: Buffer.concat(chunks), input };
}

for (const kind of ['h264-aac', 'hevc-aac', 'audio-only'] as const) {
  test(`round trip ${kind}: ffmpeg decodes every frame without a complaint`, () => {
    const { out, input } = remux(clips.get(kind)!.bytes);
    const path = join(tmp.dir, `${kind}-remuxed.ts`);
    writeFileSync(path, out);
    assert.equal(decodeErrors(path), '', 'ffmpeg -v error -i out.ts -f null - prints nothing');
    const original = probe(clips.get(kind)!.path);
    const remuxed = probe(path);
    assert.deepEqual(remuxed.frames, original.frames, 'same decoded frame counts as the source');
    for (const track of ['video', 'audio'] as const) {
      const ours = input.track(track);
      const theirs = remuxed.packets[track] ?? [];
      assert.equal(theirs.length, ours.length);
      theirs.forEach((p, i) => {
        assert.equal(p.dts, ours[i]!.dts, `${track} #${i} dts`);
        assert.equal(p.pts, ours[i]!.pts, `${track} #${i} pts`);
        assert.equal(p.keyframe, ours[i]!.keyframe, `${track} #${i} keyframe`);
      });
    }
    if (kind !== 'audio-only') {
      assert.equal(remuxed.streams.video!.width, 320);
      assert.equal(remuxed.streams.video!.codec_name, kind === 'h264-aac' ? 'h264' : 'hevc');
    }
    // And our own demuxer reads our own output back to the same frames.
    const again = new CollectingSink();
    const demuxer = new TsDemuxer(again);
    demuxer.push(out);
    demuxer.flush();
    assert.equal(demuxer.stats.ccErrors, 0);
    assert.equal(again.frames.length, input.frames.length);
    again.frames.forEach((f, i) => assert.ok(f.data.equals(input.frames[i]!.data), `frame #${i} payload`));
  });
}

test('PAT/PMT lead the stream and every video keyframe; PCR rides the video PID', () => {
  const { out } = remux(clips.get('h264-aac')!.bytes);
  const pids: number[] = [];
  const keyframeStarts: number[] = [];
  let pcrOnVideo = 0;
  let pcrElsewhere = 0;
  for (let p = 0; p < out.length; p += 188) {
    assert.equal(out[p], 0x47);
    const pid = ((out[p + 1]! & 0x1f) << 8) | out[p + 2]!;
    const hasAf = (out[p + 3]! & 0x20) !== 0;
    const afFlags = hasAf && out[p + 4]! > 0 ? out[p + 5]! : 0;
    if (pid === 0x100 && afFlags & 0x40) keyframeStarts.push(pids.length);
    pids.push(pid);
    if (afFlags & 0x10) pid === 0x100 ? pcrOnVideo++ : pcrElsewhere++;
  }
  assert.deepEqual(pids.slice(0, 2), [0, 0x1000]);
  assert.equal(keyframeStarts.length, 2, 'random_access_indicator on the two keyframes');
  for (const k of keyframeStarts) assert.deepEqual(pids.slice(k - 2, k), [0, 0x1000], 'PAT + PMT right before a keyframe');
  // The stream may open with audio: then PSI also comes before that first audio frame.
  assert.ok(pids.filter((x) => x === 0).length <= 3);
  assert.equal(pcrOnVideo, 50, 'one PCR per video PES');
  assert.equal(pcrElsewhere, 0);
});

test('audio-only: PAT/PMT repeat about every 100 ms and PCR is on the audio PID', () => {
  const { out } = remux(clips.get('audio-only')!.bytes);
  const pats = [];
  for (let p = 0; p < out.length; p += 188) if (out[p + 1] === 0x40 && out[p + 2] === 0) pats.push(p);
  // 2 s of audio: ~20 repetitions.
  assert.ok(pats.length >= 18 && pats.length <= 22, `${pats.length} PATs`);
});

test('frames without a config are refused quietly; AV1 and broken configs throw ProtocolError', () => {
  const muxer = new TsMuxer();
  const frame: MediaFrame = { track: 'audio', codec: 'aac', dts: 0, pts: 0, keyframe: true, data: Buffer.alloc(10) };
  assert.equal(muxer.onFrame(frame).length, 0);
  assert.equal(muxer.droppedFrames, 1);
  assert.throws(
    () => muxer.onConfig({ track: 'video', codec: 'av1', record: Buffer.alloc(4), width: 1, height: 1, codecString: 'av01.0.04M.08' }),
    (e: unknown) => e instanceof ProtocolError && e.code === 'TS_UNSUPPORTED_CODEC',
  );
  assert.throws(
    () => muxer.onConfig({ track: 'video', codec: 'h264', record: Buffer.from([1, 2]), width: 1, height: 1, codecString: 'avc1' }),
    (e: unknown) => e instanceof ProtocolError,
  );
  const audio: AudioConfig = { track: 'audio', codec: 'aac', asc: Buffer.from([0x11, 0x88]), sampleRate: 48000, channels: 1, codecString: 'mp4a.40.2' };
  muxer.onConfig(audio);
  const packets = muxer.onFrame(frame);
  assert.equal(packets.length, 3 * 188, 'PAT + PMT + one PES packet');
});

test('PTS/DTS are written modulo 2^33; a 100 kB AU spans many packets and comes back intact', () => {
  const { input } = remux(clips.get('h264-aac')!.bytes);
  const muxer = new TsMuxer();
  for (const c of input.configs) muxer.onConfig(c);
  const key = input.track('video')[0]!;
  const big = Buffer.alloc(100_000 + 4, 0xab); // no zero runs: they would read as start codes
  big.writeUInt32BE(100_000, 0);
  big[4] = 0x65; // IDR slice header byte
  const out = muxer.onFrame({ ...key, data: big, dts: 2 ** 33 + 10, pts: 2 ** 33 + 3610 });
  const sink = new CollectingSink();
  const demuxer = new TsDemuxer(sink);
  demuxer.push(out);
  demuxer.flush();
  assert.equal(sink.frames.length, 1);
  assert.equal(sink.frames[0]!.dts, 10);
  assert.equal(sink.frames[0]!.pts, 3610);
  assert.ok(sink.frames[0]!.data.equals(big));
});
