/** ONAIR_BENCH_HEADERS=1: a satisfied blocking playlist request says when its part completed (x-onair-part-ready). */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame } from '../../../src/media/frame.js';
import { LivePackager } from '../../../src/media/packager/index.js';
import type { PlaybackServer as PlaybackServerType } from '../../../src/playback/index.js';
import { makeClip, type Clip } from '../packager/media-fixture.js';

let clip: Clip;
let live: LivePackager;
let fed = 0;
let server: PlaybackServerType;
let base = '';

function feedUntil(cond: () => boolean): void {
  while (!cond()) {
    const f: MediaFrame | undefined = clip.frames[fed++];
    if (!f) throw new Error('clip exhausted');
    live.onFrame(f);
  }
}

before(async () => {
  // read once, when playback-server.ts loads: set before the import
  process.env.ONAIR_BENCH_HEADERS = '1';
  const { PlaybackServer } = await import('../../../src/playback/index.js');
  clip = makeClip({ seconds: 6 });
  live = new LivePackager({ firstMsn: 0 });
  for (const c of clip.configs) live.onConfig(c);
  feedUntil(() => live.isAvailable(1, 1));
  server = new PlaybackServer({
    port: 0,
    host: '127.0.0.1',
    resolve: (id) => (id === 'pub' ? { streamId: 's1', accessPolicy: 'public' } : undefined),
    packagerFor: (sid) => (sid === 's1' ? live : undefined),
    verifyToken: async () => false,
    holdTimeoutMs: 2000,
  });
  base = `http://127.0.0.1:${(await server.listen()).port}`;
});

after(async () => {
  await server.close();
  delete process.env.ONAIR_BENCH_HEADERS;
});

test('a held blocking request answers with the completion time of the part it waited for', async () => {
  const msn = live.lastMsn;
  let part = 0;
  while (live.isAvailable(msn, part)) part++;
  const answer = fetch(`${base}/pub/media.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`);
  // the request is held: complete that part now (or the next segment's first one)
  await new Promise((r) => setTimeout(r, 50));
  const before = Date.now();
  feedUntil(() => live.isAvailable(msn, part));
  const after = Date.now();
  const r = await answer;
  assert.equal(r.status, 200);
  await r.text();
  const ready = Number(r.headers.get('x-onair-part-ready'));
  assert.ok(ready >= before && ready <= after, `x-onair-part-ready ${ready} within [${before}, ${after}]`);
  const expected = (live.getPart(msn, part) ?? live.getPart(msn + 1, 0))?.readyAt;
  assert.equal(ready, expected);
});

test('an answer that was not a blocking one carries no x-onair-part-ready', async () => {
  const r = await fetch(`${base}/pub/media.m3u8`);
  assert.equal(r.status, 200);
  await r.text();
  assert.equal(r.headers.get('x-onair-part-ready'), null);
});
