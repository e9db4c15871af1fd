import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtmpChunkReader, type AssemblyBudget } from '../../../src/protocols/rtmp/rtmp-chunk-reader.js';
import { RtmpChunkWriter } from '../../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { decodeCommand } from '../../../src/protocols/rtmp/rtmp-command.js';
import { encodeAmf0 } from '../../../src/protocols/amf0/amf0-encoder.js';
import { ProtocolError } from '../../../src/protocols/errors.js';
import { releaseSlab, slabPool } from '../../../src/protocols/slab-pool.js';

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A plausible session: commands and media on several chunk streams, chunk size change midway. */
function session(rnd: () => number): Buffer {
  const w = new RtmpChunkWriter();
  const parts: Buffer[] = [w.write(3, 20, 0, 0, encodeAmf0('connect', 1, { app: 'live' }))];
  let ts = 0;
  for (let i = 0; i < 30; i++) {
    ts += Math.floor(rnd() * 40);
    if (i === 10) {
      parts.push(w.write(2, 1, 0, 0, Buffer.from('00001000', 'hex')));
      w.chunkSize = 4096;
    }
    const size = Math.floor(rnd() * 6000);
    parts.push(w.write(4 + (i % 3), i % 2 ? 8 : 9, 1, ts + (i === 20 ? 0x1000000 : 0), Buffer.alloc(size, i)));
  }
  return Buffer.concat(parts);
}

test('rtmp fuzz: valid sessions in random slices always reassemble the same messages', () => {
  const rnd = mulberry32(42);
  for (let n = 0; n < 20; n++) {
    const bytes = session(rnd);
    const whole = new RtmpChunkReader().feed(bytes).map((m) => [m.csid, m.type, m.timestamp, m.payload.length, m.payload[0]]);
    assert.equal(whole.length, 32);
    const r = new RtmpChunkReader();
    const sliced = [];
    for (let p = 0; p < bytes.length; ) {
      const step = 1 + Math.floor(rnd() * (rnd() < 0.3 ? 8 : 3000));
      sliced.push(...r.feed(bytes.subarray(p, p + step)));
      p += step;
    }
    assert.deepEqual(sliced.map((m) => [m.csid, m.type, m.timestamp, m.payload.length, m.payload[0]]), whole);
  }
});

test('rtmp fuzz: random, truncated and mutated chunk streams -> messages or ProtocolError, bounded memory and time', () => {
  const rnd = mulberry32(7);
  const start = Date.now();
  const before = process.memoryUsage().rss;
  for (let n = 0; n < 3000; n++) {
    let bytes: Buffer;
    const mode = n % 3;
    if (mode === 0) bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
    else {
      bytes = Buffer.from(session(rnd).subarray(0, 1 + Math.floor(rnd() * 4000)));
      if (mode === 2) for (let f = 0; f < 1 + rnd() * 6; f++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
    }
    const r = new RtmpChunkReader();
    try {
      for (let p = 0; p < bytes.length; p += 64) {
        for (const m of r.feed(bytes.subarray(p, p + 64))) {
          if (m.type === 20) {
            try {
              decodeCommand(m.type, m.payload);
            } catch (err) {
              assert.ok(err instanceof ProtocolError, String(err));
            }
          }
        }
      }
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err));
    }
  }
  assert.ok(Date.now() - start < 10000, 'bounded time');
  assert.ok(process.memoryUsage().rss - before < 512 * 1024 * 1024, 'bounded memory');
});

test('rtmp fuzz: huge chunk sizes and absurd lengths are refused before allocation', () => {
  const r = new RtmpChunkReader({ maxMessageLength: 1 << 20 });
  assert.throws(() => r.feed(Buffer.from('06000000ffffff0901000000', 'hex')), (e: unknown) => e instanceof ProtocolError && e.code === 'RTMP_MESSAGE_LENGTH');
  assert.throws(
    () => new RtmpChunkReader().feed(Buffer.from('020000000000040100000000' + '7fffffff', 'hex')),
    (e: unknown) => e instanceof ProtocolError && e.code === 'RTMP_CHUNK_SIZE',
  );
});

/** A shared budget that checks the reader's bookkeeping: never over its limit, never below zero. */
class CheckedBudget implements AssemblyBudget {
  used = 0;
  peak = 0;
  refused = 0;
  constructor(readonly limit: number) {}
  reserve(bytes: number): boolean {
    assert.ok(bytes > 0, `reserve(${bytes})`);
    if (this.used + bytes > this.limit) {
      this.refused++;
      return false;
    }
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
    return true;
  }
  release(bytes: number): void {
    this.used -= bytes;
    assert.ok(this.used >= 0, 'released more than reserved');
  }
}

