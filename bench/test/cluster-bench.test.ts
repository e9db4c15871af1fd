/** Parsers and arithmetic of the issue 11 benches: the fan-out publisher's clip and rates, the edge viewers, the rows. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { chunkedBody, parseFlv } from '../lib/flv-clip.js';
import { rateOf } from '../lib/fanout-publisher.js';
import { mapUri, partUri } from '../lib/hls-playlist.js';
import { ResponseParser } from '../lib/lite-http.js';
import { isLate } from '../lib/ll-hls-viewer.js';
import { sumMetric } from '../lib/prom-text.js';
import { EDGE_LEVELS, growth } from '../edge-viewers.js';
import { workersStep } from '../max-streams-workers.js';
import { nginxConfig } from '../peers/nginx-server.js';
import { idleShare, parseProcStat } from '../lib/proc-cpu.js';
import { RtmpChunkWriter } from '../../src/protocols/rtmp/rtmp-chunk-writer.js';

function flvTag(type: number, ts: number, body: Buffer): Buffer {
  const head = Buffer.alloc(11);
  head[0] = type;
  head.writeUIntBE(body.length, 1, 3);
  head.writeUIntBE(ts & 0xffffff, 4, 3);
  head[7] = ts >>> 24;
  const prev = Buffer.alloc(4);
  prev.writeUInt32BE(11 + body.length);
  return Buffer.concat([head, body, prev]);
}

function flvFile(): Buffer {
  const header = Buffer.from([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]);
  return Buffer.concat([
    header,
    flvTag(18, 0, Buffer.from('meta')),
    flvTag(9, 0, Buffer.from([0x17, 0, 0, 0, 0, 1, 2])), // AVC sequence header
    flvTag(8, 0, Buffer.from([0xaf, 0, 0x12, 0x10])), // AAC sequence header
    flvTag(9, 1000, Buffer.from([0x17, 1, 0, 0, 0, 9])), // keyframe (the clip's first media at 1000 ms)
    flvTag(8, 1010, Buffer.from([0xaf, 1, 7])),
    flvTag(9, 1040, Buffer.from([0x27, 1, 0, 0, 0, 9])),
    flvTag(9, 1080, Buffer.from([0x27, 1, 0, 0, 0, 9])),
    flvTag(9, 1120, Buffer.from([0x27, 1, 0, 0, 0, 9])).subarray(0, 8), // truncated: ignored
  ]);
}

test('parseFlv: config tags apart, media rebased to 0, keyframes, one loop = video span + one frame', () => {
  const clip = parseFlv(flvFile());
  assert.equal(clip.metadata?.toString(), 'meta');
  assert.deepEqual([...clip.videoConfig!], [0x17, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual([...clip.audioConfig!], [0xaf, 0, 0x12, 0x10]);
  assert.deepEqual(clip.media.map((t) => [t.type, t.ts, t.keyframe]), [[9, 0, true], [8, 10, false], [9, 40, false], [9, 80, false]]);
  assert.equal(clip.durationMs, 120);
  assert.throws(() => parseFlv(Buffer.from('not a flv at all')), /not an FLV/);
});

test('chunkedBody: after a type 0 header it is what RtmpChunkWriter writes', () => {
  const body = Buffer.alloc(10_000, 7);
  for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
  const writer = new RtmpChunkWriter();
  writer.chunkSize = 4096;
  const whole = writer.write(6, 9, 1, 1234, body);
  const chunked = chunkedBody(body, 4096, 6);
  assert.equal(chunked.length, body.length + 2);
  assert.ok(whole.subarray(12).equals(chunked));
  assert.equal(chunkedBody(Buffer.from('abc'), 4096, 4).toString(), 'abc');
});

test('rateOf: media per wall time over the window, undefined until half of it is seen', () => {
  const samples = [0, 1000, 2000, 3000, 4000, 5000].map((t) => ({ wallMs: t, mediaMs: t * 0.9 }));
  assert.ok(Math.abs(rateOf(samples, 4000)! - 0.9) < 1e-9);
  assert.equal(rateOf(samples.slice(0, 2), 4000), undefined);
  assert.equal(rateOf([], 4000), undefined);
});

test('sumMetric: sums the series of one counter, filtered by labels, not its look-alikes', () => {
  const text = [
    '# HELP onair_playback_requests_total Playback requests',
    '# TYPE onair_playback_requests_total counter',
    'onair_playback_requests_total{kind="part",status="200"} 40',
    'onair_playback_requests_total{kind="playlist",status="200"} 12',
    'onair_playback_requests_total_extra 1000',
    'onair_edge_origin_fetches_total 3',
  ].join('\n');
  assert.equal(sumMetric(text, 'onair_playback_requests_total'), 52);
  assert.equal(sumMetric(text, 'onair_playback_requests_total', ['kind="part"']), 40);
  assert.equal(sumMetric(text, 'onair_edge_origin_fetches_total'), 3);
  assert.equal(sumMetric(text, 'onair_missing'), 0);
});

const llPlaylist = [
  '#EXTM3U',
  '#EXT-X-MAP:URI="init.mp4"',
  '#EXT-X-MEDIA-SEQUENCE:100',
  '#EXT-X-PART:DURATION=0.2,URI="part-100.0.m4s"',
  '#EXT-X-PART:DURATION=0.2,URI="part-100.1.m4s"',
  '#EXTINF:0.4,',
  'seg-100.m4s',
  '#EXT-X-PART:DURATION=0.2,URI="part-101.0.m4s"',
  '',
].join('\n');

test('partUri / mapUri: a part by (msn, index), the init segment, absolute', () => {
  const base = 'http://h:1/abc/media.m3u8';
  assert.equal(partUri(llPlaylist, base, 100, 1), 'http://h:1/abc/part-100.1.m4s');
  assert.equal(partUri(llPlaylist, base, 101, 0), 'http://h:1/abc/part-101.0.m4s');
  assert.equal(partUri(llPlaylist, base, 101, 1), undefined);
  assert.equal(partUri(llPlaylist, base, 99, 0), undefined);
  assert.equal(mapUri(llPlaylist, base), 'http://h:1/abc/init.mp4');
});

test('isLate: the answer to a blocking reload went past the part asked for', () => {
  assert.equal(isLate({ msn: 5, part: 2 }, { msn: 5, part: 3 }), false);
  assert.equal(isLate({ msn: 5, part: 2 }, { msn: 6, part: 0 }), false); // part 2 closed segment 5
  assert.equal(isLate({ msn: 5, part: 2 }, { msn: 5, part: 4 }), true);
  assert.equal(isLate({ msn: 5, part: 2 }, { msn: 6, part: 1 }), true);
  assert.equal(isLate({ msn: 5, part: 2 }, { msn: 7, part: 0 }), true);
});

test('ResponseParser: Content-Length and chunked bodies, in pieces', () => {
  const plain = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world');
  for (let split = 1; split < plain.length; split += 7) {
    const parser = new ResponseParser(true);
    assert.equal(parser.feed(plain.subarray(0, split)), undefined);
    const answer = parser.feed(plain.subarray(split));
    assert.equal(answer?.status, 200);
    assert.equal(answer?.body.toString(), 'hello world');
  }
  const chunked = Buffer.from('HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n');
  for (let split = 1; split < chunked.length; split++) {
    const parser = new ResponseParser(true);
    const first = parser.feed(chunked.subarray(0, split));
    const answer = first ?? parser.feed(chunked.subarray(split));
    assert.equal(answer?.status, 404, `split at ${split}`);
    assert.equal(answer?.body.toString(), 'hello world', `split at ${split}`);
    assert.equal(parser.close, true);
  }
  const counted = new ResponseParser(false).feed(plain);
  assert.equal(counted?.bytes, 11);
  assert.equal(counted?.body.length, 0);
  assert.throws(() => new ResponseParser(true).feed(Buffer.from('SSH-2.0-x\r\n\r\n')), /not an HTTP/);
});

test('edge growth and the worker ramp step', () => {
  const last = EDGE_LEVELS[EDGE_LEVELS.length - 1];
  assert.equal(growth(new Map([[1, 10], [last, 12]])), 1.2);
  assert.equal(growth(new Map([[1, 10]])), undefined);
  assert.equal(growth(new Map([[1, 0], [last, 3]])), undefined);
  assert.equal(workersStep(1000), 40);
  assert.equal(workersStep(100), 10);
});

test('nginxConfig: worker_processes as asked', () => {
  assert.match(nginxConfig('/d', '/d/hls', 1935, 8080), /^worker_processes 1;$/m);
  assert.match(nginxConfig('/d', '/d/hls', 1935, 8080, 2), /^worker_processes 2;$/m);
});

test('parseProcStat / idleShare: idle + iowait over all the machine\'s ticks', () => {
  const a = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n');
  const b = parseProcStat('cpu  200 0 100 900 50 0 0 0 0 0\n');
  assert.deepEqual(a, { idleTicks: 850, totalTicks: 1000 });
  assert.equal(idleShare(a, b), 0.4);
  assert.equal(idleShare(a, a), 0);
});
