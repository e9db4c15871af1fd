/** Continuity counters: a lost packet drops the PES it was part of and the demuxer recovers; duplicates are ignored. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TsDemuxer } from '../../../src/protocols/mpegts/ts-demuxer.js';
import { CollectingSink, makeClip, makeTempDir } from './ts-test-helpers.js';

const tmp = makeTempDir();
let bytes: Buffer;
before(() => {
  bytes = makeClip(tmp.dir, 'h264-aac').bytes;
});
after(() => tmp.cleanup());

const pidOf = (b: Buffer, p: number): number => ((b[p + 1]! & 0x1f) << 8) | b[p + 2]!;
const hasPayload = (b: Buffer, p: number): boolean => (b[p + 3]! & 0x10) !== 0;

function run(input: Buffer): { sink: CollectingSink; demuxer: TsDemuxer } {
  const sink = new CollectingSink();
  const demuxer = new TsDemuxer(sink);
  demuxer.push(input);
  demuxer.flush();
  return { sink, demuxer };
}

/** Offsets of payload-carrying packets of the video PID (0x100 in ffmpeg's output). */
function videoPackets(b: Buffer): number[] {
  const out: number[] = [];
  for (let p = 0; p < b.length; p += 188) if (pidOf(b, p) === 0x100 && hasPayload(b, p)) out.push(p);
  return out;
}

test('dropping one packet in the middle of an access unit loses that AU only', () => {
  const reference = run(bytes).sink.track('video');
  const video = videoPackets(bytes);
  // Pick a packet that does not start a PES (payload_unit_start_indicator clear), a third of the way in.
  const victim = video.find((p, i) => i > video.length / 3 && (bytes[p + 1]! & 0x40) === 0)!;
  const damaged = Buffer.concat([bytes.subarray(0, victim), bytes.subarray(victim + 188)]);
  const { sink, demuxer } = run(damaged);
  assert.equal(demuxer.stats.ccErrors, 1);
  assert.equal(demuxer.stats.pesErrors, 1);
  const frames = sink.track('video');
  assert.equal(frames.length, reference.length - 1, 'exactly one AU lost');
  // Everything after the gap is intact again.
  const tail = frames.slice(-10);
  tail.forEach((f, i) => assert.ok(f.data.equals(reference[reference.length - 10 + i]!.data)));
  for (let i = 1; i < frames.length; i++) assert.ok(frames[i]!.dts > frames[i - 1]!.dts);
});

test('dropping a run of packets (a lost SRT message) is survived with audio and video continuing', () => {
  const reference = run(bytes).sink;
  const cut = 188 * 400;
  const damaged = Buffer.concat([bytes.subarray(0, cut), bytes.subarray(cut + 7 * 188)]);
  const { sink, demuxer } = run(damaged);
  assert.ok(demuxer.stats.ccErrors >= 1 && demuxer.stats.ccErrors <= 2);
  assert.ok(sink.frames.length < reference.frames.length);
  // At most the video AU and the audio PES the gap cut (ffmpeg packs up to ~17 AAC frames in one PES).
  assert.ok(sink.frames.length >= reference.frames.length - 20, `lost ${reference.frames.length - sink.frames.length} frames`);
  assert.equal(sink.track('video').at(-1)!.dts, reference.track('video').at(-1)!.dts);
  assert.equal(sink.track('audio').at(-1)!.dts, reference.track('audio').at(-1)!.dts);
});

test('a duplicated packet (same CC, sent twice) is ignored', () => {
  const reference = run(bytes).sink;
  const victim = videoPackets(bytes)[100]!;
  const dup = bytes.subarray(victim, victim + 188);
  const damaged = Buffer.concat([bytes.subarray(0, victim + 188), dup, bytes.subarray(victim + 188)]);
  const { sink, demuxer } = run(damaged);
  assert.equal(demuxer.stats.ccErrors, 0);
  assert.equal(sink.frames.length, reference.frames.length);
  sink.frames.forEach((f, i) => assert.ok(f.data.equals(reference.frames[i]!.data)));
});

test('packets on a PID the PMT does not list are ignored', () => {
  // Rewrite the clip's video PID 0x100 to 0x200 in the second half and publish a new PMT there.
  const second = Buffer.from(bytes.subarray(bytes.length / 2 - ((bytes.length / 2) % 188)));
  let pmt: Buffer | undefined;
  for (let p = 0; p < bytes.length; p += 188) if (pidOf(bytes, p) === 0x1000) pmt = bytes.subarray(p, p + 188);
  assert.ok(pmt, 'ffmpeg writes its PMT on PID 0x1000');
  for (let p = 0; p < second.length; p += 188) {
    if (pidOf(second, p) === 0x100) second[p + 1] = (second[p + 1]! & 0xe0) | 0x02, (second[p + 2] = 0x00);
    if (pidOf(second, p) === 0x1000) second.fill(0xff, p + 1, p + 3).fill(0x1f, p + 1, p + 2); // PMT -> null packets
  }
  const first = bytes.subarray(0, bytes.length - second.length);
  const { sink: plain } = run(first);
  const { sink, demuxer } = run(Buffer.concat([first, second]));
  assert.equal(sink.track('video').length, plain.track('video').length, 'without a new PMT, PID 0x200 is ignored');
  assert.equal(demuxer.stats.ccErrors, 0);
});
