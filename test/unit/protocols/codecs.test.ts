import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAvcC, isH264Keyframe, parseAvcC, parseSps } from '../../../src/protocols/codecs/h264.js';
import { buildHvcC, parseHevcSps, parseHvcC } from '../../../src/protocols/codecs/hevc.js';
import { buildAudioSpecificConfig, parseAdtsHeader, parseAudioSpecificConfig } from '../../../src/protocols/codecs/aac.js';
import { parseAv1C } from '../../../src/protocols/codecs/av1.js';
import { annexBToLengthPrefixed, splitAnnexB } from '../../../src/protocols/codecs/annexb.js';
import { BitReader, unescapeRbsp } from '../../../src/protocols/codecs/bit-reader.js';
import { ProtocolError } from '../../../src/protocols/errors.js';
import { findBox, hasEncoder, makeAudio, makeClip } from './codecs-fixtures.js';

test('h264: avcC from libx264 (odd size, cropping) matches ffprobe; build round-trips', () => {
  for (const [size, profile] of [['202x118', 'high'], ['640x360', 'main'], ['176x144', 'baseline'], ['320x240', 'high444']] as const) {
    const args = ['-c:v', 'libx264', '-profile:v', profile, '-pix_fmt', profile === 'high444' ? 'yuv444p' : 'yuv420p'];
    const clip = makeClip(`h264-${size}-${profile}.mp4`, size, args);
    const avcC = findBox(clip.bytes, 'avcC');
    const c = parseAvcC(avcC);
    assert.equal(c.width, clip.probe.width, `${size} width`);
    assert.equal(c.height, clip.probe.height, `${size} height`);
    assert.equal(c.nalLengthSize, 4);
    assert.match(c.codecString, /^avc1\.[0-9a-f]{6}$/);
    assert.equal(c.codecString, `avc1.${avcC.subarray(1, 4).toString('hex')}`);
    const sps = parseSps(c.sps[0]!);
    assert.deepEqual([sps.width, sps.height], [clip.probe.width, clip.probe.height]);
    assert.equal(sps.profile, { baseline: 66, main: 77, high: 100, high444: 244 }[profile]);
    const rebuilt = buildAvcC(c.sps, c.pps);
    const again = parseAvcC(rebuilt);
    assert.deepEqual(again.sps, c.sps);
    assert.deepEqual(again.pps, c.pps);
    assert.equal(again.codecString, c.codecString);
    if (profile === 'high') assert.deepEqual(rebuilt, avcC.subarray(0, rebuilt.length), 'same bytes as ffmpeg writes');
  }
});

