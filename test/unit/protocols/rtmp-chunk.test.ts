import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtmpChunkReader } from '../../../src/protocols/rtmp/rtmp-chunk-reader.js';
import { RtmpChunkWriter } from '../../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { setChunkSizeBody } from '../../../src/protocols/rtmp/rtmp-message.js';
import { ProtocolError } from '../../../src/protocols/errors.js';
import { releaseSlab, slabPool } from '../../../src/protocols/slab-pool.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Feeds `data` in slices of `step` bytes and collects every message. */
function feedAll(reader: RtmpChunkReader, data: Buffer, step = data.length) {
  const out = [];
  for (let p = 0; p < data.length; p += step) out.push(...reader.feed(data.subarray(p, p + step)));
  return out;
}

test('chunk reader: golden fmt 0/1/2/3 headers and timestamp deltas', () => {
  const bytes = Buffer.concat([
    // fmt 0, csid 4, ts 1000, len 3, type 9, stream 1 (little-endian)
    hex('04 0003e8 000003 09 01000000'), hex('aabbcc'),
    // fmt 1, csid 4, delta 40, len 2, type 8
    hex('44 000028 000002 08'), hex('dddd'),
    // fmt 2, csid 4, delta 33
    hex('84 000021'), hex('eeee'),
    // fmt 3, csid 4: new message, same delta 33
    hex('c4'), hex('ffff'),
  ]);
  for (const step of [bytes.length, 1, 3, 7]) {
    const msgs = feedAll(new RtmpChunkReader(), bytes, step);
    assert.deepEqual(
      msgs.map((m) => [m.csid, m.type, m.streamId, m.timestamp, m.payload.toString('hex')]),
      [
        [4, 9, 1, 1000, 'aabbcc'],
        [4, 8, 1, 1040, 'dddd'],
        [4, 8, 1, 1073, 'eeee'],
        [4, 8, 1, 1106, 'ffff'],
      ],
      `slices of ${step}`,
    );
  }
});

test('chunk reader: fmt 3 right after fmt 0 uses the first timestamp as the delta (spec example)', () => {
  const msgs = new RtmpChunkReader().feed(Buffer.concat([hex('03 000064 000001 14 00000000 01'), hex('c3 02')]));
  assert.deepEqual(msgs.map((m) => m.timestamp), [100, 200]);
});

test('chunk reader: multi-chunk message, 2- and 3-byte chunk stream ids, interleaving', () => {
  const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
  const other = Buffer.from('0102', 'hex');
  const bytes = Buffer.concat([
    hex('00 00 000010 00012c 09 01000000'), payload.subarray(0, 128), // csid 64 (2-byte form)
    hex('01 0001 000000 000002 08 01000000'), other, // csid 320 (3-byte form), interleaved
    hex('c0 00'), payload.subarray(128, 256),
    hex('c0 00'), payload.subarray(256),
  ]);
  for (const step of [bytes.length, 1, 5, 129]) {
    const msgs = feedAll(new RtmpChunkReader(), bytes, step);
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0]!.csid, 320);
    assert.deepEqual(msgs[0]!.payload, other);
    assert.equal(msgs[1]!.csid, 64);
    assert.equal(msgs[1]!.timestamp, 16);
    assert.deepEqual(msgs[1]!.payload, payload);
  }
});

test('chunk reader: single-chunk message is a view of the input; multi-chunk is one buffer of the message length', () => {
  const input = Buffer.concat([hex('06 000000 000004 09 01000000'), hex('01020304')]);
  const [m] = new RtmpChunkReader().feed(input);
  assert.equal(m!.payload.buffer, input.buffer);
  assert.equal(m!.payload.byteOffset, input.byteOffset + 12);
  const big = Buffer.concat([hex('06 000000 000081 09 01000000'), Buffer.alloc(128, 7), hex('c6 08')]);
  const [n] = new RtmpChunkReader().feed(big);
  assert.equal(n!.payload.length, 129);
  assert.deepEqual(n!.payload, Buffer.concat([Buffer.alloc(128, 7), Buffer.of(8)]));
  big.fill(0);
  assert.equal(n!.payload[0], 7, 'assembled into its own buffer');
});

