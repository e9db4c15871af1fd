/**
 * EdgeProxy against a real HTTP origin: byte-identical answers (status, headers, body), one origin fetch per
 * media file for any number of concurrent and later viewers, one upstream request per identical blocking
 * playlist, playlists never kept after they were answered, a bounded cache, and a clear 502 when the origin is gone.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { EdgeProxy } from '../../../src/cluster/edge-proxy.js';

let origin: Server;
let originUrl: string;
let edge: Server;
let edgeUrl: string;
let proxy: EdgeProxy;
const hits = new Map<string, number>();
const files = new Map<string, Buffer>();
let playlistVersion = 0;

function listen(s: Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

before(async () => {
  origin = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const path = url.split('?')[0]!;
    if (path.endsWith('.m3u8')) {
      // a blocking reload answers after a while; each answer differs (a new version)
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'max-age=1' });
        res.end(`#EXTM3U\n# version ${++playlistVersion} for ${url}\n`);
      }, url.includes('_HLS_msn') ? 150 : 0);
      return;
    }
    const body = files.get(path);
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json', 'cache-control': 'max-age=1' });
      res.end('{"success":false}');
      return;
    }
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'video/iso.segment', 'cache-control': 'public, max-age=31536000, immutable', 'x-origin': 'yes' });
      res.end(body);
    }, 50);
  });
  originUrl = await listen(origin);
  proxy = new EdgeProxy({ maxCacheBytes: 1024 * 1024 });
  edge = createServer((req, res) => { void proxy.forward(originUrl, req, res); });
  edgeUrl = await listen(edge);
});

after(async () => {
  proxy.close();
  await new Promise((r) => edge.close(r));
  origin.closeAllConnections();
  await new Promise((r) => origin.close(r));
});

async function get(path: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const r = await fetch(`${edgeUrl}${path}`);
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

test('media: byte-identical, one origin fetch for 40 concurrent viewers and for every later one; tokens share it', async () => {
  const bytes = randomBytes(200_000);
  files.set('/pid/part-10.0.m4s', bytes);
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(`/pid/part-10.0.m4s?token=t${i % 3}`)));
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.ok(a.body.equals(bytes));
    assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(a.headers.get('x-origin'), 'yes');
    assert.equal(a.headers.get('content-type'), 'video/iso.segment');
  }
  const later = await get('/pid/part-10.0.m4s');
  assert.ok(later.body.equals(bytes));
  const originHits = [...hits.entries()].filter(([k]) => k.startsWith('/pid/part-10.0.m4s')).reduce((t, [, n]) => t + n, 0);
  assert.equal(originHits, 1);
});

test('blocking playlists: identical requests share one upstream wait; the next reload goes upstream again', async () => {
  const path = '/pid/media.m3u8?_HLS_msn=11&_HLS_part=2';
  const answers = await Promise.all(Array.from({ length: 30 }, () => get(path)));
  for (const a of answers) assert.equal(a.body.toString(), answers[0]!.body.toString());
  assert.equal(hits.get(path), 1);
  const again = await get(path);
  assert.equal(hits.get(path), 2, 'a playlist is not kept once answered');
  assert.notEqual(again.body.toString(), answers[0]!.body.toString());
  // another viewer's token is part of a playlist's identity (its URLs carry it)
  await Promise.all([get('/pid/media.m3u8?token=a'), get('/pid/media.m3u8?token=b')]);
  assert.equal(hits.get('/pid/media.m3u8?token=a'), 1);
  assert.equal(hits.get('/pid/media.m3u8?token=b'), 1);
});

test('errors are passed through and not kept; the cache stays within its bound', async () => {
  const missing = await get('/pid/seg-99.m4s');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.toString(), '{"success":false}');
  await get('/pid/seg-99.m4s');
  assert.equal(hits.get('/pid/seg-99.m4s'), 2);
  // 12 x 200 KB through a 1 MiB cache: the oldest go, the newest stay
  for (let i = 0; i < 12; i++) files.set(`/pid/seg-${200 + i}.m4s`, randomBytes(200_000));
  for (let i = 0; i < 12; i++) await get(`/pid/seg-${200 + i}.m4s`);
  await get('/pid/seg-211.m4s');
  assert.equal(hits.get('/pid/seg-211.m4s'), 1, 'the newest file is answered from memory');
  await get('/pid/seg-200.m4s');
  assert.equal(hits.get('/pid/seg-200.m4s'), 2, 'the oldest file left the bounded cache');
});

test('an origin that is gone gets a 502 in the FastPix error shape', async () => {
  const dead = new EdgeProxy();
  const s = createServer((req, res) => { void dead.forward('http://127.0.0.1:1', req, res); });
  const u = await listen(s);
  try {
    const r = await fetch(`${u}/pid/seg-1.m4s`);
    assert.equal(r.status, 502);
    const body = await r.json() as { success: boolean; error: { code: number; message: string; description: string } };
    assert.equal(body.success, false);
    assert.equal(body.error.code, 502);
    assert.equal(body.error.message, 'origin unreachable');
    assert.match(body.error.description, /did not answer/);
  } finally {
    dead.close();
    await new Promise((r) => s.close(r));
  }
});
