/** 33-bit PTS/DTS wrap-around: unwrapped into a monotonic 90 kHz timeline, in units and on a real clip. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampUnwrapper, wrappedDelta } from '../../../src/protocols/mpegts/timestamp-unwrapper.js';
import { buildPesHeader, parsePesHeader } from '../../../src/protocols/mpegts/pes-header.js';
import { TsDemuxer } from '../../../src/protocols/mpegts/ts-demuxer.js';
import { CollectingSink, makeClip, makeTempDir, probe } from './ts-test-helpers.js';

const WRAP = 2 ** 33;
const tmp = makeTempDir();
after(() => tmp.cleanup());

test('unwrapper keeps counting across 2^33 and follows small backward steps', () => {
  const u = new TimestampUnwrapper();
  assert.equal(u.unwrap(WRAP - 3000), WRAP - 3000);
  assert.equal(u.unwrap(WRAP - 1), WRAP - 1);
  assert.equal(u.unwrap(600), WRAP + 600);
  assert.equal(u.unwrap(WRAP - 100), WRAP - 100, 'a B-frame style step back across the wrap');
  assert.equal(u.unwrap(4200), WRAP + 4200);
  // A second wrap keeps going.
  for (let t = 4200; t < WRAP; t += 2 ** 30) u.unwrap(t);
  assert.equal(u.unwrap(10), 2 * WRAP + 10);
  assert.equal(wrappedDelta(WRAP - 10, 5), 15);
  assert.equal(wrappedDelta(5, WRAP - 10), -15);
});

test('PES header PTS/DTS round trip for values around the wrap', () => {
  for (const [pts, dts] of [[0, 0], [WRAP - 1, WRAP - 3601], [3003, 0], [123456789, 123450000]] as const) {
    const h = parsePesHeader(Buffer.concat([buildPesHeader(0xe0, pts, dts, 10), Buffer.alloc(10)]))!;
    assert.equal(h.pts, pts);
    assert.equal(h.dts, pts === dts ? undefined : dts);
    assert.equal(h.payloadOffset, pts === dts ? 14 : 19);
  }
});

test('a clip crossing the 33-bit wrap (-output_ts_offset) demuxes to a monotonic timeline', () => {
  const clip = makeClip(tmp.dir, 'h264-aac-wrap');
  const facts = probe(clip.path);
  const sink = new CollectingSink();
  const demuxer = new TsDemuxer(sink);
  demuxer.push(clip.bytes);
  demuxer.flush();
  for (const track of ['video', 'audio'] as const) {
    const frames = sink.track(track);
    assert.equal(frames.length, facts.frames[track]);
    for (let i = 1; i < frames.length; i++) {
      const step = frames[i]!.dts - frames[i - 1]!.dts;
      assert.ok(step > 0 && step < 9000, `${track} #${i}: dts step ${step} is a frame, not a wrap`);
      assert.ok(frames[i]!.pts >= frames[i]!.dts);
    }
    // PES timestamps are 33-bit, so a first value below 2^33 and a last one above it proves the wrap.
    assert.ok(frames[0]!.dts < WRAP, `${track} starts before 2^33`);
    assert.ok(frames.at(-1)!.dts > WRAP, `${track} ends past 2^33`);
    // Same values as ffprobe's (which shifts them by its own wrap handling), modulo 2^33.
    const mod = (x: number): number => ((x % WRAP) + WRAP) % WRAP;
    frames.forEach((f, i) => assert.equal(mod(f.dts), mod(facts.packets[track]![i]!.dts)));
  }
});
