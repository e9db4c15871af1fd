/**
 * Issue 9, end to end: a live session with one reconnect becomes ONE on-demand media whose VOD decodes from
 * start to end (duration within 1 s, every frame), with the webhooks in order; DVR serves the session from its
 * first segment while live; an instant clip covers the asked range and becomes a clip media; `kill -9`
 * mid-session then restart yields a ready media of what was recorded.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/ports.js';
import { clip720p, publish, type Publisher } from '../helpers/media-tools.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { HlsPlayer } from '../helpers/hls-player.js';

const run = promisify(execFile);
const SECRET = Buffer.from('recording-test-secret-32-bytes!!').toString('base64');
let srv: TestServer;
let clip: string;
let hooks: WebhookReceiver;
const publishers: Publisher[] = [];

before(async () => {
  hooks = await WebhookReceiver.create();
  await hooks.up();
  clip = await clip720p(6);
  srv = await startTestServer({
    args: ['--webhook-url', hooks.url(), '--webhook-secret', SECRET],
    // reconnectWindow 60 s -> 3 s
    env: { ONAIR_LIFECYCLE_TIME_SCALE: '0.05', ONAIR_WEBHOOK_POLL_MS: '100', ONAIR_ENDED_LINGER_MS: '2000' },
  });
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
  await hooks?.down();
});

interface Stream { streamId: string; streamKey: string; playbackIds: { id: string }[] }

async function createStream(extra: Record<string, unknown> = {}): Promise<Stream> {
  const res = await srv.request('POST', '/v1/live/streams', {
    playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { reconnectWindow: 60, ...extra },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.data as Stream;
}

const rtmpUrl = (key: string) => `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${key}`;
const play = (pid: string, path = '.m3u8') => `http://127.0.0.1:${srv.ports.playback}/${pid}${path}`;
const getStream = async (id: string) => (await srv.request('GET', `/v1/live/streams/${id}`)).body.data;

function once(key: string): Publisher {
  const p = publish(clip, rtmpUrl(key), { loop: false });
  publishers.push(p);
  return p;
}

/** Media events (type + media id) in delivery order, deduplicated. */
function mediaEvents(): { type: string; id: string; status?: string }[] {
  const seen = new Set<string>();
  const out: { type: string; id: string; status?: string }[] = [];
  for (const h of hooks.received) {
    if (seen.has(h.json?.id)) continue;
    seen.add(h.json?.id);
    out.push({ type: String(h.json?.type), id: String(h.json?.object?.id ?? ''), status: h.json?.data?.status });
  }
  return out;
}

async function countFrames(url: string): Promise<{ frames: number; duration: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames:format=duration', '-of', 'json', url], { timeout: 120_000 });
  const j = JSON.parse(stdout) as { streams: { nb_read_frames: string }[]; format: { duration: string } };
  return { frames: Number(j.streams[0]!.nb_read_frames), duration: Number(j.format.duration) };
}

