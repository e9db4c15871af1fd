/** The native SRT listener against real callers (ffmpeg, srt-live-transmit): admission, refusals, flood, fuzz. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSrtAddon, type NativeControlEvent, type NativeListenerOptions, type NativeSrtListener } from '../../../src/ingest/srt/native.js';
import { SrtRejectCode, SRT_REJ_BADSECRET, SRT_REJ_UNSECURE } from '../../../src/ingest/srt/srt-reject-reasons.js';
import { LossyUdpRelay } from '../../helpers/lossy-udp-relay.js';
import { ensureSrtAddon, ffmpegPublish, killChildren, makeSample, waitFor } from './srt-test-kit.js';
import { mulberry32 } from '../../helpers/prng.js';

const SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90kstream1';
let dir: string;
let sample1: string;
let sample3: string;

before(() => {
  ensureSrtAddon();
  dir = mkdtempSync(join(tmpdir(), 'onair-srt-native-'));
  sample1 = makeSample(dir, 1);
  sample3 = makeSample(dir, 3);
});

after(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

/** A listener on a free port that records every event and byte count per socket. */
function openListener(options: NativeListenerOptions = {}) {
  const { SrtListener } = loadSrtAddon();
  const events: NativeControlEvent[] = [];
  const bytes = new Map<number, number>();
  const listener: NativeSrtListener = new SrtListener({ host: '127.0.0.1', port: 0, ...options }, (control, index) => {
    events.push(...control);
    for (let i = 0; i < index.length; i += 3) bytes.set(index[i]!, (bytes.get(index[i]!) ?? 0) + index[i + 2]!);
  });
  listener.setCredential('stream1', SECRET, 'publish', 'ok');
  listener.setCredential('playstream1', `${SECRET}-play`, 'request', 'ok');
  listener.setCredential('off', SECRET, 'publish', 'disabled');
  const url = (query: string) => `srt://127.0.0.1:${listener.port()}?${query}`;
  const rejects = () => events.filter((e) => e.type === 'reject');
  return { listener, events, bytes, url, rejects };
}

test('admits a publisher with the right passphrase for every key length and receives whole TS packets', async () => {
  const l = openListener();
  try {
    assert.ok(l.listener.port() > 0);
    for (const pbkeylen of [16, 24, 32]) {
      const before = l.events.length;
      const r = await ffmpegPublish(sample1, l.url(`streamid=stream1&passphrase=${SECRET}&pbkeylen=${pbkeylen}`));
      assert.equal(r.code, 0, r.stderr);
      await waitFor(() => l.events.slice(before).some((e) => e.type === 'close'), 'close event');
      const mine = l.events.slice(before);
      const accept = mine.find((e) => e.type === 'accept');
      assert.ok(accept && accept.type === 'accept');
      assert.equal(accept.id, 'stream1');
      assert.equal(accept.mode, 'publish');
      assert.match(accept.peer, /^127\.0\.0\.1:\d+$/);
      const got = l.bytes.get(accept.socket) ?? 0;
      assert.ok(got > 50_000, `received ${got} bytes`);
      assert.equal(got % 188, 0);
    }
    assert.equal(l.rejects().length, 0);
  } finally {
    l.listener.shutdown();
  }
});

test('refusals: wrong or missing passphrase, unknown, disabled, wrong mode, bad syntax', async () => {
  const l = openListener();
  try {
    const cases: [string, number][] = [
      [`streamid=stream1&passphrase=wrong-passphrase`, SRT_REJ_BADSECRET],
      [`streamid=stream1`, SRT_REJ_UNSECURE],
      [`streamid=nosuchstream&passphrase=${SECRET}`, SrtRejectCode.NOT_FOUND],
      [`streamid=off&passphrase=${SECRET}`, SrtRejectCode.FORBIDDEN],
      [`streamid=#!::r=stream1,m=request&passphrase=${SECRET}`, SrtRejectCode.BAD_MODE],
      [`streamid=#!::r=playstream1,m=publish&passphrase=${SECRET}-play`, SrtRejectCode.BAD_MODE],
      [`streamid=#!::r=stream1,m=bidirectional&passphrase=${SECRET}`, SrtRejectCode.BAD_MODE],
      [`streamid=#!::m=publish&passphrase=${SECRET}`, SrtRejectCode.BAD_REQUEST],
    ];
    for (const [query, code] of cases) {
      const before = l.rejects().length;
      const r = await ffmpegPublish(sample1, l.url(query));
      assert.notEqual(r.code, 0, `${query} should fail`);
      assert.ok(r.ms < 5000, `${query} took ${r.ms} ms`);
      await waitFor(() => l.rejects().length > before, `reject event for ${query}`);
      const ev = l.rejects()[before]!;
      assert.ok(ev.type === 'reject');
      assert.equal(ev.code, code, query);
    }
    assert.equal(l.events.filter((e) => e.type === 'accept').length, 0);
  } finally {
    l.listener.shutdown();
  }
});

test('the access-control form with u= is admitted', async () => {
  const l = openListener();
  try {
    const r = await ffmpegPublish(sample1, l.url(`streamid=#!::u=encoder7,r=stream1,m=publish&passphrase=${SECRET}`));
    assert.equal(r.code, 0, r.stderr);
    const accept = l.events.find((e) => e.type === 'accept');
    assert.ok(accept && accept.type === 'accept' && accept.id === 'stream1' && accept.mode === 'publish');
  } finally {
    l.listener.shutdown();
  }
});

