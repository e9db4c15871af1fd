import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampRebaser } from '../../../src/core/timestamp-rebaser.js';
import type { MediaFrame } from '../../../src/media/frame.js';

const frame = (track: 'video' | 'audio', dts: number, cto = 0): MediaFrame => ({
  track,
  codec: track === 'video' ? 'h264' : 'aac',
  dts,
  pts: dts + cto,
  keyframe: true,
  data: Buffer.alloc(0),
});

test('first session starts at 1 s and keeps composition offsets', () => {
  const r = new TimestampRebaser();
  const f = frame('video', 123_456, 6000);
  assert.equal(r.apply(f), false);
  assert.equal(f.dts, 90_000);
  assert.equal(f.pts, 96_000);
  const g = frame('video', 123_456 + 3000);
  r.apply(g);
  assert.equal(g.dts, 93_000);
});

test('a reconnect continues the timeline after the last output frame', () => {
  const r = new TimestampRebaser();
  let last = 0;
  for (let i = 0; i < 30; i++) {
    const f = frame('video', 5_000_000 + i * 3000);
    r.apply(f);
    last = f.dts;
  }
  r.reconnect();
  const f = frame('video', 0); // the encoder restarted its clock
  const a = frame('audio', 900);
  assert.equal(r.apply(f), false);
  r.apply(a);
  assert.ok(f.dts > last, `dts ${f.dts} must follow ${last}`);
  assert.equal(a.dts - f.dts, 900, 'tracks keep their relative timing');
});

test('an encoder restart inside one connection is detected and rebased', () => {
  const r = new TimestampRebaser();
  const outs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const f = frame('video', 10_000_000 + i * 3000);
    r.apply(f);
    outs.push(f.dts);
  }
  const back = frame('video', 0);
  assert.equal(r.apply(back), true);
  assert.ok(back.dts > outs[outs.length - 1]!);
  const fwd = frame('video', 3000 + 3600 * 90_000);
  assert.equal(r.apply(fwd), true, 'a jump of an hour forwards is a restart too');
  assert.ok(fwd.dts > back.dts && fwd.dts < back.dts + 90_000);
});
