import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  buildDigestC1,
  findClientDigest,
  HANDSHAKE_SIZE,
  RtmpServerHandshake,
  verifyDigestS1,
  verifyDigestS2,
} from '../../../src/protocols/rtmp/rtmp-handshake.js';
import { ProtocolError } from '../../../src/protocols/errors.js';

test('handshake: simple (C1 version 0) echoes C1 as S2, byte by byte input, rest after C2 returned', () => {
  const c1 = randomBytes(HANDSHAKE_SIZE);
  c1.writeUInt32BE(0, 4);
  const hs = new RtmpServerHandshake();
  const input = Buffer.concat([Buffer.of(3), c1]);
  let sent: Buffer | undefined;
  for (let i = 0; i < input.length; i++) {
    const step = hs.feed(input.subarray(i, i + 1));
    if (step.send) sent = step.send;
    assert.equal(step.done, false);
  }
  assert.ok(sent);
  assert.equal(sent.length, 1 + 2 * HANDSHAKE_SIZE);
  assert.equal(sent[0], 3);
  assert.deepEqual(sent.subarray(1 + HANDSHAKE_SIZE), c1);
  assert.equal(hs.complex, false);
  const c2 = sent.subarray(1, 1 + HANDSHAKE_SIZE);
  const step = hs.feed(Buffer.concat([c2, Buffer.from('0203', 'hex')]));
  assert.equal(step.done, true);
  assert.deepEqual(step.rest, Buffer.from('0203', 'hex'));
});

test('handshake: digest (FP9) C1 gets a digested S1 and an S2 signed from the client digest', () => {
  const c1 = buildDigestC1(randomBytes(HANDSHAKE_SIZE));
  const digest = findClientDigest(c1);
  assert.ok(digest);
  const hs = new RtmpServerHandshake();
  const step = hs.feed(Buffer.concat([Buffer.of(3), c1]));
  assert.ok(step.send);
  assert.equal(hs.complex, true);
  const s1 = step.send.subarray(1, 1 + HANDSHAKE_SIZE);
  const s2 = step.send.subarray(1 + HANDSHAKE_SIZE);
  assert.equal(verifyDigestS1(s1), true);
  assert.equal(verifyDigestS2(s2, digest), true);
  // a C1 with a version but no valid digest falls back to the simple echo
  const bogus = randomBytes(HANDSHAKE_SIZE);
  bogus.writeUInt32BE(0x80000702, 4);
  assert.equal(findClientDigest(bogus), undefined);
  const step2 = new RtmpServerHandshake().feed(Buffer.concat([Buffer.of(3), bogus]));
  assert.deepEqual(step2.send!.subarray(1 + HANDSHAKE_SIZE), bogus);
});

test('handshake: wrong version (RTMPE 6, HTTP) is a typed error', () => {
  assert.throws(() => new RtmpServerHandshake().feed(Buffer.of(6)), ProtocolError);
  assert.throws(() => new RtmpServerHandshake().feed(Buffer.from('GET / HTTP/1.1\r\n')), ProtocolError);
});
