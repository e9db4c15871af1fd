/** PAT/PMT: build/parse round trip, CRC rejection, and the demuxer following a PMT version change. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame } from '../../../src/media/frame.js';
import { buildPat, buildPmt, parsePat, parsePmt } from '../../../src/protocols/mpegts/psi-tables.js';
import { PsiSectionAssembler } from '../../../src/protocols/mpegts/psi-section-assembler.js';
import { TsDemuxer } from '../../../src/protocols/mpegts/ts-demuxer.js';
import { TsMuxer } from '../../../src/protocols/mpegts/ts-muxer.js';
import { CollectingSink, makeClip, makeTempDir } from './ts-test-helpers.js';

test('PAT and PMT round trip; a flipped bit fails the CRC', () => {
  assert.deepEqual(parsePat(buildPat(1, 0x1000)), { programNumber: 1, pmtPid: 0x1000 });
  const pmt = buildPmt(1, 7, 0x100, [
    { pid: 0x100, streamType: 0x1b },
    { pid: 0x101, streamType: 0x0f },
  ]);
  assert.deepEqual(parsePmt(pmt), { version: 7, pcrPid: 0x100, streams: [{ pid: 0x100, streamType: 0x1b }, { pid: 0x101, streamType: 0x0f }] });
  const assembler = new PsiSectionAssembler();
  const seen: Buffer[] = [];
  assembler.push(Buffer.concat([Buffer.from([0]), pmt]), true, (s) => seen.push(s));
  assert.equal(seen.length, 1);
  const bad = Buffer.from(pmt);
  bad[10] ^= 0x04;
  assembler.push(Buffer.concat([Buffer.from([0]), bad]), true, (s) => seen.push(s));
  assert.equal(seen.length, 1);
  assert.equal(assembler.crcErrors, 1);
});

test('a section split over two packets is reassembled', () => {
  const pmt = buildPmt(1, 0, 0x100, Array.from({ length: 30 }, (_, i) => ({ pid: 0x100 + i, streamType: 0x06 })));
  assert.ok(pmt.length > 150);
  const payload = Buffer.concat([Buffer.from([0]), pmt]);
  const assembler = new PsiSectionAssembler();
  const seen: Buffer[] = [];
  assembler.push(payload.subarray(0, 100), true, (s) => seen.push(s));
  assert.equal(seen.length, 0);
  assembler.push(payload.subarray(100), false, (s) => seen.push(s));
  assert.equal(seen.length, 1);
  assert.equal(parsePmt(seen[0]!)!.streams.length, 30);
});

test('the demuxer follows a PMT version change that adds a track', () => {
  const tmp = makeTempDir();
  try {
    const source = new CollectingSink();
    const sourceDemuxer = new TsDemuxer(source);
    sourceDemuxer.push(makeClip(tmp.dir, 'video-only', 1).bytes);
    sourceDemuxer.flush();
    // Audio-only at first, then video joins: the muxer bumps the PMT version and repeats PAT/PMT.
    const muxer = new TsMuxer();
    const sink = new CollectingSink();
    const demuxer = new TsDemuxer(sink);
    muxer.onConfig({ track: 'audio', codec: 'aac', asc: Buffer.from([0x11, 0x88]), sampleRate: 48000, channels: 1, codecString: 'mp4a.40.2' });
    const aac = (dts: number): MediaFrame => ({ track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, data: Buffer.alloc(20, 0x21) });
    for (let i = 0; i < 5; i++) demuxer.push(muxer.onFrame(aac(i * 1920)));
    assert.equal(sink.track('audio').length, 5);
    muxer.onConfig(source.configs[0]!);
    for (const f of source.frames) demuxer.push(muxer.onFrame(f));
    demuxer.flush();
    assert.equal(sink.track('video').length, source.frames.length, 'every video frame after the PMT update');
    assert.deepEqual(sink.configs.map((c) => c.track), ['audio', 'video']);
    assert.equal(demuxer.stats.ccErrors, 0);
  } finally {
    tmp.cleanup();
  }
});
