/** The bench's own parsers: wrk summaries, HLS playlists, /proc stat trees and the result table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrk } from '../lib/wrk.js';
import { firstVariantUrl, parseMediaPlaylist } from '../lib/hls-playlist.js';
import { processTree, snapshotCpu, cpuSecondsBetween } from '../lib/proc-cpu.js';
import { playlistProgress } from '../lib/playlist-monitor.js';
import { percentile, renderTable, row, errorRow } from '../lib/results.js';
import { muxerFor } from '../lib/publisher.js';
import { srtUrl } from '../peers/onair-server.js';
import { udpTableHasPort } from '../peers/srt-relay.js';
import { latencyDisplay } from '../glass-to-glass.js';

const WRK_OUTPUT = `Running 5s test @ http://127.0.0.1:8080/hls/s0.m3u8
  2 threads and 200 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.01ms    1.20ms  30.00ms   90.00%
  330335 requests in 5.00s, 80.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 335
Requests/sec:  66067.00
Transfer/sec:     16.00MB
`;

test('parseWrk reads requests, duration, errors and the 2xx rate', () => {
  const result = parseWrk(WRK_OUTPUT);
  assert.deepEqual(result, { requests: 330335, seconds: 5, non2xx: 335, socketErrors: 3, goodPerSecond: 66000 });
  assert.equal(parseWrk('  10 requests in 500.00ms, 1KB read\n').seconds, 0.5);
  assert.throws(() => parseWrk('garbage'), /unexpected wrk output/);
});

test('HLS parsing follows the first variant and counts segment progress', () => {
  const multivariant = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\nabc/video.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow.m3u8\n';
  assert.equal(firstVariantUrl(multivariant, 'http://127.0.0.1:9/abc.m3u8'), 'http://127.0.0.1:9/abc/video.m3u8');
  assert.equal(firstVariantUrl('#EXTM3U\n#EXTINF:1,\na.ts\n', 'http://h/x.m3u8'), undefined);
  const media = [
    '#EXTM3U', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:41', '#EXT-X-MAP:URI="init.mp4"',
    '#EXTINF:1.0,', 'seg41.m4s', '#EXTINF:1.0,', 'seg42.m4s',
    '#EXT-X-PART:DURATION=0.2,URI="part43.0.m4s"', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part43.1.m4s"', '',
  ].join('\n');
  const info = parseMediaPlaylist(media, 'http://127.0.0.1:9/p/video.m3u8');
  assert.equal(info.mediaSequence, 41);
  assert.equal(info.progress, 43);
  assert.deepEqual(info.segments, ['http://127.0.0.1:9/p/seg41.m4s', 'http://127.0.0.1:9/p/seg42.m4s']);
  assert.deepEqual(info.parts, ['http://127.0.0.1:9/p/part43.0.m4s']);
  assert.throws(() => parseMediaPlaylist('<html>', 'http://h/x'), /not a playlist/);
  // the playlist monitor's cheap scan agrees, with LF or CRLF lines
  assert.equal(playlistProgress(media), 43);
  assert.equal(playlistProgress(media.replaceAll('\n', '\r\n')), 43);
  assert.equal(playlistProgress('#EXTM3U\n#EXTINF:2,\na.ts\n\n'), 1);
  assert.equal(playlistProgress('<html>'), undefined);
});

test('the process tree of this process holds itself, and CPU deltas are non-negative', () => {
  const tree = processTree(process.pid);
  assert.equal(tree[0]?.pid, process.pid);
  assert.deepEqual(processTree(2 ** 30), []);
  const before = snapshotCpu(process.pid);
  let x = 0;
  for (let i = 0; i < 3e7; i++) x += i % 7;
  assert.ok(x > 0);
  const after = snapshotCpu(process.pid);
  assert.ok(cpuSecondsBetween(before, after) >= 0);
  assert.ok(cpuSecondsBetween(before, after) < 60);
});

test('percentile picks nearest-rank values', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(sorted, 50), 5);
  assert.equal(percentile(sorted, 95), 10);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('the table puts servers in columns and judges targets against nginx-hls', () => {
  const rows = [
    row('max', 'onair', 30, 'streams'),
    row('max', 'nginx-hls', 10, 'streams'),
    row('p50', 'onair', 2, 's'),
    errorRow('rps', 'onair', 'req/s', new Error('connect ECONNREFUSED')),
    row('rps', 'nginx-hls', 1000, 'req/s'),
  ];
  const table = renderTable(rows, ['onair', 'nginx-hls'], [
    { metric: 'max', text: '>= 1.5x', check: (o, n) => (n === null ? null : o >= 1.5 * n) },
    { metric: 'p50', text: '< 1.5 s', check: (o) => o < 1.5 },
    { metric: 'rps', text: '>= 0.5x', check: (o, n) => (n === null ? null : o >= 0.5 * n) },
  ]);
  const lines = table.split('\n');
  assert.match(lines[0]!, /^measurement \| onair\s+\| nginx-hls\s+\| target\s+\| verdict$/);
  assert.match(lines.find((l) => l.startsWith('max'))!, /30.0 streams .*10.0 streams .*hit$/);
  assert.match(lines.find((l) => l.startsWith('p50'))!, /miss$/);
  assert.match(lines.find((l) => l.startsWith('rps'))!, /n\/a \(error: connect ECONNREFUSED\).*n\/a$/);
});

test('a peer stopped by the run cap gives no ratio verdict', () => {
  const rows = [row('max', 'onair', 150, 'streams'), { ...row('max', 'nginx-hls', 150, 'streams'), atLimit: true }];
  const table = renderTable(rows, ['onair', 'nginx-hls'], [{ metric: 'max', text: '>= 1.5x nginx-hls', check: (o, n) => (n === null ? null : o >= 1.5 * n) }]);
  assert.match(table.split('\n')[2]!, /n\/a \(nginx at cap\)$/);
});

test('SRT helpers: /proc/net/udp local ports, publish URLs and the muxer per scheme', () => {
  const table = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
    '  180: 0100007F:B2AF 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123 2 0000000000000000 0',
    '  181: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 124 2 0000000000000000 0',
  ].join('\n');
  assert.equal(udpTableHasPort(table, 0xb2af), true);
  assert.equal(udpTableHasPort(table, 68), true);
  // The remote address column and the header never match.
  assert.equal(udpTableHasPort(table, 0), false);
  assert.equal(udpTableHasPort(table, 1234), false);
  assert.equal(srtUrl(9000, { streamid: 'abc', passphrase: '0123456789k#' }), 'srt://127.0.0.1:9000?streamid=abc&passphrase=0123456789k%23');
  assert.equal(srtUrl(9000, {}), 'srt://127.0.0.1:9000');
  assert.equal(muxerFor('srt://127.0.0.1:9000?streamid=x'), 'mpegts');
  assert.equal(muxerFor('rtmp://127.0.0.1:1935/live/k'), 'flv');
  assert.equal(latencyDisplay(0.9012, 0), '0.90 s');
  assert.equal(latencyDisplay(6.2, 3), '6.20 s (3 hls.js stalls)');
});
