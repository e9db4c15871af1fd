/** PlaybackServer over real HTTP: routing, errors, CORS/cache headers, blocking reload, held parts, caps, viewers. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame } from '../../../src/media/frame.js';
import { LivePackager } from '../../../src/media/packager/index.js';
import { PlaybackServer } from '../../../src/playback/index.js';
import { makeClip, type Clip } from '../packager/media-fixture.js';
import { readPlaylist } from '../packager/playlist-reader.js';

let clip: Clip;
let live: LivePackager;
let empty: LivePackager;
let fed = 0;
let server: PlaybackServer;
let base = '';

const streams: Record<string, { streamId: string; accessPolicy: 'public' | 'private' }> = {
  pub: { streamId: 's1', accessPolicy: 'public' },
  idle: { streamId: 's2', accessPolicy: 'public' },
  fresh: { streamId: 's3', accessPolicy: 'public' },
};

/** feed frames until cond() holds */
function feedUntil(cond: () => boolean): void {
  while (!cond()) {
    const f: MediaFrame | undefined = clip.frames[fed++];
    if (!f) throw new Error('clip exhausted');
    live.onFrame(f);
  }
}

before(async () => {
  clip = makeClip({ seconds: 8 });
  live = new LivePackager({ firstMsn: 0 });
  for (const c of clip.configs) live.onConfig(c);
  feedUntil(() => live.isAvailable(2, 1));
  empty = new LivePackager({ firstMsn: 0 });
  server = new PlaybackServer({
    port: 0,
    host: '127.0.0.1',
    resolve: (id) => streams[id],
    packagerFor: (sid) => (sid === 's1' ? live : sid === 's3' ? empty : undefined),
    verifyToken: async () => false,
    holdTimeoutMs: 400,
    firstMediaWaitMs: 100,
    maxWaitersPerStream: 3,
  });
  const addr = await server.listen();
  base = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  await server.close();
});

test('errors: unknown id 404, unknown file 404, idle stream 412, no media yet 412, POST 405 -- all JSON, never a hang', async () => {
  for (const [path, status] of [['/nope.m3u8', 404], ['/pub/whatever.ts', 404], ['/a/b/c', 404], ['/idle.m3u8', 412], ['/idle/media.m3u8', 412], ['/fresh.m3u8', 412]] as const) {
    const r = await fetch(base + path);
    assert.equal(r.status, status, path);
    assert.match(r.headers.get('content-type')!, /application\/json/);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    const body = await r.json() as { success: boolean; error: { description: string } };
    assert.equal(body.success, false);
    assert.ok(body.error.description.length > 0);
  }
  const post = await fetch(base + '/pub.m3u8', { method: 'POST' });
  assert.equal(post.status, 405);
});

test('OPTIONS preflight answers CORS', async () => {
  const r = await fetch(base + '/pub/media.m3u8', { method: 'OPTIONS', headers: { 'access-control-request-headers': 'range', origin: 'http://x' } });
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  assert.match(r.headers.get('access-control-allow-methods')!, /GET/);
  assert.equal(r.headers.get('access-control-allow-headers'), 'range');
});

test('multivariant -> media playlist -> every URL it writes resolves, with content types and cache lifetimes', async () => {
  const mv = await fetch(base + '/pub.m3u8');
  assert.equal(mv.status, 200);
  assert.equal(mv.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  assert.equal(mv.headers.get('cache-control'), 'public, max-age=1');
  const text = await mv.text();
  assert.match(text, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=320x240,FRAME-RATE=30\.000/);
  const mediaUri = text.trim().split('\n').at(-1)!;
  assert.equal(mediaUri, 'pub/media.m3u8');
  const mediaUrl = new URL(mediaUri, base + '/pub.m3u8');
  const media = await fetch(mediaUrl);
  assert.equal(media.status, 200);
  const pl = readPlaylist(await media.text());
  const uris = [pl.segments[0]!.map!, ...pl.segments.flatMap((s) => [s.uri, ...s.parts.map((p) => p.uri)]), ...pl.openParts.map((p) => p.uri)];
  assert.ok(uris.length > 10);
  for (const u of uris) {
    const r = await fetch(new URL(u, mediaUrl));
    assert.equal(r.status, 200, u);
    assert.equal(r.headers.get('content-type'), 'video/mp4');
    assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const body = Buffer.from(await r.arrayBuffer());
    assert.equal(Number(r.headers.get('content-length')), body.length);
  }
  const seg = await fetch(new URL(pl.segments[0]!.uri, mediaUrl));
  assert.deepEqual(Buffer.from(await seg.arrayBuffer()), Buffer.concat(live.getSegment(0)!));
  const head = await fetch(new URL(pl.segments[0]!.uri, mediaUrl), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), Buffer.concat(live.getSegment(0)!).length);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const missing = await fetch(base + '/pub/seg-999.m4s');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('cache-control'), 'public, max-age=2');
});