test('rtmp fuzz: readers sharing a budget never exceed it, and give every byte and every slab back (messages, drops, aborts, errors)', () => {
  const rnd = mulberry32(99);
  const slabsBefore = slabPool.inUse;
  let slabbed = 0;
  const budget = new CheckedBudget(256 * 1024);
  const start = Date.now();
  let errors = 0;
  for (let n = 0; n < 2000; n++) {
    let bytes: Buffer;
    if (n % 4 === 0) bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 400) }, () => Math.floor(rnd() * 256)));
    else {
      bytes = Buffer.from(session(rnd).subarray(0, 1 + Math.floor(rnd() * 20000)));
      for (let f = 0; f < (n % 4) * 3; f++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
    }
    // small limits, as a server sets them before publish, on half of the readers
    // (and media in recycled slabs, as after publish, on the other half: the caller releases what it was handed)
    const r = new RtmpChunkReader(n % 2 ? { budget, maxMessageLength: 4096, maxPendingBytes: 8192, slabs: false } : { budget, slabs: true });
    try {
      const step = 1 + Math.floor(rnd() * 200);
      for (let p = 0; p < bytes.length; p += step) {
        for (const m of r.feed(bytes.subarray(p, p + step))) {
          if (!m.slab) continue;
          slabbed++;
          releaseSlab(m.slab);
        }
      }
      assert.ok(r.pending >= 0);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err));
      errors++;
    }
    assert.ok(budget.used <= budget.limit);
    r.dispose();
    r.dispose(); // idempotent
  }
  assert.equal(budget.used, 0, 'every reserved byte released after dispose');
  assert.ok(slabbed > 0, 'media was assembled in slabs');
  assert.equal(slabPool.inUse, slabsBefore, 'every slab back in the pool after dispose');
  assert.ok(budget.peak > 0 && errors > 0, `budget exercised (peak ${budget.peak}, ${errors} errors)`);
  assert.ok(Date.now() - start < 10000, 'bounded time');
});

test('rtmp fuzz: a new header in the middle of a message releases the old length, not the new one', () => {
  const budget = new CheckedBudget(1 << 20);
  const r = new RtmpChunkReader({ budget });
  // csid 4: a 1000-byte message, first 128-byte chunk only ...
  r.feed(Buffer.concat([Buffer.from('04000000' + '0003e8' + '09' + '01000000', 'hex'), Buffer.alloc(128)]));
  assert.equal(r.pending, 1000);
  assert.equal(budget.used, 1000);
  // ... then a fmt 0 header of a 10-byte message on the same chunk stream: the partial one is dropped.
  const msgs = r.feed(Buffer.concat([Buffer.from('04000000' + '00000a' + '09' + '01000000', 'hex'), Buffer.alloc(10, 7)]));
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0]!.payload.length, 10);
  assert.equal(r.pending, 0);
  assert.equal(budget.used, 0);
});

test('rtmp fuzz: a message that does not fit the shared budget is refused before allocation with RTMP_BUDGET', () => {
  const budget = new CheckedBudget(100_000);
  const a = new RtmpChunkReader({ budget });
  a.feed(Buffer.concat([Buffer.from('04000000' + '00ea60' + '09' + '01000000', 'hex'), Buffer.alloc(128)])); // 60 000 bytes
  const b = new RtmpChunkReader({ budget });
  assert.throws(
    () => b.feed(Buffer.concat([Buffer.from('04000000' + '00ea60' + '09' + '01000000', 'hex'), Buffer.alloc(128)])),
    (e: unknown) => e instanceof ProtocolError && e.code === 'RTMP_BUDGET',
  );
  assert.equal(budget.used, 60_000);
  assert.equal(b.pending, 0);
  a.dispose();
  assert.equal(budget.used, 0);
  // the limits can be raised at run time: 4 KiB -> 64 KiB
  const c = new RtmpChunkReader({ maxMessageLength: 4096 });
  const header = Buffer.from('04000000' + '002000' + '09' + '01000000', 'hex'); // 8 KiB
  assert.throws(() => c.feed(header), (e: unknown) => e instanceof ProtocolError && e.code === 'RTMP_MESSAGE_LENGTH');
  const d = new RtmpChunkReader({ maxMessageLength: 4096 });
  d.setLimits({ maxMessageLength: 65536 });
  assert.doesNotThrow(() => d.feed(header));
});
