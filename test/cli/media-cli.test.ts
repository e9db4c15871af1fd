/**
 * `onair media ...` against a real server: ffmpeg publishes a short session over RTMP, the recording becomes a Ready
 * media, and the CLI lists, shows, updates, manages playback ids of and deletes it; --json output is compared with
 * what the typed client reads back, and errors are one line with exit 1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OnairClient } from '../../src/client/index.js';
import type { Media, PlaybackId } from '../../src/client/index.js';
import { clip720p, publish, type Publisher } from '../helpers/media-tools.js';
import { waitFor } from '../helpers/ports.js';
import { runCli, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let client: OnairClient;
let env: Record<string, string>;
const publishers: Publisher[] = [];
const cli = (...args: string[]) => runCli(args, env);
const json = async <T>(...args: string[]): Promise<T> => {
  const r = await cli(...args, '--json');
  assert.equal(r.code, 0, `onair ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

before(async () => {
  // reconnectWindow 60 s -> 1.2 s, so the session ends soon after the publish
  srv = await startTestServer({ env: { ONAIR_LIFECYCLE_TIME_SCALE: '0.02', ONAIR_ENDED_LINGER_MS: '1000' } });
  client = new OnairClient({ serverURL: srv.url, tokenId: srv.tokenId, tokenSecret: srv.tokenSecret });
  env = { ONAIR_URL: srv.url, ONAIR_TOKEN_ID: srv.tokenId, ONAIR_TOKEN_SECRET: srv.tokenSecret };
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
});

test('media list/get/update/playback-ids/delete on a recorded session', { timeout: 90_000 }, async () => {
  const clip = await clip720p(4);
  const s = await client.liveStreams.create({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { metadata: { name: 'media cli' } } });
  const p = publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${s.streamKey}`, { loop: false });
  publishers.push(p);
  assert.equal(await p.exited, 0, p.stderr());
  const mediaId = await waitFor('a recording', async () => (await client.liveStreams.get(s.streamId)).mediaIds?.[0], 30_000);
  await waitFor('media ready', async () => ((await client.media.get(mediaId)).status === 'Ready' ? true : undefined), 30_000);

  // list: --json is what the client reads; the table names the media and its stream
  const listed = await json<Media[]>('media', 'list', '--all');
  const viaClient = (await client.media.list({ limit: 50, offset: 1 })).data;
  assert.deepEqual(listed, viaClient);
  assert.ok(listed.some((m) => m.id === mediaId));
  assert.deepEqual((await json<Media[]>('media', 'list', '--stream', s.streamId)).map((m) => m.id), [mediaId]);
  assert.deepEqual(await json<Media[]>('media', 'list', '--stream', 'no-such-stream'), []);
  const table = await cli('media', 'list');
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  assert.match(lines[0]!, /^MEDIA ID +STATUS +DURATION +CREATED +STREAM ID +PLAYBACK ID$/);
  const row = lines.find((l) => l.startsWith(mediaId));
  assert.ok(row, table.stdout);
  assert.match(row, new RegExp(`Ready +00:00:0[345] .* ${s.streamId}`));

  // get
  assert.deepEqual(await json<Media>('media', 'get', mediaId), await client.media.get(mediaId));
  const human = await cli('media', 'get', mediaId);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /status: +Ready/);
  assert.match(human.stdout, new RegExp(`streamId: +${s.streamId}`));

  // playback ids: create, list, get, and the human get shows its HLS and thumbnail URLs
  const pid = await json<PlaybackId>('media', 'playback-ids', 'create', mediaId);
  assert.equal(pid.accessPolicy, 'public');
  assert.deepEqual(await json<PlaybackId[]>('media', 'playback-ids', 'list', mediaId), await client.mediaPlaybackIds.list(mediaId));
  assert.ok((await client.mediaPlaybackIds.list(mediaId)).some((x) => x.id === pid.id));
  assert.equal((await json<PlaybackId>('media', 'playback-ids', 'get', mediaId, pid.id)).id, pid.id);
  const withUrls = await cli('media', 'get', mediaId);
  const firstPid = (await client.media.get(mediaId)).playbackIds![0]!.id;
  assert.match(withUrls.stdout, new RegExp(`hls: +http://127\\.0\\.0\\.1:${srv.ports.playback}/${firstPid}\\.m3u8`));
  const thumb = withUrls.stdout.match(/thumbnail: +(\S+)/)?.[1];
  assert.ok(thumb, withUrls.stdout);
  const img = await fetch(thumb);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/jpeg');
  const vod = await (await fetch(`http://127.0.0.1:${srv.ports.playback}/${firstPid}/media.m3u8`)).text();
  assert.match(vod, /#EXT-X-ENDLIST/);

  // update: title and metadata, as the client reads them back
  const updated = await json<Media>('media', 'update', mediaId, '--title', 'Evening show', '--metadata', 'team=ops');
  assert.equal(updated.title, 'Evening show');
  assert.deepEqual(updated.metadata, { team: 'ops' });
  assert.equal((await client.media.get(mediaId)).title, 'Evening show');
  const nothing = await cli('media', 'update', mediaId);
  assert.equal(nothing.code, 1);
  assert.equal(nothing.stderr.trim(), 'onair: nothing to update: give --title, --creator-id, --metadata and/or --mp4-support');

  // playback id delete; then the media
  assert.equal((await cli('media', 'playback-ids', 'delete', mediaId, pid.id)).code, 0);
  assert.ok(!(await client.mediaPlaybackIds.list(mediaId)).some((x) => x.id === pid.id));
  const del = await cli('media', 'delete', mediaId);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout.trim(), `deleted ${mediaId}`);
  const gone = await cli('media', 'get', mediaId);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr.trim().split('\n').length, 1, gone.stderr);
  assert.match(gone.stderr, /^onair: .*not found/i);
});
