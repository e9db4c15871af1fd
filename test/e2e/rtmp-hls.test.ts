/**
 * Issue "media plane", end to end with real peers: ffmpeg publishes a 720p30 H.264/AAC clip over RTMP
 * (and RTMPS), ffprobe decodes the HLS, hls.js in Chromium plays it, bad publishers are refused, and the
 * lifecycle (reconnect window, finish, window expiry, maxDuration) shows in the API and the webhooks.
 * ONAIR_LIFECYCLE_TIME_SCALE=0.05 turns the 60 s reconnect window into 3 s.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { waitFor } from '../helpers/ports.js';
import { clip720p, probe, publish, type Publisher } from '../helpers/media-tools.js';
import { HlsPlayer } from '../helpers/hls-player.js';

const SECRET = randomBytes(32).toString('base64');
let srv: TestServer;
let hooks: WebhookReceiver;
let clip: string;
let certDir: string;
const publishers: Publisher[] = [];

function start(url: string, opts: Parameters<typeof publish>[2] = {}): Publisher {
  const p = publish(clip, url, opts);
  publishers.push(p);
  return p;
}

before(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'onair-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  hooks = await WebhookReceiver.create();
  await hooks.up();
  clip = await clip720p(12);
  srv = await startTestServer({
    args: ['--webhook-url', hooks.url(), '--webhook-secret', SECRET,
      '--tls-cert', join(certDir, 'cert.pem'), '--tls-key', join(certDir, 'key.pem')],
    env: { ONAIR_LIFECYCLE_TIME_SCALE: '0.05', ONAIR_WEBHOOK_POLL_MS: '100', ONAIR_WEBHOOK_RETRY_BASE_MS: '100' },
  });
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
  await hooks?.down();
  rmSync(certDir, { recursive: true, force: true });
});

async function createStream(inputMediaSettings: Record<string, unknown> = {}) {
  const res = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings });
  assert.equal(res.status, 201, res.text);
  return res.body.data as { streamId: string; streamKey: string; playbackIds: { id: string }[] };
}

const status = async (id: string) => (await srv.request('GET', `/v1/live/streams/${id}`)).body.data.status as string;
const rtmpUrl = (key: string) => `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${key}`;
const hlsUrl = (pid: string, path = '.m3u8') => `http://127.0.0.1:${srv.ports.playback}/${pid}${path}`;

/** Lifecycle events of one stream as delivered (deduplicated by event id), checking every signature. */
function eventsFor(streamId: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const h of hooks.received) {
    if (h.json?.object?.id !== streamId || seen.has(h.json.id)) continue;
    const expected = createHmac('sha256', Buffer.from(SECRET, 'base64')).update(h.body).digest('base64');
    assert.equal(h.headers['fastpix-signature'], expected, 'every webhook is signed');
    seen.add(h.json.id);
    out.push(String(h.json.type).replace('video.live_stream.', ''));
  }
  return out;
}

async function mediaPlaylist(pid: string): Promise<string> {
  const res = await fetch(hlsUrl(pid, '/media.m3u8'));
  return res.status === 200 ? res.text() : '';
}

const msns = (playlist: string): number[] =>
  [...playlist.matchAll(/^seg-(\d+)\.m4s/gm)].map((m) => Number(m[1]));