test('a second publisher is refused with SRT_REJX_CONFLICT while the first delivers, admitted after', async () => {
  const l = openListener();
  try {
    const first = ffmpegPublish(sample3, l.url(`streamid=stream1&passphrase=${SECRET}`));
    await waitFor(() => [...l.bytes.values()].some((b) => b > 0), 'first publisher data');
    const second = await ffmpegPublish(sample1, l.url(`streamid=#!::r=stream1,m=publish&passphrase=${SECRET}`));
    assert.notEqual(second.code, 0);
    const reject = l.rejects()[0];
    assert.ok(reject && reject.type === 'reject');
    assert.equal(reject.code, SrtRejectCode.CONFLICT);
    assert.equal((await first).code, 0);
    await waitFor(() => l.events.some((e) => e.type === 'close'), 'first publisher closed');
    const third = await ffmpegPublish(sample1, l.url(`streamid=stream1&passphrase=${SECRET}`));
    assert.equal(third.code, 0, third.stderr);
    assert.equal(l.events.filter((e) => e.type === 'accept').length, 2);
  } finally {
    l.listener.shutdown();
  }
});

test('busy pushed from JS refuses SRT publishers with SRT_REJX_CONFLICT', async () => {
  const l = openListener();
  try {
    l.listener.setBusy('stream1', true);
    const r = await ffmpegPublish(sample1, l.url(`streamid=stream1&passphrase=${SECRET}`));
    assert.notEqual(r.code, 0);
    await waitFor(() => l.rejects().length === 1, 'reject');
    assert.equal((l.rejects()[0] as { code: number }).code, SrtRejectCode.CONFLICT);
    l.listener.setBusy('stream1', false);
    const ok = await ffmpegPublish(sample1, l.url(`streamid=stream1&passphrase=${SECRET}`));
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    l.listener.shutdown();
  }
});

test('flood guard: one address beyond the limit gets SRT_REJX_OVERLOAD, another address still gets in', async () => {
  const l = openListener({ floodLimit: 3, floodWindowMs: 60_000 });
  try {
    for (let i = 0; i < 4; i++) {
      const r = await ffmpegPublish(sample1, l.url(`streamid=stream1&passphrase=wrong-passphrase`));
      assert.notEqual(r.code, 0);
    }
    await waitFor(() => l.rejects().length === 4, 'four rejects');
    assert.deepEqual(
      l.rejects().map((e) => (e as { code: number }).code),
      [SRT_REJ_BADSECRET, SRT_REJ_BADSECRET, SRT_REJ_BADSECRET, SrtRejectCode.OVERLOAD],
    );
    // Even the right passphrase from the flooding address is refused inside the window...
    const blocked = await ffmpegPublish(sample1, l.url(`streamid=stream1&passphrase=${SECRET}`));
    assert.notEqual(blocked.code, 0);
    // ...while a caller from another loopback address (through a lossless relay bound to 127.0.0.2) is admitted.
    const relay = await LossyUdpRelay.start({
      targetHost: '127.0.0.1',
      targetPort: l.listener.port(),
      lossRate: 0,
      delayMs: 0,
      reorderRate: 0,
      seed: 1,
      upstreamHost: '127.0.0.2',
    });
    try {
      const other = await ffmpegPublish(sample1, `srt://127.0.0.1:${relay.port}?streamid=stream1&passphrase=${SECRET}`);
      assert.equal(other.code, 0, other.stderr);
    } finally {
      await relay.close();
    }
    const accept = l.events.find((e) => e.type === 'accept');
    assert.ok(accept && accept.type === 'accept');
    assert.match(accept.peer, /^127\.0\.0\.2:/);
    assert.ok((l.bytes.get(accept.socket) ?? 0) > 50_000);
  } finally {
    l.listener.shutdown();
  }
});


/** An SRT induction handshake (control packet type 0, HS version 4, handshake type 1) to mutate. */
function inductionHandshake(): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x80000000, 0); // control bit, type 0 = handshake
  b.writeUInt32BE(1234, 8); // timestamp
  b.writeUInt32BE(4, 16); // version
  b.writeUInt32BE(2, 20); // encryption field 0, extension field 2 (UDT_DGRAM)
  b.writeUInt32BE(0x12345678, 24); // initial sequence number
  b.writeUInt32BE(1500, 28); // MTU
  b.writeUInt32BE(8192, 32); // flow window
  b.writeUInt32BE(1, 36); // handshake type: induction
  b.writeUInt32BE(0x0badf00d, 40); // socket id
  b.writeUInt32BE(0x0100007f, 48); // peer ip 127.0.0.1
  return b;
}

test('fuzz: random, truncated and mutated datagrams leave the listener serving a real publisher', async () => {
  const l = openListener();
  const random = mulberry32(0x5eed);
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    const base = inductionHandshake();
    for (let i = 0; i < 3000; i++) {
      let msg: Buffer;
      const kind = i % 3;
      if (kind === 0) {
        msg = Buffer.alloc(Math.floor(random() * 1500));
        for (let j = 0; j < msg.length; j++) msg[j] = Math.floor(random() * 256);
      } else if (kind === 1) {
        msg = base.subarray(0, Math.floor(random() * base.length));
      } else {
        msg = Buffer.from(base);
        const flips = 1 + Math.floor(random() * 6);
        for (let j = 0; j < flips; j++) msg[Math.floor(random() * msg.length)] = Math.floor(random() * 256);
      }
      sock.send(msg, l.listener.port(), '127.0.0.1');
      if (i % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    const r = await ffmpegPublish(sample1, l.url(`streamid=stream1&passphrase=${SECRET}`));
    assert.equal(r.code, 0, r.stderr);
    const accept = l.events.find((e) => e.type === 'accept');
    assert.ok(accept && accept.type === 'accept');
    assert.ok((l.bytes.get(accept.socket) ?? 0) > 50_000);
  } finally {
    sock.close();
    l.listener.shutdown();
  }
});
