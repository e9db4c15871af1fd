/**
 * Playback id access restrictions, enforced by the playback listener with a real live stream: ffmpeg publishes over
 * RTMP; a restricted playback id answers 200 or 403 by Origin / Referer host and by User-Agent, an unrestricted id of
 * the same stream answers 200 to anyone, and PATCHed restrictions apply to the next request.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/ports.js';
import { clip720p, publish, type Publisher } from '../helpers/media-tools.js';

let srv: TestServer;
let publisher: Publisher | undefined;

before(async () => {
  const clip = await clip720p(12);
  srv = await startTestServer();
  const s = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} });
  assert.equal(s.status, 201, s.text);
  streamId = s.body.data.streamId;
  openId = s.body.data.playbackIds[0].id;
  const r = await srv.request('POST', `/v1/live/streams/${streamId}/playback-ids`, {
    accessPolicy: 'public',
    accessRestrictions: {
      domains: { defaultPolicy: 'deny', allow: ['example.com', '*.example.org'], deny: ['bad.example.org'] },
      userAgents: { defaultPolicy: 'allow', allow: [], deny: ['BadBot'] },
    },
  });
  assert.equal(r.status, 201, r.text);
  restrictedId = r.body.data.id;
  publisher = publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${s.body.data.streamKey}`);
  await waitFor('stream playable', async () => (await get(openId, {})).status === 200 || undefined, 30_000, 200);
});

after(async () => {
  await publisher?.stop();
  await srv?.stop();
});

let streamId = '';
let openId = '';
let restrictedId = '';

/** GET on the playback listener with exactly these headers (node:http adds none of Origin/Referer/User-Agent). */
function get(pid: string, headers: Record<string, string>, path = '.m3u8'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`http://127.0.0.1:${srv.ports.playback}/${pid}${path}`, { headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

test('domains: exact host and *.wildcard pass, other hosts and the wildcard apex get 403; deny beats allow', async () => {
  const cases: [Record<string, string>, number][] = [
    [{ origin: 'https://example.com' }, 200],
    [{ origin: 'https://EXAMPLE.com:8443' }, 200],
    [{ origin: 'https://www.example.org' }, 200],
    [{ origin: 'http://a.b.example.org' }, 200],
    [{ referer: 'https://example.com/watch?v=1' }, 200],
    [{ referer: 'https://user@www.example.org:444/page' }, 200],
    [{ origin: 'https://evil.com' }, 403],
    [{ origin: 'https://example.com.evil.com' }, 403],
    [{ origin: 'https://notexample.com' }, 403],
    [{ origin: 'https://example.org' }, 403],
    [{ origin: 'https://bad.example.org' }, 403],
    [{ referer: 'https://evil.com/page' }, 403],
    // no Origin / Referer: allowed only when the domain defaultPolicy is allow (here: deny)
    [{}, 403],
    [{ origin: 'null' }, 403],
    // Origin is preferred to Referer
    [{ origin: 'https://evil.com', referer: 'https://example.com/' }, 403],
  ];
  for (const [headers, want] of cases) {
    const r = await get(restrictedId, { 'user-agent': BROWSER, ...headers });
    assert.equal(r.status, want, `${JSON.stringify(headers)}: ${r.body.slice(0, 200)}`);
    if (want === 403) {
      assert.deepEqual(JSON.parse(r.body), {
        success: false, error: { code: 403, message: 'domain not allowed', description: 'This playback id does not allow playback from this domain' },
      });
    } else {
      assert.match(r.body, /^#EXTM3U/);
    }
  }
  // the unrestricted id of the same stream plays for anyone
  assert.equal((await get(openId, {})).status, 200);
  assert.equal((await get(openId, { origin: 'https://evil.com', 'user-agent': 'BadBot/1.0' })).status, 200);
});

test('user agents: a denied substring (any case) gets 403; child URLs are checked too', async () => {
  const ok = { origin: 'https://example.com' };
  assert.equal((await get(restrictedId, { ...ok, 'user-agent': BROWSER })).status, 200);
  assert.equal((await get(restrictedId, ok)).status, 200, 'no User-Agent: not listed, default allow');
  const bot = await get(restrictedId, { ...ok, 'user-agent': 'Mozilla/5.0 (compatible; badbot/2.1)' });
  assert.equal(bot.status, 403);
  assert.equal(JSON.parse(bot.body).error.message, 'user agent not allowed');
  // the media playlist behind the multivariant answers the same way
  assert.equal((await get(restrictedId, { ...ok, 'user-agent': BROWSER }, '/media.m3u8')).status, 200);
  assert.equal((await get(restrictedId, { origin: 'https://evil.com', 'user-agent': BROWSER }, '/media.m3u8')).status, 403);
  assert.equal((await get(restrictedId, { ...ok, 'user-agent': 'BadBot' }, '/media.m3u8')).status, 403);
});

test('PATCHed restrictions apply to the next request', async () => {
  const base = `/v1/live/streams/${streamId}/playback-ids/${restrictedId}`;
  let r = await srv.request('PATCH', `${base}/user-agents`, { defaultPolicy: 'deny', allow: ['hls.js', 'AppleCoreMedia'] });
  assert.equal(r.status, 200, r.text);
  const ok = { origin: 'https://example.com' };
  assert.equal((await get(restrictedId, { ...ok, 'user-agent': 'curl/8.0' })).status, 403);
  assert.equal((await get(restrictedId, ok)).status, 403, 'no User-Agent under a deny default');
  assert.equal((await get(restrictedId, { ...ok, 'user-agent': 'Mozilla/5.0 HLS.JS/1.5' })).status, 200);
  assert.equal((await get(restrictedId, { ...ok, 'user-agent': 'AppleCoreMedia/1.0.0' })).status, 200);

  r = await srv.request('PATCH', `${base}/domains`, { defaultPolicy: 'allow', deny: ['evil.com'] });
  assert.equal(r.status, 200, r.text);
  const ua = { 'user-agent': 'AppleCoreMedia/1.0.0' };
  assert.equal((await get(restrictedId, ua)).status, 200, 'no Origin/Referer under an allow default');
  assert.equal((await get(restrictedId, { ...ua, origin: 'https://anything.net' })).status, 200);
  assert.equal((await get(restrictedId, { ...ua, origin: 'https://evil.com' })).status, 403);

  // back to allow-all on both halves: no check at all
  await srv.request('PATCH', `${base}/domains`, {});
  await srv.request('PATCH', `${base}/user-agents`, {});
  assert.equal((await get(restrictedId, { origin: 'https://evil.com', 'user-agent': 'curl/8.0' })).status, 200);
});