test('a session with one reconnect becomes one ready media whose VOD decodes whole; webhooks in order', { timeout: 180_000 }, async () => {
  const s = await createStream();
  const first = once(s.streamKey);
  assert.equal(await first.exited, 0, first.stderr());
  // reconnect inside the (3 s) window: the same session, the same media
  const second = once(s.streamKey);
  assert.equal(await second.exited, 0, second.stderr());
  await waitFor('idle', async () => (await getStream(s.streamId)).status === 'idle' || undefined, 30_000);

  const st = await getStream(s.streamId);
  assert.equal(st.mediaIds?.length, 1, `one media for the session: ${JSON.stringify(st.mediaIds)}`);
  const mediaId = st.mediaIds[0] as string;
  const media = await waitFor('media ready', async () => {
    const m = (await srv.request('GET', `/v1/on-demand/${mediaId}`)).body.data;
    return m?.status === 'Ready' ? m : undefined;
  }, 30_000);
  const [h, m, sec] = String(media.duration).split(':').map(Number) as [number, number, number];
  const durationS = h * 3600 + m * 60 + sec;
  assert.ok(Math.abs(durationS - 12) <= 1, `duration ${media.duration} is 12 s within 1 s`);

  const pid = await srv.request('POST', `/v1/on-demand/${mediaId}/playback-ids`, { accessPolicy: 'public' });
  assert.equal(pid.status, 201, pid.text);
  const playbackId = (pid.body.data.id ?? pid.body.data.playbackId ?? pid.body.data[0]?.id) as string;
  const mv = await fetch(play(playbackId));
  assert.equal(mv.status, 200);
  const media1 = await (await fetch(play(playbackId, '/media.m3u8'))).text();
  assert.match(media1, /#EXT-X-PLAYLIST-TYPE:VOD/);
  assert.match(media1, /#EXT-X-ENDLIST/);
  assert.match(media1, /#EXT-X-DISCONTINUITY/, 'the reconnect shows as a discontinuity');
  const counted = await countFrames(play(playbackId));
  // two 6 s publishes at 30 fps: every frame of both (the packager drops nothing)
  assert.ok(counted.frames >= 355 && counted.frames <= 360, `decoded ${counted.frames} of 360 frames`);
  assert.ok(Math.abs(counted.duration - 12) <= 1, `VOD duration ${counted.duration}`);

  // range requests on a segment
  const seg = /^seg-\d+\.m4s/m.exec(media1)![0];
  const whole = Buffer.from(await (await fetch(play(playbackId, `/${seg}`))).arrayBuffer());
  const part = await fetch(play(playbackId, `/${seg}`), { headers: { range: 'bytes=10-99' } });
  assert.equal(part.status, 206);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(10, 100));

  // thumbnails of the asked size, in each format
  for (const [fmt, codec] of [['jpg', 'mjpeg'], ['png', 'png'], ['webp', 'webp']] as const) {
    const url = play(playbackId, `/thumbnail.${fmt}?width=320&height=240&fit_mode=pad&time=3`);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height,codec_name', '-of', 'csv=p=0', url]);
    assert.equal(stdout.trim(), `${codec},320,240`, `thumbnail.${fmt}`);
  }
  assert.equal((await fetch(play(playbackId, '/thumbnail.jpg?width=5000'))).status, 400);
  assert.equal((await fetch(play(playbackId, '/thumbnail.jpg?fit_mode=zoom'))).status, 400);
  assert.equal((await fetch(play(playbackId, '/thumbnail.jpg?time=999'))).status, 400);
  const sprite = await (await fetch(play(playbackId, '/spritesheet.json'))).json() as { tiles: unknown[]; tile_width: number; duration: number };
  assert.ok(sprite.tiles.length >= 6 && sprite.tile_width > 0 && Math.abs(sprite.duration - 12) <= 1, JSON.stringify(sprite).slice(0, 200));

  // MP4 download once mp4Support allows it (remuxed, no re-encode)
  assert.equal((await fetch(play(playbackId, '/capped-4k.mp4'))).status, 400, 'not without mp4Support');
  assert.equal((await srv.request('PATCH', `/v1/on-demand/${mediaId}/update-mp4Support`, { mp4Support: 'capped_4k' })).status, 200);
  const mp4 = await countFrames(play(playbackId, '/capped-4k.mp4'));
  assert.ok(mp4.frames >= 355 && Math.abs(mp4.duration - 12) <= 1, `MP4: ${mp4.frames} frames, ${mp4.duration} s`);
  assert.equal((await fetch(play(playbackId, '/audio.m4a'))).status, 400, 'not without audioOnly');
  assert.equal((await srv.request('PATCH', `/v1/on-demand/${mediaId}/update-mp4Support`, { mp4Support: 'audioOnly,capped_4k' })).status, 200);
  const { stdout: m4a } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format=duration', '-of', 'json', play(playbackId, '/audio.m4a')]);
  const m4aInfo = JSON.parse(m4a) as { streams: { codec_type: string; codec_name: string }[]; format: { duration: string } };
  assert.deepEqual(m4aInfo.streams.map((x) => `${x.codec_type}:${x.codec_name}`), ['audio:aac']);
  assert.ok(Math.abs(Number(m4aInfo.format.duration) - 12) <= 1, `M4A duration ${m4aInfo.format.duration}`);

  // a private playback id of the media refuses requests without a valid token
  const priv = await srv.request('POST', `/v1/on-demand/${mediaId}/playback-ids`, { accessPolicy: 'private' });
  assert.equal(priv.status, 201, priv.text);
  const privId = (priv.body.data.id ?? priv.body.data.playbackId) as string;
  assert.equal((await fetch(play(privId))).status, 403);
  assert.equal((await fetch(play(privId, '.m3u8?token=not-a-jwt'))).status, 403);
  assert.equal((await fetch(play(privId, '/thumbnail.jpg?token=x'))).status, 403);

  await waitFor('media webhooks', () => {
    const ev = mediaEvents().map((e) => e.type);
    return ev.includes('video.media.ready') || undefined;
  }, 20_000);
  const types = mediaEvents().map((e) => e.type);
  const order = ['video.live_stream.recording', 'video.media.created', 'video.media.ready'].map((t) => types.indexOf(t));
  assert.ok(order.every((i) => i >= 0) && order[0]! < order[2]! && order[1]! < order[2]!, `webhooks in order: ${types.join(', ')}`);
  assert.equal(types.filter((t) => t === 'video.media.created').length, 1, 'one media for one session');

  // deleting the media ends its playback cleanly: its ids and bytes are gone
  assert.equal((await srv.request('DELETE', `/v1/on-demand/${mediaId}`)).status, 200);
  assert.equal((await fetch(play(playbackId, '/media.m3u8'))).status, 404);
  assert.equal((await fetch(play(playbackId, `/${seg}`))).status, 404);
  assert.equal((await srv.request('GET', `/v1/on-demand/${mediaId}`)).status, 404);
});

test('a full disk fails the recording with its reason; the live stream plays on', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1500k', 'tmpfs', dir]);
  const db = join(mkdtempSync(join(tmpdir(), 'onair-fulldb-')), 'onair.sqlite');
  const full = await startTestServer({ dataDir: dir, args: ['--database', db] });
  const extra: Publisher[] = [];
  try {
    const res = await full.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} });
    const s = res.body.data as Stream;
    const p = publish(clip, `rtmp://127.0.0.1:${full.ports.rtmp}/live/${s.streamKey}`);
    extra.push(p);
    const mediaId = await waitFor('recording', async () => (await full.request('GET', `/v1/live/streams/${s.streamId}`)).body.data.mediaIds?.[0] as string | undefined, 30_000);
    await waitFor('media Failed', async () => {
      const m = (await full.request('GET', `/v1/on-demand/${mediaId}`)).body.data;
      return m?.status === 'Failed' ? m : undefined;
    }, 40_000);
    // the live stream keeps playing: its playlist still advances
    const url = `http://127.0.0.1:${full.ports.playback}/${s.playbackIds[0]!.id}/media.m3u8`;
    const lastMsn = async () => Math.max(...[...(await (await fetch(url)).text()).matchAll(/^seg-(\d+)\.m4s/gm)].map((m) => Number(m[1])));
    const before = await lastMsn();
    await waitFor('live playlist advances', async () => ((await lastMsn()) >= before + 2 ? true : undefined), 15_000);
    assert.equal((await full.request('GET', `/v1/live/streams/${s.streamId}`)).body.data.status, 'active');
    const metrics = await (await fetch(`${full.url}/metrics`)).text();
    assert.match(metrics, /^onair_recording_failures_total [1-9]/m);
    assert.match(full.logs(), /recording failed/);
  } finally {
    for (const p of extra) await p.stop();
    await full.stop();
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DVR serves the live session from its first segment; an instant clip covers the asked range', { timeout: 120_000 }, async () => {
  const s = await createStream({ enableDvrMode: true });
  const loop = publish(clip, rtmpUrl(s.streamKey));
  publishers.push(loop);
  const pid = s.playbackIds[0]!.id;
  const firstMsn = (t: string) => Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(t)?.[1] ?? NaN);
  const text = async (url: string) => { const r = await fetch(url); return r.status === 200 ? r.text() : ''; };
  // the live window holds 8 segments: wait until the session's start has left it
  const [dvr, live] = await waitFor('the session start left the live window', async () => {
    const d = await text(play(pid, '/media.m3u8?dvrMode=true'));
    const l = await text(play(pid, '/media.m3u8'));
    return d && l && firstMsn(d) < firstMsn(l) ? [d, l] as const : undefined;
  }, 60_000);
  const total = [...dvr.matchAll(/#EXTINF:([\d.]+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  assert.ok(total >= 8, `DVR playlist covers the session (${total} s)`);
  assert.ok(firstMsn(dvr) < firstMsn(live));
  assert.match(dvr, /#EXT-X-PLAYLIST-TYPE:EVENT/);
  assert.match(dvr, /#EXT-X-PART:/, 'parts at the live edge');
  const mv = await (await fetch(play(pid, '.m3u8?dvrMode=true'))).text();
  assert.match(mv, /media\.m3u8\?dvrMode=true/, 'dvrMode carried into child URLs');
  // the oldest DVR segment is served (from the segment store once it left the live window)
  const oldest = /^seg-\d+\.m4s/m.exec(dvr)![0];
  assert.equal((await fetch(play(pid, `/${oldest}`))).status, 200);
  const probed = await countFrames(play(pid, '.m3u8?start=2s&end=6s'));
  assert.ok(probed.duration >= 3.5 && probed.duration <= 6.5, `clip 2s..6s snapped to segments: ${probed.duration} s`);
  const clipPl = await (await fetch(play(pid, '/media.m3u8?start=2&end=6'))).text();
  assert.match(clipPl, /#EXT-X-ENDLIST/);
  // out of range and bad values
  assert.equal((await fetch(play(pid, '.m3u8?start=9&end=3'))).status, 400);
  assert.equal((await fetch(play(pid, '.m3u8?start=0&end=1500'))).status, 400);
  assert.equal((await fetch(play(pid, '.m3u8?start=abc'))).status, 400);
  const clipMedia = await waitFor('clip media listed and ready', async () => {
    const r = await srv.request('GET', `/v1/on-demand/${s.streamId}/live-clips`);
    const c = r.status === 200 && Array.isArray(r.body.data) ? r.body.data[0] : undefined;
    if (!c) return undefined;
    const m = (await srv.request('GET', `/v1/on-demand/${c.mediaId ?? c.id}`)).body.data;
    return m?.status === 'Ready' ? m : undefined;
  }, 20_000);
  const clipPid = clipMedia.playbackIds?.[0]?.id as string | undefined
    ?? (await srv.request('POST', `/v1/on-demand/${clipMedia.id ?? clipMedia.mediaId}/playback-ids`, { accessPolicy: 'public' })).body.data.id;
  const clipProbe = await countFrames(play(clipPid));
  assert.ok(clipProbe.duration >= 3.5 && clipProbe.duration <= 6.5, `the clip media plays its range: ${clipProbe.duration} s`);

  // a live thumbnail (the newest keyframe), and one of the session's past through the stored history
  for (const q of ['?width=160', '?width=160&time=1']) {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', play(pid, `/thumbnail.jpg${q}`)]);
    assert.equal(stdout.trim(), '160,90', `live thumbnail ${q}`);
  }

  // hls.js seeks back to the session's first seconds while it is still live, and plays from there
  const player = await HlsPlayer.open(play(pid, '.m3u8?dvrMode=true'));
  try {
    await player.playFor(1, 40_000);
    const st = await player.state();
    const liveNow = await text(play(pid, '/media.m3u8'));
    const liveSpan = [...liveNow.matchAll(/#EXTINF:([\d.]+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    assert.ok(st.seekStart !== null && st.seekEnd !== null && st.seekEnd - st.seekStart > liveSpan + 1,
      `the DVR seekable range ${st.seekStart}..${st.seekEnd} reaches behind the ${liveSpan} s live window`);
    const target = st.seekStart! + 0.5;
    await player.seek(target);
    const after = await player.playFor(1, 30_000);
    // hls.js measures its distance to the live edge: after the seek it plays from behind the live window
    assert.ok(after.latency !== null && after.latency > liveSpan, `playing ${after.latency} s behind live, beyond the ${liveSpan} s live window`);
    assert.equal(after.fatal, null);
  } finally {
    await player.close();
  }
  await loop.stop();
});

test('kill -9 mid-session, restart: the media is completed from what was stored and announced ready', { timeout: 120_000 }, async () => {
  const s = await createStream();
  const loop = publish(clip, rtmpUrl(s.streamKey));
  publishers.push(loop);
  await waitFor('recording', async () => ((await getStream(s.streamId)).mediaIds?.length ? true : undefined), 30_000);
  const mediaId = (await getStream(s.streamId)).mediaIds[0] as string;
  const dir = join(srv.dataDir, 'media', 'media', mediaId, 'source');
  await waitFor('4 segments stored', () => {
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('seg-')) : [];
    return files.length >= 4 || undefined;
  }, 30_000);
  await loop.stop();
  await srv.crashAndRestart();
  const media = await waitFor('ready after restart', async () => {
    const m = (await srv.request('GET', `/v1/on-demand/${mediaId}`)).body.data;
    return m?.status === 'Ready' ? m : undefined;
  }, 30_000);
  assert.notEqual(media.duration, '00:00:00', 'what was stored is there');
  const pid = await srv.request('POST', `/v1/on-demand/${mediaId}/playback-ids`, { accessPolicy: 'public' });
  const playbackId = (pid.body.data.id ?? pid.body.data.playbackId) as string;
  const counted = await countFrames(play(playbackId));
  assert.ok(counted.frames > 60, `the recovered VOD decodes (${counted.frames} frames)`);
});