test('h264: Annex B stream split, converted, keyframes found', () => {
  const clip = makeClip('h264.h264', '160x96', ['-c:v', 'libx264', '-g', '3', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264']);
  const nals = splitAnnexB(clip.bytes);
  assert.ok(nals.length >= 7);
  for (const n of nals) assert.equal(n.buffer, clip.bytes.buffer, 'views, not copies');
  const types = nals.map((n) => n[0]! & 0x1f);
  assert.equal(types.filter((t) => t === 5).length, 2, 'two IDRs in 5 frames with -g 3');
  const sps = nals.find((n) => (n[0]! & 0x1f) === 7)!;
  assert.deepEqual([parseSps(sps).width, parseSps(sps).height], [160, 96]);
  const lp = annexBToLengthPrefixed(nals);
  assert.equal(lp.length, nals.reduce((s, n) => s + 4 + n.length, 0));
  assert.equal(lp.readUInt32BE(0), nals[0]!.length);
  assert.equal(isH264Keyframe(lp), true);
  const nonIdr = nals.filter((n) => (n[0]! & 0x1f) === 1);
  assert.equal(isH264Keyframe(annexBToLengthPrefixed(nonIdr)), false);
});

test('annexb: golden split with 3- and 4-byte start codes and trailing zeros', () => {
  const b = Buffer.from('ff00000001670a0b0000016801000000000165aa00', 'hex');
  assert.deepEqual(splitAnnexB(b).map((n) => n.toString('hex')), ['670a0b', '6801', '65aa']);
  assert.deepEqual(splitAnnexB(Buffer.alloc(0)), []);
  assert.deepEqual(annexBToLengthPrefixed([Buffer.from('65aa', 'hex')]).toString('hex'), '0000000265aa');
});

test('hevc: hvcC from libx265 matches ffprobe; buildHvcC from VPS/SPS/PPS round-trips', () => {
  for (const [size, extra] of [['202x118', ['-pix_fmt', 'yuv420p']], ['640x360', ['-pix_fmt', 'yuv420p10le']], ['320x240', ['-pix_fmt', 'yuv444p']]] as const) {
    const clip = makeClip(`hevc-${size}.mp4`, size, ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-tag:v', 'hvc1', ...extra]);
    const hvcC = findBox(clip.bytes, 'hvcC');
    const c = parseHvcC(hvcC);
    assert.deepEqual([c.width, c.height], [clip.probe.width, clip.probe.height]);
    assert.match(c.codecString, /^hvc1\.[124]\.[0-9A-F]+\.L\d+(\.[0-9A-F]+)*$/);
    assert.equal(c.codecString.split('.')[1], { yuv420p: '1', yuv420p10le: '2', yuv444p: '4' }[extra[1]], 'Main, Main 10 or RExt');
    const sps = parseHevcSps(c.sps[0]!);
    assert.equal(sps.codecString, c.codecString);
    const rebuilt = buildHvcC(c.vps, c.sps, c.pps);
    const again = parseHvcC(rebuilt);
    assert.equal(again.codecString, c.codecString);
    assert.deepEqual([again.vps, again.sps, again.pps], [c.vps, c.sps, c.pps]);
    assert.deepEqual(rebuilt.subarray(1, 13), hvcC.subarray(1, 13), 'profile/tier/level bytes as ffmpeg writes them');
  }
});

test('hevc: codec string golden (Main, level 3.1)', () => {
  // ISO/IEC 14496-15 E.3 form "hvc1.1.6.L93.B0"; x265 sets progressive_source + frame_only (0x90), not non_packed
  const clip = makeClip('hevc-golden.mp4', '640x360', ['-c:v', 'libx265', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error:level-idc=31', '-tag:v', 'hvc1']);
  assert.equal(parseHvcC(findBox(clip.bytes, 'hvcC')).codecString, 'hvc1.1.6.L93.90');
});

test('av1: av1C from an AV1 encoder gives codec string and size', () => {
  const enc = hasEncoder('libsvtav1') ? ['-c:v', 'libsvtav1', '-preset', '12'] : ['-c:v', 'libaom-av1', '-cpu-used', '8'];
  const clip = makeClip('av1.mp4', '320x240', enc, 2);
  const c = parseAv1C(findBox(clip.bytes, 'av1C'));
  assert.equal(c.width, 320);
  assert.equal(c.height, 240);
  assert.match(c.codecString, /^av01\.0\.\d\dM\.08$/);
  // golden: profile 0, level 8 (4.0), main tier, 10 bit, no config OBUs
  assert.deepEqual(parseAv1C(Buffer.from('81084c00', 'hex')), { profile: 0, level: 8, tier: 0, bitDepth: 10, codecString: 'av01.0.08M.10' });
  assert.throws(() => parseAv1C(Buffer.from('01', 'hex')), ProtocolError);
});

test('aac: ASC and ADTS from ffmpeg aac match ffprobe', () => {
  for (const [rate, ch] of [[44100, 1], [48000, 2], [22050, 2]] as const) {
    const m4a = makeAudio(`a-${rate}-${ch}.m4a`, ['-ar', String(rate), '-ac', String(ch), '-c:a', 'aac']);
    const esds = findBox(m4a.bytes, 'esds');
    const asc = ascFromEsds(esds);
    const info = parseAudioSpecificConfig(asc);
    assert.deepEqual([info.objectType, info.sampleRate, info.channels, info.codecString], [2, rate, ch, 'mp4a.40.2']);
    const adts = makeAudio(`a-${rate}-${ch}.aac`, ['-ar', String(rate), '-ac', String(ch), '-c:a', 'aac', '-f', 'adts']);
    let p = 0;
    let frames = 0;
    while (p < adts.bytes.length) {
      const h = parseAdtsHeader(adts.bytes, p);
      assert.ok(h, `ADTS header at ${p}`);
      assert.deepEqual([h.sampleRate, h.channels, h.objectType, h.samplesPerFrame], [rate, ch, 2, 1024]);
      p += h.frameLength;
      frames++;
    }
    assert.equal(p, adts.bytes.length);
    assert.ok(frames > 5);
  }
});

test('aac: golden ASC bytes, build round trip, HE-AAC explicit signalling, bad input', () => {
  assert.deepEqual(buildAudioSpecificConfig(2, 4, 2), Buffer.from('1210', 'hex')); // LC 44.1k stereo
  assert.deepEqual(buildAudioSpecificConfig(2, 3, 1), Buffer.from('1188', 'hex')); // LC 48k mono
  assert.deepEqual(parseAudioSpecificConfig(Buffer.from('1190', 'hex')), { objectType: 2, sampleRate: 48000, channels: 2, codecString: 'mp4a.40.2' });
  // HE-AAC: AOT 5, 24 kHz core, mono, extension 48 kHz, then AOT 2
  const he = parseAudioSpecificConfig(Buffer.from('2b098800', 'hex'));
  assert.equal(he.objectType, 5);
  assert.equal(he.codecString, 'mp4a.40.5');
  assert.equal(he.sampleRate, 24000);
  assert.equal(he.channels, 1);
  assert.equal(he.extensionSampleRate, 48000);
  assert.throws(() => parseAudioSpecificConfig(Buffer.from('12', 'hex')), ProtocolError);
  assert.throws(() => parseAudioSpecificConfig(Buffer.from('17f0', 'hex')), ProtocolError); // reserved rate index 14
  assert.equal(parseAdtsHeader(Buffer.from('fff1', 'hex'), 0), undefined);
  assert.equal(parseAdtsHeader(Buffer.from('00112233445566', 'hex'), 0), undefined);
  assert.throws(() => buildAudioSpecificConfig(2, 13, 2), ProtocolError);
});

test('bit reader: Exp-Golomb golden values and emulation prevention', () => {
  // 1 | 010 | 011 | 00100 | 00101 -> ue 0,1,2,3,4
  const r = new BitReader(Buffer.from([0b10100110, 0b01000010, 0b10000000]));
  assert.deepEqual([r.ue(), r.ue(), r.ue(), r.ue(), r.ue()], [0, 1, 2, 3, 4]);
  const s = new BitReader(Buffer.from([0b01001100, 0b10000000]));
  assert.deepEqual([s.se(), s.se(), s.se()], [1, -1, 2]);
  assert.deepEqual(unescapeRbsp(Buffer.from('0000030100000302', 'hex')).toString('hex'), '000001000002');
  const plain = Buffer.from('000102', 'hex');
  assert.equal(unescapeRbsp(plain), plain);
  assert.throws(() => new BitReader(Buffer.alloc(1)).ue(), ProtocolError);
});

test('codecs: hostile parameter sets end in ProtocolError, never a hang', () => {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const avcC = findBox(makeClip('fuzz.mp4', '160x96', ['-c:v', 'libx264']).bytes, 'avcC');
  const parsers: [string, (b: Buffer) => unknown, Buffer][] = [
    ['avcC', parseAvcC, avcC],
    ['sps', parseSps, Buffer.concat([Buffer.of(0x67), avcC.subarray(9, 30)])],
    ['hvcC', parseHvcC, Buffer.from('0101600000009000000000005df000fcfdf8f800000f03', 'hex')],
    ['asc', parseAudioSpecificConfig, Buffer.from('1210', 'hex')],
    ['av1C', parseAv1C, Buffer.from('81084c000a0b0000002453ffffffffff', 'hex')],
  ];
  const start = Date.now();
  for (const [name, parse, base] of parsers) {
    for (let i = 0; i < 1500; i++) {
      const b = Buffer.from(base.subarray(0, Math.floor(rnd() * (base.length + 1))));
      const flips = Math.floor(rnd() * 4);
      for (let f = 0; f < flips && b.length; f++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        parse(b);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `${name}: ${String(err)}`);
      }
    }
  }
  assert.ok(Date.now() - start < 5000);
});

/** esds (ISO/IEC 14496-1 descriptors): ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo. */
function ascFromEsds(esds: Buffer): Buffer {
  let p = 4; // version + flags
  const descr = (): [number, number] => {
    const tag = esds[p++]!;
    let len = 0;
    for (let i = 0; i < 4; i++) {
      const b = esds[p++]!;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return [tag, len];
  };
  assert.equal(descr()[0], 0x03);
  p += 3; // ES_ID, flags (ffmpeg sets none)
  assert.equal(descr()[0], 0x04);
  p += 13;
  const [tag, len] = descr();
  assert.equal(tag, 0x05);
  return esds.subarray(p, p + len);
}
