/**
 * Simulcast end to end with real peers: ffmpeg publishes a 720p30 H.264/AAC clip to onair A; A pushes it
 * over RTMP to a second onair server B (a real RTMP target: stream B's key as the publish name), B goes
 * active and its HLS decodes; A's webhooks say starting -> broadcasting. A target with a wrong key is
 * retried (counted through a TCP relay) without harming A's own HLS, and disabling a target stops it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { clip720p, probe, publish, type Publisher } from '../helpers/media-tools.js';

const SECRET = randomBytes(32).toString('base64');
let a: TestServer;
let b: TestServer;
let hooks: WebhookReceiver;
let clip: string;
let relay: Server;
const relaySockets = new Set<Socket>();
let relayConnections = 0;
let relayPort = 0;
const publishers: Publisher[] = [];

before(async () => {
  hooks = await WebhookReceiver.create();
  await hooks.up();
  [clip, a, b] = await Promise.all([
    clip720p(12),
    startTestServer({
      args: ['--webhook-url', hooks.url(), '--webhook-secret', SECRET],
      env: { ONAIR_WEBHOOK_POLL_MS: '100', ONAIR_WEBHOOK_RETRY_BASE_MS: '100' },
    }),
    startTestServer(),
  ]);
  // A TCP relay in front of B's RTMP port: counts the connections a target makes.
  relayPort = await freePort();
  relay = createServer((socket) => {
    relayConnections++;
    const upstream = connect(b.ports.rtmp, '127.0.0.1');
    for (const s of [socket, upstream]) {
      relaySockets.add(s);
      s.on('error', () => {});
      s.on('close', () => { relaySockets.delete(s); socket.destroy(); upstream.destroy(); });
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((r) => relay.listen(relayPort, '127.0.0.1', () => r()));
});

after(async () => {
  for (const p of publishers) await p.stop();
  for (const s of relaySockets) s.destroy();
  await new Promise<void>((r) => (relay ? relay.close(() => r()) : r()));
  await Promise.all([a?.stop(), b?.stop()]);
  await hooks?.down();
});

async function createStream(srv: TestServer) {
  const res = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} });
  assert.equal(res.status, 201, res.text);
  return res.body.data as { streamId: string; streamKey: string; playbackIds: { id: string }[] };
}

const status = async (srv: TestServer, id: string) => (await srv.request('GET', `/v1/live/streams/${id}`)).body.data.status as string;
const hlsUrl = (srv: TestServer, pid: string, path = '.m3u8') => `http://127.0.0.1:${srv.ports.playback}/${pid}${path}`;

/** Simulcast webhooks of A's stream: [type suffix, data] per delivered event (deduplicated by id). */
function simulcastEvents(streamId: string): [string, Record<string, unknown>][] {
  const seen = new Set<string>();
  const out: [string, Record<string, unknown>][] = [];
  for (const h of hooks.received) {
    const type = String(h.json?.type ?? '');
    if (h.json?.object?.id !== streamId || seen.has(h.json.id) || !type.includes('simulcast_target')) continue;
    seen.add(h.json.id);
    out.push([type.replace('video.live_stream.simulcast_target.', ''), h.json.data]);
  }
  return out;
}

function assertDecodes(probed: Awaited<ReturnType<typeof probe>>, what: string): void {
  const v = probed.streams.find((x) => x.codec_type === 'video');
  const au = probed.streams.find((x) => x.codec_type === 'audio');
  assert.equal(v?.codec_name, 'h264', what);
  assert.deepEqual([v?.width, v?.height], [1280, 720], what);
  assert.equal(au?.codec_name, 'aac', what);
  assert.ok(Number(v?.nb_read_frames) > 30, `${what}: decoded video frames ${v?.nb_read_frames}`);
}

