/** Seeded fuzzing of TsDemuxer (random, truncated, bit-flipped real streams) and TsMuxer (hostile frames). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame } from '../../../src/media/frame.js';
import { ProtocolError } from '../../../src/protocols/errors.js';
import { TsDemuxer } from '../../../src/protocols/mpegts/ts-demuxer.js';
import { TsMuxer } from '../../../src/protocols/mpegts/ts-muxer.js';
import { CollectingSink, makeClip, makeTempDir, mulberry32 } from './ts-test-helpers.js';

const tmp = makeTempDir();
let clip: Buffer;
let hevc: Buffer;
before(() => {
  clip = makeClip(tmp.dir, 'h264-aac', 1).bytes;
  hevc = makeClip(tmp.dir, 'hevc-aac', 1).bytes;
});
after(() => tmp.cleanup());

/** Demux `input` in random slices; anything thrown must be a ProtocolError; output must keep the frame contract. */
function demuxChecked(input: Buffer, rand: () => number, maxPesSize?: number): CollectingSink {
  const sink = new CollectingSink();
  const demuxer = new TsDemuxer(sink, maxPesSize ? { maxPesSize } : {});
  try {
    let pos = 0;
    while (pos < input.length) {
      const n = 1 + Math.floor(rand() * 3000);
      demuxer.push(input.subarray(pos, pos + n));
      pos += n;
    }
    demuxer.flush();
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `only typed errors escape, got ${String(err)}`);
  }
  const last: Record<string, number> = {};
  for (const f of sink.frames) {
    assert.ok(Number.isFinite(f.dts) && Number.isFinite(f.pts) && f.pts >= f.dts);
    assert.ok(f.dts >= (last[f.track] ?? -Infinity), 'dts never goes back');
    last[f.track] = f.dts;
    assert.ok(Buffer.isBuffer(f.data) && f.data.length > 0);
    assert.ok(maxPesSize === undefined || f.data.length <= maxPesSize * 2);
  }
  return sink;
}

test('random bytes (with and without sync bytes) never throw', () => {
  const rand = mulberry32(1);
  const started = Date.now();
  for (let i = 0; i < 3000; i++) {
    const buf = Buffer.alloc(1 + Math.floor(rand() * 4000));
    for (let j = 0; j < buf.length; j++) buf[j] = rand() * 256;
    // Half the cases: plant sync bytes every 188 so the packet layer is exercised, not just the scanner.
    if (i % 2) for (let j = 0; j < buf.length; j += 188) buf[j] = 0x47;
    // Some cases: PID 0 / the common PMT PID so the PSI parsers see junk too.
    if (i % 4 === 1) for (let j = 0; j + 2 < buf.length; j += 376) (buf[j + 1] = 0x40), (buf[j + 2] = 0);
    demuxChecked(buf, rand);
  }
  assert.ok(Date.now() - started < 20_000);
});

test('truncated real streams never throw and yield a prefix of the frames', () => {
  const rand = mulberry32(2);
  const full = demuxChecked(clip, rand).frames.length;
  for (let i = 0; i < 300; i++) {
    const start = rand() < 0.3 ? Math.floor(rand() * clip.length) : 0;
    const end = start + Math.floor(rand() * (clip.length - start));
    const frames = demuxChecked(clip.subarray(start, end), rand).frames.length;
    assert.ok(frames <= full);
  }
});

test('bit-flipped and byte-mangled real streams (H.264 and HEVC) never throw', () => {
  const rand = mulberry32(3);
  const started = Date.now();
  let frames = 0;
  for (let i = 0; i < 2000; i++) {
    const source = i % 3 === 0 ? hevc : clip;
    // A 30 kB window keeps each run cheap; start on a packet boundary so PSI is usually found.
    const start = 188 * Math.floor(rand() * ((source.length - 30_000) / 188));
    const buf = Buffer.from(source.subarray(i % 5 === 0 ? 0 : start, (i % 5 === 0 ? 0 : start) + 30_000));
    const flips = 1 + Math.floor(rand() * 40);
    for (let k = 0; k < flips; k++) {
      const at = Math.floor(rand() * buf.length);
      if (rand() < 0.7) buf[at] ^= 1 << Math.floor(rand() * 8);
      else buf[at] = rand() * 256;
    }
    frames += demuxChecked(buf, rand, i % 7 === 0 ? 4096 : undefined).frames.length;
  }
  assert.ok(frames > 10_000, `mangled streams still reach the codec layer (${frames} frames)`);
  assert.ok(Date.now() - started < 30_000);
});

test('an endless PES is capped: memory stays bounded and the cap is counted', () => {
  const sink = new CollectingSink();
  const demuxer = new TsDemuxer(sink, { maxPesSize: 64 * 1024 });
  // Take the clip's PSI, then feed one video PES that never ends (continuation packets forever).
  demuxer.push(clip.subarray(0, 188 * 4));
  const packet = Buffer.alloc(188, 0xab);
  packet[0] = 0x47;
  packet[1] = 0x41; // PUSI, PID 0x100
  packet[2] = 0x00;
  packet[3] = 0x10;
  Buffer.from([0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1]).copy(packet, 4);
  demuxer.push(Buffer.from(packet));
  packet[1] = 0x01;
  for (let i = 1; i < 2000; i++) {
    packet[3] = 0x10 | (i & 0x0f);
    demuxer.push(Buffer.from(packet));
  }
  assert.ok(demuxer.stats.pesErrors >= 1, 'oversized PES dropped and counted');
});

test('the muxer refuses hostile frames with ProtocolError only', () => {
  const rand = mulberry32(4);
  const source = demuxChecked(clip, rand);
  const muxer = new TsMuxer();
  for (const c of source.configs) muxer.onConfig(c);
  for (let i = 0; i < 2000; i++) {
    const base = source.frames[Math.floor(rand() * source.frames.length)]!;
    const data = Buffer.from(base.data.subarray(0, Math.floor(rand() * (base.data.length + 1))));
    for (let k = 0; k < 3; k++) if (data.length) data[Math.floor(rand() * data.length)] = rand() * 256;
    const frame: MediaFrame = { ...base, data, dts: Math.floor(rand() * 2 ** 34), pts: Math.floor(rand() * 2 ** 34) };
    try {
      const out = muxer.onFrame(frame);
      assert.equal(out.length % 188, 0);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err));
    }
  }
});