test('RTMP publish -> LL-HLS that ffprobe decodes and hls.js plays; bad publishers refused; lifecycle and webhooks', { timeout: 150_000 }, async () => {
  const s = await createStream();
  const pid = s.playbackIds[0]!.id;

  // Not live yet: a clear answer, not a hang.
  const early = await fetch(hlsUrl(pid));
  assert.equal(early.status, 412);
  assert.equal((await fetch(hlsUrl('00000000-0000-0000-0000-000000000000'))).status, 404);

  const pub = start(rtmpUrl(s.streamKey));
  await waitFor('stream active', async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
  await waitFor('first segments', async () => msns(await mediaPlaylist(pid)).length >= 2 || undefined, 20_000);

  // (a) ffprobe decodes the HLS: H.264 1280x720 and AAC, with frames.
  const multivariant = await (await fetch(hlsUrl(pid))).text();
  assert.match(multivariant, /RESOLUTION=1280x720/);
  assert.match(multivariant, /CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
  const probed = await probe(hlsUrl(pid));
  const v = probed.streams.find((x) => x.codec_type === 'video');
  const a = probed.streams.find((x) => x.codec_type === 'audio');
  assert.equal(v?.codec_name, 'h264');
  assert.equal(v?.width, 1280);
  assert.equal(v?.height, 720);
  assert.equal(a?.codec_name, 'aac');
  assert.ok(Number(v?.nb_read_frames) > 30, `decoded video frames: ${v?.nb_read_frames}`);

  const media = await mediaPlaylist(pid);
  assert.match(media, /#EXT-X-SERVER-CONTROL:.*CAN-BLOCK-RELOAD=YES/);
  assert.match(media, /#EXT-X-PART-INF:PART-TARGET=/);
  assert.match(media, /#EXT-X-PRELOAD-HINT:TYPE=PART/);
  assert.match(media, /#EXT-X-PROGRAM-DATE-TIME:/);

  // (b) hls.js in Chromium plays it, low-latency, currentTime advancing.
  const player = await HlsPlayer.open(hlsUrl(pid));
  try {
    const played = await player.playFor(3);
    assert.equal(played.live, true);
    assert.equal(played.width, 1280);
    assert.ok(played.parts > 0, 'hls.js sees LL-HLS parts');
    console.log(`# hls.js latency to the live edge: ${played.latency?.toFixed(2)} s`);
    const views = await srv.request('GET', `/v1/live/streams/${s.streamId}/viewer-count`);
    assert.equal(views.status, 200);
    assert.ok(views.body.data.views >= 1, `viewer-count counts the player: ${views.text}`);
  } finally {
    await player.close();
  }

  // (c) a wrong key and a second publisher are refused while the first delivers media.
  const wrong = start(rtmpUrl('not-a-key'), { loop: false });
  assert.notEqual(await wrong.exited, 0, 'ffmpeg fails on an unknown key');
  const second = start(rtmpUrl(s.streamKey), { loop: false });
  assert.notEqual(await second.exited, 0, 'a second publisher is refused');
  assert.equal(await status(s.streamId), 'active');
  assert.equal(pub.proc.exitCode, null, 'the first publisher keeps going');

  // (d) a drop and a reconnect inside the window keep the session, with a discontinuity, and MSNs go on.
  const before = msns(await mediaPlaylist(pid));
  await pub.stop();
  await waitFor('disconnected webhook', () => eventsFor(s.streamId).includes('disconnected') || undefined, 10_000);
  const pub2 = start(rtmpUrl(s.streamKey));
  await waitFor('discontinuity in the playlist', async () => /#EXT-X-DISCONTINUITY\n/.test(await mediaPlaylist(pid)) || undefined, 15_000);
  await waitFor('new segments after the reconnect', async () => {
    const now = msns(await mediaPlaylist(pid));
    return now.length > 0 && now[now.length - 1]! > before[before.length - 1]! + 1 || undefined;
  }, 15_000);
  const after = msns(await mediaPlaylist(pid));
  for (let i = 1; i < after.length; i++) assert.equal(after[i], after[i - 1]! + 1, 'media sequence numbers stay continuous');
  assert.equal(await status(s.streamId), 'active');
  assert.ok(!eventsFor(s.streamId).includes('idle'), 'no idle inside the reconnect window');

  // (e) finish brings the stream to idle and cuts the encoder.
  const fin = await srv.request('PUT', `/v1/live/streams/${s.streamId}/finish`);
  assert.equal(fin.status, 200, fin.text);
  assert.deepEqual(fin.body, { success: true });
  assert.equal(await status(s.streamId), 'idle');
  await waitFor('publisher cut after finish', () => pub2.proc.exitCode !== null || pub2.proc.signalCode !== null || undefined, 10_000);
  await waitFor('idle webhook', () => eventsFor(s.streamId).includes('idle') || undefined, 10_000);
  assert.deepEqual(eventsFor(s.streamId), [
    'created', 'connected', 'preparing', 'active', 'recording', 'disconnected', 'connected', 'active', 'idle',
  ]);
  const finishAgain = await srv.request('PUT', `/v1/live/streams/${s.streamId}/finish`);
  assert.equal(finishAgain.status, 400);
});

test('a drop past the reconnect window brings the stream to idle', { timeout: 60_000 }, async () => {
  const s = await createStream({ reconnectWindow: 60 }); // x0.05 = 3 s
  const pub = start(rtmpUrl(s.streamKey));
  await waitFor('active', async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
  await pub.stop();
  const dropped = Date.now();
  await waitFor('idle after the window', async () => (await status(s.streamId)) === 'idle' || undefined, 15_000);
  assert.ok(Date.now() - dropped >= 2500, 'held for the reconnect window first');
  // The ended session's playlist stays readable for a while (ENDED_PACKAGER_TTL_MS) and says it has ended.
  const ended = await fetch(hlsUrl(s.playbackIds[0]!.id, '/media.m3u8'));
  const endedText = await ended.text();
  assert.equal(ended.status, 200, endedText);
  assert.match(endedText, /#EXT-X-ENDLIST/, 'an ended playlist says so');
  await waitFor('idle webhook', () => eventsFor(s.streamId).at(-1) === 'idle' || undefined, 10_000);
  assert.deepEqual(eventsFor(s.streamId), ['created', 'connected', 'preparing', 'active', 'recording', 'disconnected', 'idle']);
});

test('maxDuration ends a session that runs too long', { timeout: 60_000 }, async () => {
  const s = await createStream({ maxDuration: 60 }); // x0.05 = 3 s
  const pub = start(rtmpUrl(s.streamKey));
  await waitFor('active', async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
  await waitFor('idle at maxDuration', async () => (await status(s.streamId)) === 'idle' || undefined, 15_000);
  await waitFor('publisher cut', () => pub.proc.exitCode !== null || pub.proc.signalCode !== null || undefined, 10_000);
});

test('disabling a live stream cuts the encoder and refuses it until enabled', { timeout: 60_000 }, async () => {
  const s = await createStream();
  const pub = start(rtmpUrl(s.streamKey));
  await waitFor('active', async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
  assert.equal((await srv.request('PUT', `/v1/live/streams/${s.streamId}/live-disable`)).status, 200);
  await waitFor('publisher cut', () => pub.proc.exitCode !== null || pub.proc.signalCode !== null || undefined, 10_000);
  assert.equal(await status(s.streamId), 'disabled');
  const again = start(rtmpUrl(s.streamKey), { loop: false });
  assert.notEqual(await again.exited, 0, 'a disabled stream refuses publishers');
  assert.equal(await status(s.streamId), 'disabled');
});

test('RTMPS publish over TLS is decoded from HLS', { timeout: 60_000 }, async () => {
  const s = await createStream();
  start(`rtmps://127.0.0.1:${srv.ports.rtmps}/live/${s.streamKey}`);
  await waitFor('active over RTMPS', async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
  await waitFor('segments', async () => msns(await mediaPlaylist(s.playbackIds[0]!.id)).length >= 2 || undefined, 20_000);
  const probed = await probe(hlsUrl(s.playbackIds[0]!.id));
  const v = probed.streams.find((x) => x.codec_type === 'video');
  assert.equal(v?.width, 1280);
  assert.ok(Number(v?.nb_read_frames) > 30);
});

test('a stalled publisher (half-open, no media) is replaced by the reconnecting encoder', { timeout: 60_000 }, async () => {
  const s = await createStream();
  const stalled = start(rtmpUrl(s.streamKey));
  await waitFor('active', async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
  stalled.proc.kill('SIGSTOP'); // the TCP connection stays open, media stops: a half-open publisher
  try {
    const replacement = start(rtmpUrl(s.streamKey));
    // Refused while the first one still counts as delivering; accepted once it has been silent for a few seconds.
    const deadline = Date.now() + 30_000;
    let current = replacement;
    while (Date.now() < deadline) {
      const code = await Promise.race([current.exited, new Promise((r) => setTimeout(() => r('running'), 2500))]);
      if (code === 'running') break;
      current = start(rtmpUrl(s.streamKey));
    }
    assert.equal(current.proc.exitCode, null, 'the new publisher got in');
    const pid = s.playbackIds[0]!.id;
    const seen = msns(await mediaPlaylist(pid));
    await waitFor('segments from the new publisher', async () => {
      const now = msns(await mediaPlaylist(pid));
      return now.length > 0 && now.at(-1)! > (seen.at(-1) ?? 0) || undefined;
    }, 15_000);
    assert.equal(await status(s.streamId), 'active');
    assert.ok(!eventsFor(s.streamId).includes('idle'), 'the session continued');
  } finally {
    stalled.proc.kill('SIGCONT');
  }
});

test('audio-only and video-only publishes play without an empty track', { timeout: 60_000 }, async () => {
  for (const [label, extra, want] of [['audio-only', ['-vn'], 'audio'], ['video-only', ['-an'], 'video']] as const) {
    const s = await createStream();
    start(rtmpUrl(s.streamKey), { extra: [...extra] });
    const pid = s.playbackIds[0]!.id;
    await waitFor(`${label} segments`, async () => msns(await mediaPlaylist(pid)).length >= 2 || undefined, 20_000);
    const multivariant = await (await fetch(hlsUrl(pid))).text();
    if (want === 'audio') assert.match(multivariant, /CODECS="mp4a\.40\.2"/, multivariant);
    else assert.match(multivariant, /CODECS="avc1\.[0-9a-f]{6}"/, multivariant);
    const probed = await probe(hlsUrl(pid));
    assert.deepEqual(probed.streams.map((x) => x.codec_type), [want], `${label}: only the ${want} track`);
    assert.ok(Number(probed.streams[0]!.nb_read_frames) > 10);
  }
});