test('chunk reader: extended timestamps on fmt 0 and repeated on fmt 3 continuation chunks', () => {
  const payload = Buffer.alloc(200, 1);
  // as ffmpeg writes: type 0 with 0xffffff + 4-byte extended ts, continuation type 3 repeats it
  const withRepeat = Buffer.concat([
    hex('04 ffffff 0000c8 09 01000000 01000000'), payload.subarray(0, 128),
    hex('c4 01000000'), payload.subarray(128),
  ]);
  // some encoders do not repeat it on continuation chunks
  const withoutRepeat = Buffer.concat([
    hex('04 ffffff 0000c8 09 01000000 01000000'), payload.subarray(0, 128),
    hex('c4'), payload.subarray(128),
  ]);
  for (const bytes of [withRepeat, withoutRepeat]) {
    for (const step of [bytes.length, 1, 2]) {
      const msgs = feedAll(new RtmpChunkReader(), bytes, step);
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0]!.timestamp, 0x01000000);
      assert.deepEqual(msgs[0]!.payload, payload);
    }
  }
  // extended delta on fmt 1, then a fmt 3 new message repeats the extended delta field
  const msgs = new RtmpChunkReader().feed(Buffer.concat([
    hex('04 000000 000001 09 01000000 aa'),
    hex('44 ffffff 000001 09 01000000 bb'),
    hex('c4 01000000 cc'),
  ]));
  assert.deepEqual(msgs.map((m) => m.timestamp), [0, 0x01000000, 0x02000000]);
});

test('chunk reader: Set Chunk Size applies to the following chunks, in the same feed', () => {
  const payload = Buffer.alloc(1000, 9);
  const bytes = Buffer.concat([hex('02 000000 000004 01 00000000'), setChunkSizeBody(4096), hex('06 000000 0003e8 09 01000000'), payload]);
  const r = new RtmpChunkReader();
  const msgs = r.feed(bytes);
  assert.equal(r.chunkSize, 4096);
  assert.equal(msgs.length, 2);
  assert.deepEqual(msgs[1]!.payload, payload);
});

test('chunk reader: multi-chunk audio and video are assembled in a recycled slab the message holds; the rest is not', () => {
  const held = (): number => slabPool.inUse;
  const before = held();
  const video = Buffer.concat([hex('06 000000 000081 09 01000000'), Buffer.alloc(128, 7), hex('c6 08')]);
  const command = Buffer.concat([hex('03 000000 000081 14 00000000'), Buffer.alloc(128, 2), hex('c3 02')]);
  const single = Buffer.concat([hex('04 000000 000004 08 01000000'), hex('af010203')]);
  const reader = new RtmpChunkReader({ slabs: true });
  const [v, c, a] = reader.feed(Buffer.concat([video, command, single]));
  assert.ok(v!.slab, 'a multi-chunk video message lies in a slab');
  assert.equal(v!.payload.buffer, v!.slab.buf.buffer);
  assert.deepEqual(v!.payload, Buffer.concat([Buffer.alloc(128, 7), Buffer.of(8)]));
  assert.equal(c!.slab, null, 'commands get a buffer of their own (they may be kept)');
  assert.equal(a!.slab, null, 'a single-chunk message is a view of the input, not in a slab');
  assert.equal(v!.slab.refs, 2, 'the message and the reader\'s cursor');
  // a partial video message when the connection goes: dispose gives its reference back, and the cursor's
  reader.feed(Buffer.concat([hex('06 000000 000081 09 01000000'), Buffer.alloc(100, 1)]));
  assert.equal(v!.slab.refs, 3);
  reader.dispose();
  assert.equal(v!.slab.refs, 1, 'only the delivered message holds it now');
  const slab = v!.slab;
  releaseSlab(slab);
  assert.equal(held(), before, 'the slab went back to the pool');
  // with slabs off (the default; a server's peer not yet trusted) nothing is carved
  const [w] = new RtmpChunkReader().feed(video);
  assert.equal(w!.slab, null);
  assert.equal(held(), before);
});

