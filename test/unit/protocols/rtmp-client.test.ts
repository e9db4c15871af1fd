/** Client-side RTMP codecs: handshake against the server side, zero-copy chunking, target URLs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RtmpClientHandshake, findServerDigest } from '../../../src/protocols/rtmp/rtmp-client-handshake.js';
import { HANDSHAKE_SIZE, RtmpServerHandshake, findClientDigest, verifyDigestS2 } from '../../../src/protocols/rtmp/rtmp-handshake.js';
import { RtmpChunkWriter } from '../../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { RtmpChunkReader } from '../../../src/protocols/rtmp/rtmp-chunk-reader.js';
import { messageHeaderLength, pushChunkedPayload, writeMessageHeader } from '../../../src/protocols/rtmp/rtmp-chunk-vector.js';
import { parseRtmpUrl } from '../../../src/protocols/rtmp/rtmp-url.js';
import { ProtocolError } from '../../../src/protocols/errors.js';
import { mulberry32 } from '../../helpers/prng.js';

test('client handshake: C0+C1 carries an FP9 digest; digested S1 gets a signed C2; bytes after S2 returned', () => {
  const client = new RtmpClientHandshake();
  const server = new RtmpServerHandshake();
  const c0c1 = client.start();
  assert.equal(c0c1.length, 1 + HANDSHAKE_SIZE);
  assert.equal(c0c1[0], 3);
  const clientDigest = findClientDigest(c0c1.subarray(1));
  assert.ok(clientDigest, 'C1 carries a valid client digest');
  const s = server.feed(c0c1);
  assert.ok(s.send && server.complex);
  // S0+S1+S2 and the first chunk bytes, fed one byte at a time
  const first = Buffer.from('02000000000004010000000000001000', 'hex');
  const input = Buffer.concat([s.send, first]);
  let c2: Buffer | undefined;
  let rest: Buffer[] = [];
  let done = false;
  for (let i = 0; i < input.length; i++) {
    const step = client.feed(input.subarray(i, i + 1));
    if (step.send) c2 = step.send;
    if (step.done) {
      if (done) rest.push(step.rest!);
      else if (step.rest?.length) rest = [step.rest];
      done = true;
    }
  }
  assert.ok(done && c2 && client.complex);
  assert.deepEqual(Buffer.concat(rest), first);
  assert.ok(verifyDigestS2(s.send.subarray(1 + HANDSHAKE_SIZE), clientDigest), 'S2 answers our digest');
  assert.equal(c2.length, HANDSHAKE_SIZE);
  const end = server.feed(c2);
  assert.equal(end.done, true);
});

test('client handshake: simple server (S1 version 0) gets S1 echoed as C2; bad version refused', () => {
  const client = new RtmpClientHandshake();
  client.start();
  const s1 = randomBytes(HANDSHAKE_SIZE);
  s1.writeUInt32BE(0, 4);
  assert.equal(findServerDigest(s1), undefined);
  const step = client.feed(Buffer.concat([Buffer.of(3), s1, randomBytes(HANDSHAKE_SIZE)]));
  assert.equal(step.done, true);
  assert.deepEqual(step.send, s1);
  assert.equal(client.complex, false);
  const other = new RtmpClientHandshake();
  other.start();
  assert.throws(() => other.feed(Buffer.of(6)), ProtocolError);
});

test('chunk vector: byte-identical to RtmpChunkWriter for prefix + payload, all sizes, extended timestamps; payload as views', () => {
  const rnd = mulberry32(7);
  for (const chunkSize of [128, 4096]) {
    for (const ts of [0, 40, 0xfffffe, 0xffffff, 0x12345678]) {
      for (const len of [0, 1, chunkSize - 5, chunkSize - 2, chunkSize, chunkSize + 1, 3 * chunkSize + 7]) {
        const prefix = Buffer.from([0x17, 1, 0, 0, 0x28]);
        const payload = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
        const w = new RtmpChunkWriter();
        w.chunkSize = chunkSize;
        const expected = w.write(6, 9, 1, ts, Buffer.concat([prefix, payload]));
        const hl = messageHeaderLength(ts);
        const head = Buffer.alloc(hl + prefix.length);
        assert.equal(writeMessageHeader(head, 0, 6, 9, 1, ts, prefix.length + payload.length), hl);
        prefix.copy(head, hl);
        const parts = [head];
        pushChunkedPayload(parts, chunkSize, 6, ts, prefix.length, payload);
        assert.deepEqual(Buffer.concat(parts), expected, `chunk ${chunkSize} ts ${ts} len ${len}`);
        for (const p of parts.slice(1)) if (p.length > 5) assert.equal(p.buffer, payload.buffer, 'payload slices are views');
        const r = new RtmpChunkReader();
        r.chunkSize = chunkSize;
        const msgs = r.feed(Buffer.concat(parts));
        assert.equal(msgs.length, 1);
        assert.equal(msgs[0]!.timestamp, ts >>> 0);
        assert.deepEqual(msgs[0]!.payload, Buffer.concat([prefix, payload]));
      }
    }
  }
  assert.throws(() => writeMessageHeader(Buffer.alloc(16), 0, 64, 9, 1, 0, 1), ProtocolError);
});

test('target URL: rtmp(s)://host[:port]/app[/more] with the key apart', () => {
  assert.deepEqual(parseRtmpUrl('rtmp://hyd01.contribute.live-video.net/app/'), {
    secure: false, host: 'hyd01.contribute.live-video.net', port: 1935, app: 'app', tcUrl: 'rtmp://hyd01.contribute.live-video.net/app',
  });
  assert.deepEqual(parseRtmpUrl('rtmps://live.fastpix.io:443/live'), { secure: true, host: 'live.fastpix.io', port: 443, app: 'live', tcUrl: 'rtmps://live.fastpix.io:443/live' });
  assert.equal(parseRtmpUrl('rtmps://a.rtmps.youtube.com/live2').port, 443);
  assert.equal(parseRtmpUrl('rtmp://h:1936/app/instance/').app, 'app/instance');
  assert.equal(parseRtmpUrl('rtmp://h/app?token=abc').app, 'app?token=abc');
  assert.deepEqual([parseRtmpUrl('rtmp://[::1]:1935/live').host, parseRtmpUrl('RTMP://127.0.0.1:5/live').port], ['::1', 5]);
  for (const bad of ['http://h/app', 'rtmp://h', 'rtmp://h/', 'not a url', 'rtmp:///app']) assert.throws(() => parseRtmpUrl(bad), ProtocolError, bad);
});
