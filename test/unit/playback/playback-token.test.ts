/** Private playback: JWT verifier rules, and the token carried into every child URL of the playlists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { LivePackager } from '../../../src/media/packager/index.js';
import { createPlaybackTokenVerifier, importPublicKey, PlaybackServer, ViewerCounter } from '../../../src/playback/index.js';
import { unionCount, viewerHash } from '../../../src/playback/viewer-counter.js';
import { makeClip } from '../packager/media-fixture.js';
import { readPlaylist } from '../packager/playlist-reader.js';

const { publicKey, privateKey } = await generateKeyPair('RS256');
const other = await generateKeyPair('RS256');
const keys = new Map([['k1', publicKey]]);
const now = Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>, opts: { kidIn?: 'header' | 'payload'; key?: CryptoKey; exp?: number | null } = {}): Promise<string> {
  const kidIn = opts.kidIn ?? 'payload';
  const jwt = new SignJWT({ ...claims, ...(kidIn === 'payload' ? { kid: 'k1' } : {}) })
    .setProtectedHeader({ alg: 'RS256', ...(kidIn === 'header' ? { kid: 'k1' } : {}) });
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now + 600);
  return jwt.sign(opts.key ?? privateKey);
}

test('verifier: RS256 only, kid in payload or header, aud = playback id (media:/live: tolerated), exp required', async () => {
  let lookups = 0;
  const verify = createPlaybackTokenVerifier((kid) => { lookups++; return keys.get(kid); });
  assert.equal(await verify(await sign({ aud: 'pid1' }), 'pid1'), true);
  assert.equal(await verify(await sign({ aud: 'media:pid1' }), 'pid1'), true);
  assert.equal(await verify(await sign({ aud: 'live:pid1' }, { kidIn: 'header' }), 'pid1'), true);
  assert.equal(await verify(await sign({ aud: 'pid2' }), 'pid1'), false, 'another playback id');
  assert.equal(await verify(await sign({ aud: 'pid1' }, { exp: null }), 'pid1'), false, 'no exp');
  assert.equal(await verify(await sign({ aud: 'pid1' }, { exp: now - 60 }), 'pid1'), false, 'expired');
  assert.equal(await verify(await sign({ aud: 'pid1' }, { key: other.privateKey }), 'pid1'), false, 'wrong key');
  const hs = await new SignJWT({ aud: 'pid1', kid: 'k1' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now + 60).sign(new Uint8Array(32));
  assert.equal(await verify(hs, 'pid1'), false, 'HS256 refused');
  assert.equal(await verify('not.a.jwt', 'pid1'), false);
  assert.equal(await verify('', 'pid1'), false);
  // cached: a second check of a good token does not look the key up again
  const good = await sign({ aud: 'pid1' });
  assert.equal(await verify(good, 'pid1'), true);
  const n = lookups;
  assert.equal(await verify(good, 'pid1'), true);
  assert.equal(lookups, n);
  assert.equal(await verify(good, 'pid2'), false, 'the cache is per playback id');
  verify.clear();
  keys.delete('k1');
  assert.equal(await verify(good, 'pid1'), false, 'a deleted key stops working once the cache is cleared');
  keys.set('k1', publicKey);
});

test('importPublicKey accepts a PEM and the base64 of a PEM', async () => {
  const pem = await exportSPKI(publicKey);
  const verify = createPlaybackTokenVerifier(() => importPublicKey(Buffer.from(pem).toString('base64')));
  assert.equal(await verify(await sign({ aud: 'p' }), 'p'), true);
  assert.equal(importPublicKey(pem).asymmetricKeyType, 'rsa');
});

test('private playback id: token checked on every request and carried into every child URL', async () => {
  const clip = makeClip({ seconds: 3 });
  const p = new LivePackager({ firstMsn: 0 });
  for (const c of clip.configs) p.onConfig(c);
  for (const f of clip.frames) p.onFrame(f);
  const server = new PlaybackServer({
    port: 0,
    host: '127.0.0.1',
    resolve: (id) => (id === 'priv' ? { streamId: 's', accessPolicy: 'private' } : undefined),
    packagerFor: () => p,
    verifyToken: createPlaybackTokenVerifier((kid) => keys.get(kid)),
  });
  const { port } = await server.listen();
  try {
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/priv.m3u8`)).status, 403);
    assert.equal((await fetch(`${base}/priv.m3u8?token=garbage`)).status, 403);
    assert.equal((await fetch(`${base}/priv/media.m3u8`)).status, 403, 'children are checked too');
    assert.equal((await fetch(`${base}/priv/init-0.mp4`)).status, 403);
    const token = await sign({ aud: 'media:priv' });
    const mv = await (await fetch(`${base}/priv.m3u8?token=${token}`)).text();
    const mediaUri = mv.trim().split('\n').at(-1)!;
    assert.equal(mediaUri, `priv/media.m3u8?token=${token}`);
    const mediaUrl = new URL(mediaUri, `${base}/priv.m3u8?token=${token}`);
    const media = await fetch(mediaUrl);
    assert.equal(media.status, 200);
    const pl = readPlaylist(await media.text());
    const uris = [pl.segments[0]!.map!, pl.preloadHint!, ...pl.segments.flatMap((s) => [s.uri, ...s.parts.map((x) => x.uri)])];
    for (const u of uris) assert.ok(u.endsWith(`?token=${token}`), u);
    for (const u of uris.filter((x) => x !== pl.preloadHint)) assert.equal((await fetch(new URL(u, mediaUrl))).status, 200, u);
  } finally {
    await server.close();
  }
});

test('viewer counter: window expiry and memory bound', () => {
  let t = 0;
  const v = new ViewerCounter({ windowMs: 1000, maxPerStream: 3, now: () => t });
  for (const k of ['a', 'b', 'c', 'd']) v.touch('s', k);
  assert.equal(v.viewerCount('s'), 3, 'bounded');
  t = 500;
  v.touch('s', 'a');
  t = 1200;
  assert.equal(v.viewerCount('s'), 1, 'only a was seen within the window');
  v.touch('s', 'e'); // prunes b and c, then e fits
  assert.equal(v.viewerCount('s'), 2);
});

test('viewer counter: hashes of the viewers within the window; their union with another node\'s counts shared viewers once', () => {
  let t = 0;
  const v = new ViewerCounter({ windowMs: 1000, now: () => t });
  for (const k of ['1.2.3.4|UA1', '1.2.3.4|UA2', '5.6.7.8|UA1']) v.touch('s', k);
  t = 600;
  v.touch('s', '9.9.9.9|UA3');
  t = 1200; // the first three are out of the window
  v.touch('s', '1.2.3.4|UA1');
  const h = v.viewerHashes('s');
  assert.equal(h.length, 8, 'two viewers within the window, 4 bytes each');
  const mine = new Set([h.readUInt32LE(0), h.readUInt32LE(4)]);
  assert.deepEqual(mine, new Set([viewerHash('1.2.3.4|UA1'), viewerHash('9.9.9.9|UA3')]));
  assert.notEqual(viewerHash('1.2.3.4|UA1'), viewerHash('1.2.3.4|UA2'));
  assert.equal(v.viewerHashes('nobody').length, 0);
  assert.deepEqual(v.streamIds(), ['s']);
  assert.equal(unionCount(h, undefined), 2);
  assert.equal(unionCount(h, new Set([viewerHash('9.9.9.9|UA3'), viewerHash('other')])), 3, 'one shared viewer counts once');
  assert.equal(unionCount(Buffer.alloc(0), new Set([1, 2])), 2);
});