test('chunk reader: Abort drops the partial message of that chunk stream', () => {
  const bytes = Buffer.concat([
    hex('06 000000 0000c8 09 01000000'), Buffer.alloc(128, 1), // 128 of 200 bytes
    hex('02 000000 000004 02 00000000 00000006'), // Abort csid 6
    hex('06 000000 000002 09 01000000 abcd'),
  ]);
  const msgs = new RtmpChunkReader().feed(bytes);
  assert.deepEqual(msgs.map((m) => [m.type, m.payload.toString('hex')]), [[2, '00000006'], [9, 'abcd']]);
});

test('chunk reader: zero-length messages are delivered', () => {
  const msgs = new RtmpChunkReader().feed(hex('06 000000 000000 09 01000000 c6'));
  assert.deepEqual(msgs.map((m) => m.payload.length), [0, 0]);
});

test('chunk reader: limits end in typed errors', () => {
  const code = (c: string) => (e: unknown) => e instanceof ProtocolError && e.code === c;
  const scs = (v: string) => Buffer.concat([hex('02 000000 000004 01 00000000'), hex(v)]);
  assert.throws(() => new RtmpChunkReader().feed(scs('00000000')), code('RTMP_CHUNK_SIZE'));
  assert.throws(() => new RtmpChunkReader().feed(scs('80000000')), code('RTMP_CHUNK_SIZE'));
  assert.throws(() => new RtmpChunkReader().feed(scs('01000001')), code('RTMP_CHUNK_SIZE'));
  assert.doesNotThrow(() => new RtmpChunkReader().feed(scs('01000000')));
  assert.throws(() => new RtmpChunkReader({ maxMessageLength: 1000 }).feed(hex('06 000000 0003e9 09 01000000')), code('RTMP_MESSAGE_LENGTH'));
  assert.throws(() => new RtmpChunkReader().feed(hex('c6')), code('RTMP_CHUNK_STATE'));
  const many = Buffer.concat(Array.from({ length: 65 }, (_, i) => Buffer.concat([hex('01'), Buffer.of(i & 0xff, i >> 8), hex('000000 000000 09 01000000')])));
  assert.throws(() => new RtmpChunkReader().feed(many), code('RTMP_CHUNK_STREAMS'));
  // many chunk streams each declaring a 16 MiB message: bounded pending memory
  const r = new RtmpChunkReader();
  r.feed(scs('00000001')); // chunk size 1: each message is pending after 1 byte
  const hog = Buffer.concat(Array.from({ length: 3 }, (_, i) => Buffer.concat([Buffer.of(10 + i), hex('000000 ffffff 09 01000000 00')])));
  assert.throws(() => r.feed(hog), code('RTMP_PENDING'));
});

test('chunk writer: fmt 0 then fmt 3 continuation; reader reads it back; extended timestamp', () => {
  const w = new RtmpChunkWriter();
  const payload = Buffer.alloc(300, 5);
  const out = w.write(3, 20, 1, 0x01020304, payload);
  assert.deepEqual(out.subarray(0, 16), hex('03 ffffff 00012c 14 01000000 01020304'));
  assert.equal(out[16 + 128], 0xc3);
  const [m] = new RtmpChunkReader().feed(out);
  assert.equal(m!.timestamp, 0x01020304);
  assert.deepEqual(m!.payload, payload);
  w.chunkSize = 4096;
  assert.deepEqual(w.write(2, 1, 0, 0, setChunkSizeBody(4096)), hex('02 000000 000004 01 00000000 00001000'));
  assert.deepEqual(w.write(400, 9, 0, 5, Buffer.alloc(0)), hex('01 5001 000005 000000 09 00000000'));
  assert.deepEqual(w.write(300, 9, 0, 5, Buffer.alloc(0)), hex('00 ec 000005 000000 09 00000000'));
});