test('simulcast: A pushes to a second onair over RTMP, B decodes; a refusing target is retried; webhooks', { timeout: 90_000 }, async () => {
  const [sa, sb] = await Promise.all([createStream(a), createStream(b)]);
  const good = await a.request('POST', `/v1/live/streams/${sa.streamId}/simulcast`, {
    url: `rtmp://127.0.0.1:${b.ports.rtmp}/live/`, streamKey: sb.streamKey, metadata: { platform: 'onair-b' },
  });
  assert.equal(good.status, 201, good.text);
  const bad = await a.request('POST', `/v1/live/streams/${sa.streamId}/simulcast`, {
    url: `rtmp://127.0.0.1:${relayPort}/live`, streamKey: 'not-a-stream-key',
  });
  assert.equal(bad.status, 201, bad.text);
  const goodId = good.body.data.simulcastId as string;
  const badId = bad.body.data.simulcastId as string;

  const pub = publish(clip, `rtmp://127.0.0.1:${a.ports.rtmp}/live/${sa.streamKey}`);
  publishers.push(pub);
  await waitFor('A active', async () => (await status(a, sa.streamId)) === 'active' || undefined, 20_000);
  await waitFor('B active (fed by the simulcast push)', async () => (await status(b, sb.streamId)) === 'active' || undefined, 20_000);

  // B's HLS decodes: the pushed stream is whole (720p H.264 + AAC).
  await waitFor('B segments', async () => {
    const r = await fetch(hlsUrl(b, sb.playbackIds[0]!.id, '/media.m3u8'));
    return r.status === 200 && ((await r.text()).match(/^seg-\d+\.m4s/gm)?.length ?? 0) >= 2 || undefined;
  }, 20_000);
  const [probedB, probedA] = await Promise.all([probe(hlsUrl(b, sb.playbackIds[0]!.id)), probe(hlsUrl(a, sa.playbackIds[0]!.id))]);
  assertDecodes(probedB, 'B (simulcast target)');
  // A's own HLS is unaffected by the target that keeps failing.
  assertDecodes(probedA, 'A (origin)');

  // The wrong key is refused by B and retried with backoff (1 s, 2 s, ...).
  await waitFor('refusing target retried', () => relayConnections >= 2 || undefined, 15_000);
  assert.equal(pub.proc.exitCode, null, 'the encoder on A keeps going');

  await waitFor('broadcasting webhook', () => simulcastEvents(sa.streamId).some(([t, d]) => t === 'broadcasting' && d.simulcastId === goodId) || undefined, 10_000);
  await waitFor('errored webhook', () => simulcastEvents(sa.streamId).some(([t, d]) => t === 'errored' && d.simulcastId === badId) || undefined, 10_000);
  const forGood = simulcastEvents(sa.streamId).filter(([, d]) => d.simulcastId === goodId);
  assert.deepEqual(forGood.map(([t]) => t), ['created', 'starting', 'broadcasting']);
  assert.deepEqual(forGood[2]![1], {
    simulcastId: goodId, livestreamId: sa.streamId, rtmpUrl: `rtmp://127.0.0.1:${b.ports.rtmp}/live/`, streamKey: sb.streamKey,
    isEnabled: true, metadata: { platform: 'onair-b' },
  });
  const forBad = simulcastEvents(sa.streamId).filter(([, d]) => d.simulcastId === badId).map(([t]) => t);
  assert.deepEqual(forBad.slice(0, 3), ['created', 'starting', 'errored']);
  assert.ok(!forBad.includes('broadcasting'));

  // Disabling the good target while live stops the push (webhook idle); B loses its publisher.
  const off = await a.request('PUT', `/v1/live/streams/${sa.streamId}/simulcast/${goodId}`, { isEnabled: false });
  assert.equal(off.status, 200, off.text);
  await waitFor('idle webhook', () => simulcastEvents(sa.streamId).some(([t, d]) => t === 'idle' && d.simulcastId === goodId) || undefined, 10_000);
  // Deleting the refusing target is accepted while live (its retries stop: see the unit tests, which can wait cheaply).
  assert.equal((await a.request('DELETE', `/v1/live/streams/${sa.streamId}/simulcast/${badId}`)).status, 200);
  assert.equal(await status(a, sa.streamId), 'active');
});
