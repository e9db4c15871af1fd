/**
 * Object storage end to end: `onair serve --storage s3://...` against s3rver on loopback. A live session is
 * recorded into the bucket while the object store goes down for a few seconds in the middle of it: the live
 * stream plays on during the outage, the recording waits, and once the store is back the media becomes Ready
 * with every frame, its VOD decodes whole and Range reads come from the bucket.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/ports.js';
import { clip720p, probe, publish, type Publisher } from '../helpers/media-tools.js';
import { S3RVER_CREDENTIALS, startS3rver, type TestS3 } from '../helpers/s3rver.js';
import { S3SegmentStore } from '../../src/store/s3-segment-store.js';

const run = promisify(execFile);
let s3: TestS3;
let srv: TestServer;
let clip: string;
const publishers: Publisher[] = [];
const PREFIX = `e2e-${process.pid}`;

before(async () => {
  s3 = await startS3rver();
  clip = await clip720p(10);
  srv = await startTestServer({
    args: ['--storage', s3.storageUrl(PREFIX)],
    env: { ...s3.env, ONAIR_TRANSCODE: 'off', ONAIR_LIFECYCLE_TIME_SCALE: '0.05', ONAIR_ENDED_LINGER_MS: '2000' },
  });
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
  await s3?.stop();
});

const play = (pid: string, path = '.m3u8') => `http://127.0.0.1:${srv.ports.playback}/${pid}${path}`;

async function metric(name: string): Promise<number | undefined> {
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

test('a session recorded to S3 survives an object store outage: live plays on, the VOD is whole', { timeout: 180_000 }, async () => {
  const created = await srv.request('POST', '/v1/live/streams', {
    playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { reconnectWindow: 60 },
  });
  assert.equal(created.status, 201, created.text);
  const s = created.body.data as { streamId: string; streamKey: string; playbackIds: { id: string }[] };
  const livePid = s.playbackIds[0]!.id;
  const pub = publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${s.streamKey}`, { loop: false });
  publishers.push(pub);

  // the recording has started writing to the bucket
  await waitFor('first segment in the bucket', async () => ((await metric('onair_object_store_uploaded_bytes_total')) ?? 0) > 0 || undefined, 30_000);

  // the object store goes away mid-session
  await s3.down();
  await waitFor('the server notices the outage', async () => (await metric('onair_segment_store_outage')) === 1 || undefined, 20_000);
  // the live stream does not care
  const live = await probe(play(livePid), 2);
  const v = live.streams.find((x) => x.codec_type === 'video');
  assert.ok(v && Number(v.nb_read_frames) > 0, `live playback decodes during the outage: ${JSON.stringify(live)}`);
  await s3.up();

  assert.equal(await pub.exited, 0, pub.stderr());
  await waitFor('idle', async () => (await srv.request('GET', `/v1/live/streams/${s.streamId}`)).body.data.status === 'idle' || undefined, 30_000);
  const st = (await srv.request('GET', `/v1/live/streams/${s.streamId}`)).body.data;
  assert.equal(st.mediaIds?.length, 1, JSON.stringify(st.mediaIds));
  const mediaId = st.mediaIds[0] as string;
  const media = await waitFor('media ready', async () => {
    const m = (await srv.request('GET', `/v1/on-demand/${mediaId}`)).body.data;
    if (m?.status === 'Failed') throw new Error(`media failed: ${JSON.stringify(m)}`);
    return m?.status === 'Ready' ? m : undefined;
  }, 60_000);
  assert.equal(media.status, 'Ready');
  assert.equal(await metric('onair_segment_store_outage'), 0);
  assert.ok(((await metric('onair_segment_store_retries_total')) ?? 0) > 0, 'puts were retried through the outage');

  // the bytes are in the bucket, under the URL's prefix
  const bucket = S3SegmentStore.fromUrl(s3.storageUrl(PREFIX), { credentials: S3RVER_CREDENTIALS });
  const keys = await bucket.list(`media/${mediaId}/`);
  assert.ok(keys.includes(`media/${mediaId}/source/init-0.mp4`) || keys.some((k) => /init-\d+\.mp4$/.test(k)), keys.join(','));
  const segKeys = keys.filter((k) => /seg-\d+\.m4s$/.test(k));
  assert.ok(segKeys.length >= 8, `segments in the bucket: ${segKeys.length}`);

  // VOD from the bucket: every frame of the 10 s publish
  const pid = await srv.request('POST', `/v1/on-demand/${mediaId}/playback-ids`, { accessPolicy: 'public' });
  assert.equal(pid.status, 201, pid.text);
  const playbackId = (pid.body.data.id ?? pid.body.data.playbackId ?? pid.body.data[0]?.id) as string;
  const playlist = await (await fetch(play(playbackId, '/media.m3u8'))).text();
  assert.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD/);
  assert.match(playlist, /#EXT-X-ENDLIST/);
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames:format=duration', '-of', 'json', play(playbackId)], { timeout: 120_000 });
  const j = JSON.parse(stdout) as { streams: { nb_read_frames: string }[]; format: { duration: string } };
  const frames = Number(j.streams[0]!.nb_read_frames);
  assert.ok(frames >= 295 && frames <= 300, `decoded ${frames} of 300 frames`);
  assert.ok(Math.abs(Number(j.format.duration) - 10) <= 1, `VOD duration ${j.format.duration}`);

  // a Range read of a segment is the same bytes as the object in the bucket
  const seg = /^seg-\d+\.m4s/m.exec(playlist)![0];
  const whole = Buffer.from(await (await fetch(play(playbackId, `/${seg}`))).arrayBuffer());
  const ranged = await fetch(play(playbackId, `/${seg}`), { headers: { range: 'bytes=0-0' } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), whole.subarray(0, 1));
  const stored = await bucket.get(segKeys.find((k) => k.endsWith(`/${seg}`)) ?? `media/${mediaId}/source/${seg}`);
  assert.ok(stored && stored.equals(whole), 'the served segment is the stored object');

  // deleting the media removes its objects from the bucket
  assert.equal((await srv.request('DELETE', `/v1/on-demand/${mediaId}`)).status, 200);
  await waitFor('objects deleted', async () => ((await bucket.list(`media/${mediaId}/`)).length === 0 ? true : undefined), 20_000);
  bucket.close();
});