test('blocking reload: 400 beyond last msn + 2, 400 for _HLS_part alone, held until the part exists, bounded otherwise', async () => {
  const last = live.lastMsn;
  assert.equal((await fetch(`${base}/pub/media.m3u8?_HLS_msn=${last + 3}`)).status, 400);
  assert.equal((await fetch(`${base}/pub/media.m3u8?_HLS_part=1`)).status, 400);
  assert.equal((await fetch(`${base}/pub/media.m3u8?_HLS_msn=abc`)).status, 400);
  // Already available: immediate, cacheable a little longer.
  const now = await fetch(`${base}/pub/media.m3u8?_HLS_msn=0&_HLS_part=0`);
  assert.equal(now.status, 200);
  assert.equal(now.headers.get('cache-control'), 'public, max-age=6');
  // Next part: held until we feed it.
  const nextPart = readPlaylist(live.mediaPlaylist()).preloadHint!;
  const [, m, p] = /part-(\d+)\.(\d+)\.m4s/.exec(nextPart)!;
  let done = false;
  const pending = fetch(`${base}/pub/media.m3u8?_HLS_msn=${m}&_HLS_part=${p}`).then(async (r) => { done = true; return { r, text: await r.text() }; });
  const heldPart = fetch(`${base}/pub/${nextPart}`).then(async (r) => ({ r, body: Buffer.from(await r.arrayBuffer()) }));
  await waitUntil(() => live.waiterCount === 2);
  assert.equal(done, false);
  feedUntil(() => live.isAvailable(Number(m), Number(p)));
  const { r, text } = await pending;
  assert.equal(r.status, 200);
  assert.ok(text.includes(`URI="${nextPart}"`), 'the blocking answer lists the awaited part');
  const part = await heldPart;
  assert.equal(part.r.status, 200);
  assert.deepEqual(part.body, live.getPart(Number(m), Number(p))!.data);
  // Nothing arrives: answered after the bound with what exists.
  const t0 = Date.now();
  const timeout = await fetch(`${base}/pub/media.m3u8?_HLS_msn=${live.lastMsn + 1}`);
  assert.equal(timeout.status, 200);
  assert.ok(Date.now() - t0 >= 350, 'held for the bound');
  assert.equal(timeout.headers.get('cache-control'), 'public, max-age=1');
  // A part that never comes (next-next segment's tenth part) ends as 404 after the bound.
  assert.equal((await fetch(`${base}/pub/part-${live.lastMsn + 1}.9.m4s`)).status, 404);
  assert.equal((await fetch(`${base}/pub/part-${live.lastMsn + 5}.0.m4s`)).status, 404, 'far future: no hold');
});

test('held requests are capped per stream: the extra one gets 503 at once', async () => {
  const msn = live.lastMsn + 1;
  const held = [1, 2, 3].map(() => fetch(`${base}/pub/media.m3u8?_HLS_msn=${msn}`));
  await waitUntil(() => live.waiterCount === 3);
  const extra = await fetch(`${base}/pub/media.m3u8?_HLS_msn=${msn}`);
  assert.equal(extra.status, 503);
  assert.equal(extra.headers.get('retry-after'), '1');
  feedUntil(() => live.isAvailable(msn));
  for (const r of await Promise.all(held)) assert.equal(r.status, 200);
});

test('viewers: distinct (IP, User-Agent) pairs over the window', async () => {
  const before = server.viewerCount('s1'); // earlier tests' requests (fetch's own User-Agent)
  for (const ua of ['a', 'b', 'a']) await (await fetch(`${base}/pub/media.m3u8`, { headers: { 'user-agent': ua } })).text();
  assert.equal(server.viewerCount('s1'), before + 2);
  assert.equal(server.viewerCount('s2'), 0);
});

async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
