/**
 * RTMP server handshake (RTMP 1.0 spec, section 5.2): C0+C1 in, S0+S1+S2 out, C2 in.
 * Plain clients (C1 version field zero: ffmpeg publishing, OBS, GStreamer) get the simple handshake
 * (S2 echoes C1). Flash-style clients whose C1 carries an HMAC-SHA256 digest (FP9 handshake) get a
 * digested S1 and an S2 signed with a key derived from the client's digest, which librtmp verifies.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors.js';

export const HANDSHAKE_SIZE = 1536;
const RTMP_VERSION = 3;
const DIGEST_LENGTH = 32;

const KEY_TAIL = Buffer.from(
  'f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae',
  'hex',
);
/** "Genuine Adobe Flash Player 001": the client signs C1 with these 30 bytes. */
const CLIENT_KEY = Buffer.from('Genuine Adobe Flash Player 001', 'ascii');
/** "Genuine Adobe Flash Media Server 001" + 32 constant bytes; S1 is signed with the first 36 bytes. */
const SERVER_KEY_TEXT = Buffer.from('Genuine Adobe Flash Media Server 001', 'ascii');
const SERVER_KEY = Buffer.concat([SERVER_KEY_TEXT, KEY_TAIL]);

/** Digest offset for the scheme whose 764-byte block starts at `base` (8 or 772). */
function digestOffset(buf: Buffer, base: number): number {
  const sum = buf[base]! + buf[base + 1]! + buf[base + 2]! + buf[base + 3]!;
  return (sum % 728) + base + 4;
}

function hmac(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HMAC over the 1536-byte packet minus the 32 digest bytes at `offset`. */
function packetDigest(packet: Buffer, offset: number, key: Buffer): Buffer {
  return hmac(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_LENGTH));
}

/** Finds a valid client digest in C1 (both schemes), or undefined. */
export function findClientDigest(c1: Buffer): Buffer | undefined {
  for (const base of [772, 8]) {
    const off = digestOffset(c1, base);
    const digest = c1.subarray(off, off + DIGEST_LENGTH);
    if (packetDigest(c1, off, CLIENT_KEY).equals(digest)) return digest;
  }
  return undefined;
}

export interface HandshakeStep {
  /** bytes to send to the client now (S0+S1+S2), if any */
  send?: Buffer;
  /** the handshake is over; `rest` holds the bytes that followed C2 (the first chunks) */
  done: boolean;
  rest?: Buffer;
}

/** Incremental server side of the handshake. */
export class RtmpServerHandshake {
  private buf: Buffer = Buffer.alloc(0);
  private state: 'c0c1' | 'c2' | 'done' = 'c0c1';
  /** the client used the digest (FP9) handshake */
  complex = false;

  constructor(private readonly random: (n: number) => Buffer = randomBytes) {}

  feed(data: Buffer): HandshakeStep {
    if (this.state === 'done') return { done: true, rest: data };
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    let send: Buffer | undefined;
    if (this.state === 'c0c1') {
      if (this.buf.length < 1) return { done: false };
      // "In C0, this field identifies the RTMP version requested by the client ... 3"; 6 = RTMPE (encrypted)
      if (this.buf[0] !== RTMP_VERSION) {
        throw new ProtocolError('RTMP_HANDSHAKE', `unsupported RTMP version ${this.buf[0]}`);
      }
      if (this.buf.length < 1 + HANDSHAKE_SIZE) return { done: false };
      send = this.respond(this.buf.subarray(1, 1 + HANDSHAKE_SIZE));
      this.buf = this.buf.subarray(1 + HANDSHAKE_SIZE);
      this.state = 'c2';
    }
    if (this.buf.length < HANDSHAKE_SIZE) return { send, done: false };
    // C2 echoes S1 (or signs it); we do not need to verify it to serve the client.
    const rest = this.buf.subarray(HANDSHAKE_SIZE);
    this.buf = Buffer.alloc(0);
    this.state = 'done';
    return { send, done: true, rest };
  }

  private respond(c1: Buffer): Buffer {
    const out = Buffer.allocUnsafe(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = out.subarray(1 + HANDSHAKE_SIZE);
    this.random(HANDSHAKE_SIZE).copy(s1);
    s1.writeUInt32BE(0, 0); // time
    const clientVersion = c1.readUInt32BE(4);
    const clientDigest = clientVersion !== 0 ? findClientDigest(c1) : undefined;
    if (clientDigest === undefined) {
      // Simple handshake: "S1 ... zero" version field; "S2 ... MUST be a copy of C1".
      s1.writeUInt32BE(0, 4);
      c1.copy(s2);
      return out;
    }
    this.complex = true;
    // Digest handshake: a server version in S1, its digest in the scheme-1 (base 8) block ...
    s1.writeUInt32BE(0x0d0e0a0d, 4);
    const off = digestOffset(s1, 8);
    packetDigest(s1, off, SERVER_KEY.subarray(0, SERVER_KEY_TEXT.length)).copy(s1, off);
    // ... and S2 = random 1504 bytes + HMAC(HMAC(full server key, client digest), those bytes).
    this.random(HANDSHAKE_SIZE - DIGEST_LENGTH).copy(s2);
    const key = hmac(SERVER_KEY, clientDigest);
    hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH)).copy(s2, HANDSHAKE_SIZE - DIGEST_LENGTH);
    return out;
  }
}

/** Test/client helper: builds a C1 signed with the client key (digest in the base-8 scheme). */
export function buildDigestC1(random: Buffer): Buffer {
  const c1 = Buffer.from(random.subarray(0, HANDSHAKE_SIZE));
  c1.writeUInt32BE(0, 0);
  c1.writeUInt32BE(0x80000702, 4);
  const off = digestOffset(c1, 8);
  packetDigest(c1, off, CLIENT_KEY).copy(c1, off);
  return c1;
}

/** Test/client helper: checks an S2 against the client digest it answers. */
export function verifyDigestS2(s2: Buffer, clientDigest: Buffer): boolean {
  const key = hmac(SERVER_KEY, clientDigest);
  const sig = hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH));
  return sig.equals(s2.subarray(HANDSHAKE_SIZE - DIGEST_LENGTH));
}

/** Test/client helper: checks the server digest in S1 (base-8 scheme). */
export function verifyDigestS1(s1: Buffer): boolean {
  const off = digestOffset(s1, 8);
  return packetDigest(s1, off, SERVER_KEY.subarray(0, SERVER_KEY_TEXT.length)).equals(s1.subarray(off, off + DIGEST_LENGTH));
}
