import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAmf0, Amf0Decoder } from '../../../src/protocols/amf0/amf0-decoder.js';
import { encodeAmf0 } from '../../../src/protocols/amf0/amf0-encoder.js';
import { Amf0EcmaArray, type Amf0Value } from '../../../src/protocols/amf0/amf0-types.js';
import { ProtocolError, TruncatedError } from '../../../src/protocols/errors.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('amf0: golden encodings of every type', () => {
  assert.deepEqual(encodeAmf0(1), hex('00 3ff0000000000000'));
  assert.deepEqual(encodeAmf0(true, false), hex('0101 0100'));
  assert.deepEqual(encodeAmf0('connect'), hex('02 0007 636f6e6e656374'));
  assert.deepEqual(encodeAmf0(null, undefined), hex('05 06'));
  assert.deepEqual(encodeAmf0({ a: 1 }), hex('03 0001 61 00 3ff0000000000000 000009'));
  assert.deepEqual(encodeAmf0(new Amf0EcmaArray({ b: true })), hex('08 00000001 0001 62 0101 000009'));
  assert.deepEqual(encodeAmf0([1, 'x']), hex('0a 00000002 00 3ff0000000000000 02 0001 78'));
  assert.deepEqual(encodeAmf0(new Date(0)), hex('0b 0000000000000000 0000'));
  const long = 'z'.repeat(70000);
  const enc = encodeAmf0(long);
  assert.equal(enc[0], 0x0c);
  assert.equal(enc.readUInt32BE(1), 70000);
});

test('amf0: decodes what ffmpeg sends for connect, and round-trips', () => {
  const connect = encodeAmf0('connect', 1, {
    app: 'live',
    type: 'nonprivate',
    flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)',
    tcUrl: 'rtmp://127.0.0.1:1935/live',
  });
  const [name, tid, obj] = decodeAmf0(connect);
  assert.equal(name, 'connect');
  assert.equal(tid, 1);
  assert.deepEqual(obj, { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)', tcUrl: 'rtmp://127.0.0.1:1935/live' });
  const values: Amf0Value[] = [0, -1.5, 1e300, '', 'héllo', true, null, undefined, [], [[1, [2]], { x: { y: 'z' } }], { '': 1, k: [null] }, new Date(1700000000000)];
  assert.deepEqual(decodeAmf0(encodeAmf0(...values)), values);
  // ECMA array decodes as a plain object; long strings as strings
  assert.deepEqual(decodeAmf0(encodeAmf0(new Amf0EcmaArray({ duration: 0, width: 640 }))), [{ duration: 0, width: 640 }]);
  assert.deepEqual(decodeAmf0(hex('0c 00000002 6869')), ['hi']);
  // ecma array count is advisory (ffmpeg writes 0 for onMetaData sometimes)
  assert.deepEqual(decodeAmf0(hex('08 00000000 0001 61 0101 000009')), [{ a: true }]);
});

test('amf0: "__proto__" keys stay data', () => {
  const [obj] = decodeAmf0(encodeAmf0({})) as [Record<string, unknown>];
  assert.equal(Object.getPrototypeOf(obj), Object.prototype);
  const evil = hex('03 0009 5f5f70726f746f5f5f 03 0001 70 0101 000009 000009');
  const [o] = decodeAmf0(evil) as [Record<string, unknown>];
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).p, undefined);
});

test('amf0: typed errors for truncation, bad markers, depth, absurd counts', () => {
  assert.throws(() => decodeAmf0(hex('00 3ff0')), TruncatedError);
  assert.throws(() => decodeAmf0(hex('02 0010 61')), TruncatedError);
  assert.throws(() => decodeAmf0(hex('0c ffffffff')), TruncatedError);
  assert.throws(() => decodeAmf0(hex('03 0001 61')), TruncatedError);
  assert.throws(() => decodeAmf0(hex('11 00')), (e: unknown) => e instanceof ProtocolError && e.code === 'AMF0_MARKER');
  assert.throws(() => decodeAmf0(hex('07 0001')), (e: unknown) => e instanceof ProtocolError && e.code === 'AMF0_MARKER');
  assert.throws(() => decodeAmf0(hex('09')), (e: unknown) => e instanceof ProtocolError && e.code === 'AMF0_UNEXPECTED_END');
  assert.throws(() => decodeAmf0(hex('0a ffffffff 05')), (e: unknown) => e instanceof ProtocolError && e.code === 'AMF0_SIZE');
  // 10 000 nested strict arrays: depth error, not a stack overflow
  const deep = Buffer.concat([...Array.from({ length: 10000 }, () => hex('0a 00000001')), hex('05')]);
  assert.throws(() => decodeAmf0(deep), (e: unknown) => e instanceof ProtocolError && e.code === 'AMF0_DEPTH');
  const deepObj = Buffer.concat(Array.from({ length: 40 }, () => hex('03 0001 61')));
  assert.throws(() => decodeAmf0(deepObj), (e: unknown) => e instanceof ProtocolError && e.code === 'AMF0_DEPTH');
  // 32 levels are fine
  let v: Amf0Value = 1;
  for (let i = 0; i < 31; i++) v = [v];
  assert.deepEqual(decodeAmf0(encodeAmf0(v)), [v]);
  assert.throws(() => new Amf0Decoder(hex('03 0001 61 05'), 0, { maxEntries: 0 }).read(), ProtocolError);
});

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('amf0 fuzz: random, truncated and mutated input -> value or ProtocolError, bounded time', () => {
  const rnd = mulberry32(1234);
  const base = encodeAmf0('onMetaData', new Amf0EcmaArray({ width: 640, height: 360, encoder: 'Lavf', list: [1, 2, { a: null }] }), new Date(5));
  const start = Date.now();
  for (let i = 0; i < 4000; i++) {
    let b: Buffer;
    const mode = i % 3;
    if (mode === 0) b = Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)));
    else if (mode === 1) b = base.subarray(0, Math.floor(rnd() * base.length));
    else {
      b = Buffer.from(base);
      for (let f = 0; f < 1 + rnd() * 4; f++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    }
    try {
      decodeAmf0(b);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, String(err));
    }
  }
  assert.ok(Date.now() - start < 3000);
});
