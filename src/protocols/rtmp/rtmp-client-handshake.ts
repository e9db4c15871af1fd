/**
 * RTMP client handshake (RTMP 1.0 spec, section 5.2): C0+C1 out, S0+S1+S2 in, C2 out.
 * C1 carries the FP9 client digest as ffmpeg, librtmp and OBS send it (some ingest services only talk
 * to "Flash-like" clients). When S1 carries a server digest, C2 is signed with a key derived from it;
 * otherwise C2 echoes S1 ("C2 ... MUST be a copy of S1", the simple handshake).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { buildDigestC1, HANDSHAKE_SIZE } from './rtmp-handshake.js';

const RTMP_VERSION = 3;
const DIGEST_LENGTH = 32;

const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
/** "Genuine Adobe Flash Player 001" + 32 constant bytes: C2 is signed with a key derived from all 62. */
const CLIENT_KEY_FULL = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001', 'ascii'), KEY_TAIL]);
/** "Genuine Adobe Flash Media Server 001": S1's digest is an HMAC with these 36 bytes. */
const SERVER_KEY_TEXT = Buffer.from('Genuine Adobe Flash Media Server 001', 'ascii');

function hmac(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

function digestOffset(buf: Buffer, base: number): number {
  const sum = buf[base]! + buf[base + 1]! + buf[base + 2]! + buf[base + 3]!;
  return (sum % 728) + base + 4;
}

/** The server digest in S1 (either scheme), or undefined for a simple-handshake server. */
export function findServerDigest(s1: Buffer): Buffer | undefined {
  if (s1.readUInt32BE(4) === 0) return undefined;
  for (const base of [8, 772]) {
    const off = digestOffset(s1, base);
    const digest = s1.subarray(off, off + DIGEST_LENGTH);
    const expect = hmac(SERVER_KEY_TEXT, s1.subarray(0, off), s1.subarray(off + DIGEST_LENGTH));
    if (expect.equals(digest)) return digest;
  }
  return undefined;
}

export interface ClientHandshakeStep {
  /** bytes to send to the server now (C2), if any */
  send?: Buffer;
  /** the handshake is over; `rest` holds bytes that followed S2 (the server's first chunks) */
  done: boolean;
  rest?: Buffer;
}

/** Incremental client side of the handshake: `start()` once, then `feed()` what the server sends. */
export class RtmpClientHandshake {
  private buf: Buffer = Buffer.alloc(0);
  private state: 'start' | 's0s1' | 's2' | 'done' = 'start';
  private c1: Buffer | undefined;
  /** the server answered with a digested S1 (FP9 handshake) */
  complex = false;

  constructor(private readonly random: (n: number) => Buffer = randomBytes) {}

  /** C0 + C1. */
  start(): Buffer {
    if (this.state !== 'start') throw new ProtocolError('RTMP_HANDSHAKE', 'handshake already started');
    this.state = 's0s1';
    this.c1 = buildDigestC1(this.random(HANDSHAKE_SIZE));
    return Buffer.concat([Buffer.of(RTMP_VERSION), this.c1]);
  }

  feed(data: Buffer): ClientHandshakeStep {
    if (this.state === 'done') return { done: true, rest: data };
    if (this.state === 'start') throw new ProtocolError('RTMP_HANDSHAKE', 'server spoke before C0/C1');
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    let send: Buffer | undefined;
    if (this.state === 's0s1') {
      if (this.buf.length < 1) return { done: false };
      if (this.buf[0] !== RTMP_VERSION) throw new ProtocolError('RTMP_HANDSHAKE', `server answered RTMP version ${this.buf[0]}`);
      if (this.buf.length < 1 + HANDSHAKE_SIZE) return { done: false };
      send = this.c2(Buffer.from(this.buf.subarray(1, 1 + HANDSHAKE_SIZE)));
      this.buf = this.buf.subarray(1 + HANDSHAKE_SIZE);
      this.state = 's2';
    }
    if (this.buf.length < HANDSHAKE_SIZE) return send ? { send, done: false } : { done: false };
    // S2 echoes (or signs) C1; like librtmp we do not refuse a server whose S2 does not verify.
    const rest = this.buf.subarray(HANDSHAKE_SIZE);
    this.buf = Buffer.alloc(0);
    this.state = 'done';
    return send ? { send, done: true, rest } : { done: true, rest };
  }

  private c2(s1: Buffer): Buffer {
    const serverDigest = findServerDigest(s1);
    if (serverDigest === undefined) return s1;
    this.complex = true;
    // C2 = random 1504 bytes + HMAC(HMAC(full client key, server digest), those bytes).
    const c2 = Buffer.from(this.random(HANDSHAKE_SIZE));
    const key = hmac(CLIENT_KEY_FULL, serverDigest);
    hmac(key, c2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH)).copy(c2, HANDSHAKE_SIZE - DIGEST_LENGTH);
    return c2;
  }
}
