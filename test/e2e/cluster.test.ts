/**
 * Issue 11 (part B), end to end: onair nodes on one real Postgres. An encoder publishes to node A; the API on
 * node B sees the session and acts on it (finish, disable), a playback id made on B plays on A; live playback
 * through B is proxied to A byte for byte, with one origin fetch per part and per blocking playlist however many
 * viewers B has; A killed with `kill -9` loses its session when its lease expires: another node ends it exactly
 * once (disconnected, then idle after the reconnect window, the recording complete), or the encoder reconnects
 * through node B inside the window and the same session (same media, onward media sequence) continues.
 */
import { test, before, after } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/ports.js';
import { clip720p, probe, publish, type Publisher } from '../helpers/media-tools.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { HlsPlayer, type PlayerState } from '../helpers/hls-player.js';
import pgLib from 'pg';

const SECRET = Buffer.from('cluster-test-secret-32-bytes!!!!').toString('base64');
let pg: TestPostgres;
let hooks: WebhookReceiver;
let clip: string;
let A: TestServer;
let B: TestServer;
let C: TestServer;
const publishers: Publisher[] = [];
/** one data dir for every node: their local segment store is shared (as object storage would be) */
let shared: string;
let dbUrl: string;

function node(name: string, database: string): Promise<TestServer> {
  return startTestServer({
    database, dataDir: shared,
    args: ['--webhook-url', hooks.url(), '--webhook-secret', SECRET, '--node-name', name, '--transcode', 'off',
      '--node-lease-ms', '1500', '--node-heartbeat-ms', '250'],
    // reconnectWindow 60 s -> 6 s
    env: { ONAIR_LIFECYCLE_TIME_SCALE: '0.1', ONAIR_WEBHOOK_POLL_MS: '100', ONAIR_ENDED_LINGER_MS: '1500',
      // DEBUG_CLUSTER=DIR: every node logs at info level into DIR/<node>.log (written after the run)
      ...(process.env.DEBUG_CLUSTER ? { ONAIR_LOG_LEVEL: 'info' } : {}) },
  });
}

before(async () => {
  pg = await startPostgres();
  hooks = await WebhookReceiver.create();
  await hooks.up();
  clip = await clip720p(12);
  shared = mkdtempSync(join(tmpdir(), 'onair-cluster-'));
  const db = await pg.createDatabase();
  dbUrl = db;
  A = await node('node-a', db);
  [B, C] = await Promise.all([node('node-b', db), node('node-c', db)]);
});

after(async () => {
  const debugDir = process.env.DEBUG_CLUSTER;
  if (debugDir) {
    mkdirSync(debugDir, { recursive: true });
    for (const [name, n] of [['node-a', A], ['node-b', B], ['node-c', C]] as const) if (n) writeFileSync(join(debugDir, `${name}.log`), n.logs());
  }
  for (const p of publishers) await p.stop();
  await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
  await hooks?.down();
  await pg?.stop();
  if (shared) rmSync(shared, { recursive: true, force: true });
});

interface Stream { streamId: string; streamKey: string; playbackIds: { id: string }[] }

async function createStream(on: TestServer, extra: Record<string, unknown> = {}): Promise<Stream> {
  const res = await on.request('POST', '/v1/live/streams', {
    playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { reconnectWindow: 60, ...extra },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.data as Stream;
}

function publishTo(on: TestServer, key: string, loop = true): Publisher {
  const p = publish(clip, `rtmp://127.0.0.1:${on.ports.rtmp}/live/${key}`, { loop });
  publishers.push(p);
  return p;
}

const play = (on: TestServer, pid: string, path = '.m3u8') => `http://127.0.0.1:${on.ports.playback}/${pid}${path}`;
const statusOn = async (on: TestServer, id: string) => String((await on.request('GET', `/v1/live/streams/${id}`)).body?.data?.status);

async function waitStatus(on: TestServer, id: string, want: string, ms = 20_000): Promise<void> {
  await waitFor(`stream ${id} ${want} on ${on.url}`, async () => ((await statusOn(on, id)) === want ? true : undefined), ms, 100);
}

/** Distinct webhook events (by event id) of a stream, in delivery order. */
function eventsOf(streamId: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const h of hooks.received) {
    const id = String(h.json?.id);
    if (seen.has(id) || h.json?.object?.id !== streamId) continue;
    seen.add(id);
    out.push(String(h.json?.type).replace('video.live_stream.', ''));
  }
  return out;
}

async function metric(on: TestServer, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${on.ports.api}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    if (labels.split(',').every((l) => inner.includes(l))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The media playlist's (msn, part count) of its newest segment and the URIs it lists. */
function playlistInfo(text: string): { mediaSequence: number; segments: string[]; parts: string[]; discontinuities: number; discontinuitySequence: number } {
  const ms = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  const ds = /#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)/.exec(text);
  const lines = text.split('\n');
  return {
    mediaSequence: ms ? Number(ms[1]) : -1,
    segments: lines.filter((l) => l.length > 0 && !l.startsWith('#')),
    parts: [...text.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => m[1]!),
    discontinuities: lines.filter((l) => l === '#EXT-X-DISCONTINUITY').length,
    discontinuitySequence: ds ? Number(ds[1]) : 0,
  };
}

function msnOf(uri: string): number {
  const m = /(?:seg|part)-(\d+)/.exec(uri);
  assert.ok(m, uri);
  return Number(m[1]);
}

test('the API on node B sees and finishes a session on node A; disable on B cuts A\'s encoder', async () => {
  const s = await createStream(B);
  const enc = publishTo(A, s.streamKey);
  await waitStatus(B, s.streamId, 'active');
  assert.equal(await statusOn(C, s.streamId), 'active');
  // finish on B: A ends the session (its encoder is cut), the stream goes idle once
  assert.equal((await B.request('PUT', `/v1/live/streams/${s.streamId}/finish`)).status, 200);
  await waitStatus(C, s.streamId, 'idle', 5000);
  const code = await Promise.race([enc.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
  assert.notEqual(code, 'still running', 'finish on B did not cut the encoder on A');
  await waitFor('idle webhook', () => (eventsOf(s.streamId).includes('idle') ? true : undefined), 10_000);

  // a second session; disable on B cuts it on A and A refuses the encoder from then on
  const enc2 = publishTo(A, s.streamKey);
  await waitStatus(B, s.streamId, 'active');
  assert.equal((await B.request('PUT', `/v1/live/streams/${s.streamId}/live-disable`)).status, 200);
  const code2 = await Promise.race([enc2.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
  assert.notEqual(code2, 'still running', 'disable on B did not cut the encoder on A');
  const enc3 = publishTo(A, s.streamKey);
  const code3 = await Promise.race([enc3.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
  assert.notEqual(code3, 'still running', 'a disabled stream was accepted on A');
  assert.equal(await statusOn(A, s.streamId), 'disabled');
  // webhooks: each event once, in order
  await waitFor('events settled', () => (eventsOf(s.streamId).filter((e) => e === 'disabled').length >= 1 ? true : undefined), 10_000);
  const ev = eventsOf(s.streamId).filter((e) => ['connected', 'preparing', 'active', 'idle', 'disabled'].includes(e));
  assert.deepEqual(ev.slice(0, 4), ['connected', 'preparing', 'active', 'idle']);
  assert.equal(ev.filter((e) => e === 'idle').length, 1, ev.join(','));
});

test('a playback id created on node B plays on node A at once; playback through node B is proxied to A byte for byte', async () => {
  const s = await createStream(C);
  const made = await B.request('POST', `/v1/live/streams/${s.streamId}/playback-ids`, { accessPolicy: 'public' });
  assert.equal(made.status, 201, made.text);
  const pid = String(made.body.data.id ?? made.body.data.playbackId ?? made.body.data[0]?.id);
  assert.notEqual(pid, 'undefined', made.text);
  publishTo(A, s.streamKey);
  await waitStatus(B, s.streamId, 'active');
  const onA = await probe(play(A, pid), 2);
  assert.ok(Number(onA.streams.find((x) => x.codec_type === 'video')?.nb_read_frames) > 0, 'the new playback id does not play on A');
  // node B does not own the stream: it answers with A's bytes
  const viaB = await probe(play(B, pid), 2);
  const v = viaB.streams.find((x) => x.codec_type === 'video');
  assert.equal(v?.width, 1280);
  assert.ok(Number(v?.nb_read_frames) > 0, 'nothing decoded through node B');
  const list = playlistInfo(await (await fetch(play(A, pid, '/media.m3u8'))).text());
  const seg = list.segments[list.segments.length - 1]!;
  const [fromA, fromB] = await Promise.all([fetch(play(A, pid, `/${seg}`)), fetch(play(B, pid, `/${seg}`))]);
  assert.equal(fromB.status, fromA.status);
  assert.equal(fromB.headers.get('content-type'), fromA.headers.get('content-type'));
  assert.equal(fromB.headers.get('cache-control'), fromA.headers.get('cache-control'));
  assert.ok(Buffer.from(await fromA.arrayBuffer()).equals(Buffer.from(await fromB.arrayBuffer())), 'segment bytes differ through node B');
});

test('N viewers on node B cost node A one fetch per part and one upstream wait per blocking playlist', async () => {
  const s = await createStream(A);
  const pid = s.playbackIds[0]!.id;
  publishTo(A, s.streamKey);
  await waitStatus(A, s.streamId, 'active');
  await waitFor('a segment on A', async () => (playlistInfo(await (await fetch(play(A, pid, '/media.m3u8'))).text()).segments.length > 1 ? true : undefined), 20_000);
  const viewers = 25;
  // a part a few ahead of the live edge: every viewer blocks on it (preload), B must ask A once
  const now = playlistInfo(await (await fetch(play(A, pid, '/media.m3u8'))).text());
  const lastPart = now.parts[now.parts.length - 1]!;
  const m = /part-(\d+)\.(\d+)\.m4s/.exec(lastPart)!;
  const msn = Number(m[1]) + 1;
  const partsBeforeA = await metric(A, 'onair_playback_requests_total', 'kind="part"');
  const playlistsBeforeA = await metric(A, 'onair_playback_requests_total', 'kind="playlist"');
  const answers = await Promise.all(Array.from({ length: viewers }, () => fetch(play(B, pid, `/part-${msn}.0.m4s`)).then(async (r) => ({ status: r.status, bytes: Buffer.from(await r.arrayBuffer()) }))));
  const blocking = await Promise.all(Array.from({ length: viewers }, () => fetch(play(B, pid, `/media.m3u8?_HLS_msn=${msn + 1}&_HLS_part=0`)).then(async (r) => ({ status: r.status, text: await r.text() }))));
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.ok(a.bytes.equals(answers[0]!.bytes));
  }
  for (const b of blocking) {
    assert.equal(b.status, 200);
    assert.equal(b.text, blocking[0]!.text);
    assert.match(b.text, new RegExp(`part-${msn + 1}\\.0\\.m4s`));
  }
  const partsOnA = (await metric(A, 'onair_playback_requests_total', 'kind="part"')) - partsBeforeA;
  const playlistsOnA = (await metric(A, 'onair_playback_requests_total', 'kind="playlist"')) - playlistsBeforeA;
  assert.equal(partsOnA, 1, `node A served the part ${partsOnA} times for ${viewers} viewers on B`);
  assert.equal(playlistsOnA, 1, `node A served the blocking playlist ${playlistsOnA} times for ${viewers} viewers on B`);
  // the part comes from B's memory afterwards: A is not asked again
  const again = await fetch(play(B, pid, `/part-${msn}.0.m4s`));
  assert.ok(Buffer.from(await again.arrayBuffer()).equals(answers[0]!.bytes));
  assert.equal((await metric(A, 'onair_playback_requests_total', 'kind="part"')) - partsBeforeA, 1);
  assert.equal(await metric(B, 'onair_edge_origin_fetches_total', 'kind="media"') >= 1, true);
  // viewer counts: every node's API counts the viewers of all nodes (shared at their heartbeats), a viewer whose
  // requests reached two nodes once: 'node' (the fetches above, on A and B), viewer-1 (B), viewer-2 (A and B), viewer-3 (A)
  for (const [on, who] of [[B, 1], [B, 2], [A, 2], [A, 3]] as const) {
    const r = await fetch(play(on, pid, '/media.m3u8'), { headers: { 'user-agent': `viewer-${who}` } });
    assert.equal(r.status, 200);
  }
  for (const on of [A, B, C]) {
    await waitFor(`4 viewers on ${on.url}`, async () => {
      const r = await on.request('GET', `/v1/live/streams/${s.streamId}/viewer-count`);
      return r.body?.data?.views === 4 ? true : undefined;
    }, 5000, 100).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${(await on.request('GET', `/v1/live/streams/${s.streamId}/viewer-count`)).text}`);
    });
  }
  assert.equal((await A.request('PUT', `/v1/live/streams/${s.streamId}/finish`)).status, 200);
});

test('Postgres unreachable for longer than the leases while a stream is live: media keeps flowing, nobody takes it over, the recording misses nothing', async () => {
  const s = await createStream(A);
  const pid = s.playbackIds[0]!.id;
  const enc = publishTo(A, s.streamKey);
  await waitStatus(B, s.streamId, 'active');
  const seqNow = async (on: TestServer) => playlistInfo(await (await fetch(play(on, pid, '/media.m3u8'))).text()).segments.map(msnOf).pop() ?? -1;
  await waitFor('segments on A', async () => ((await seqNow(A)) > 0 ? true : undefined), 20_000, 200);
  const mediaId = await waitFor('recording', async () => (await B.request('GET', `/v1/live/streams/${s.streamId}`)).body.data.mediaIds?.[0] as string | undefined, 20_000);
  const firstMsn = playlistInfo(await (await fetch(play(A, pid, '/media.m3u8'))).text()).mediaSequence;
  const dbName = new URL(dbUrl).pathname.slice(1);
  const admin = new pgLib.Client({ connectionString: pg.url() });
  await admin.connect();
  let during: number;
  const before = await seqNow(A);
  try {
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [dbName]);
    await new Promise((r) => setTimeout(r, 4000)); // the outage itself (the scenario): longer than two leases (1.5 s)
    during = await seqNow(A);
  } finally {
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
    await admin.end();
  }
  assert.ok(during > before + 2, `the live stream stalled while the database was away: ${before} -> ${during}`);
  // heartbeats and sweeps catch up: every node healthy again (the assertions below say which one is not)
  const healthy = async (n: TestServer) => (await fetch(`${n.url}/healthz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status === 200;
  const seqOnC = async () => playlistInfo(await (await fetch(play(C, pid, '/media.m3u8'), { signal: AbortSignal.timeout(3000) })).text()).segments.map(msnOf).pop() ?? -1;
  await waitFor('nodes healthy and C playing past the outage', async () => (
    (await healthy(A)) && (await healthy(B)) && (await healthy(C)) && (await seqOnC().catch(() => -1)) > during ? true : undefined
  ), 15_000, 200).catch(() => undefined);
  for (const n of [A, B, C]) assert.equal((await fetch(`${n.url}/healthz`)).status, 200, `a node did not survive the outage:\n${n.logs().slice(-3000)}`);
  assert.equal(enc.proc.exitCode, null, 'the encoder was cut');
  assert.equal(await statusOn(C, s.streamId), 'active');
  assert.ok((await seqNow(C)) > during, 'node C does not play the stream after the outage');
  const ev = eventsOf(s.streamId);
  assert.ok(!ev.includes('disconnected') && !ev.includes('idle'), ev.join(','));
  const lastMsn = await seqNow(A);
  assert.equal((await C.request('PUT', `/v1/live/streams/${s.streamId}/finish`)).status, 200);
  await enc.exited;
  // the manifest rows written while the database was away went in once it was back: the recording has no hole
  const media = await mediaReady(C, mediaId);
  const vodPid = await C.request('POST', `/v1/on-demand/${mediaId}/playback-ids`, { accessPolicy: 'public' });
  assert.equal(vodPid.status, 201, vodPid.text);
  const vod = playlistInfo(await (await fetch(play(C, String(vodPid.body.data.id ?? vodPid.body.data[0]?.id), '/media.m3u8'))).text());
  assert.ok(vod.segments.length >= lastMsn - firstMsn, `the recording holds ${vod.segments.length} segments of the ${lastMsn - firstMsn + 1} live ones (${firstMsn}..${lastMsn}, outage ${before}..${during})`);
  assert.equal(vod.discontinuities, 0, 'the outage cut the recording');
  assert.ok(seconds(media.duration) >= during - before, `recorded ${media.duration}`);
});

/** Distinct webhook events of a media, in delivery order. */
function mediaEventsOf(mediaId: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const h of hooks.received) {
    const id = String(h.json?.id);
    if (seen.has(id) || h.json?.object?.id !== mediaId) continue;
    seen.add(id);
    out.push(String(h.json?.type).replace('video.media.', ''));
  }
  return out;
}

/** "HH:MM:SS" (FastPix's media duration) in seconds */
function seconds(d: unknown): number {
  const m = /^(\d+):(\d\d):(\d\d)/.exec(String(d));
  assert.ok(m, `not a duration: ${String(d)}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** Wait until the recording holds `n` segments in the (shared) segment store. */
async function storedSegments(node: TestServer, mediaId: string, n: number): Promise<void> {
  const dir = join(node.dataDir, 'media', 'media', mediaId, 'source');
  const count = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('seg-')).length : 0);
  await waitFor(`${n} stored segments`, () => (count() >= n ? true : undefined), 20_000, 100);
}

/** Publish until a node accepts (it refuses while the dead owner's lease runs): the publisher that stays up. */
async function publishUntilAccepted(on: TestServer, key: string, withinMs: number): Promise<Publisher> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const p = publishTo(on, key);
    const r = await Promise.race([p.exited.then(() => 'exited'), new Promise((res) => setTimeout(() => res('up'), 1500))]);
    if (r === 'up') return p;
    assert.ok(Date.now() < deadline, `node ${on.url} kept refusing the encoder: ${p.stderr()}`);
  }
}

async function mediaReady(on: TestServer, mediaId: string): Promise<any> {
  return waitFor(`media ${mediaId} ready`, async () => {
    const m = (await on.request('GET', `/v1/on-demand/${mediaId}`)).body?.data;
    return m?.status === 'Ready' ? m : undefined;
  }, 20_000, 200);
}

test('node A killed with kill -9: the encoder reconnects through node B inside the window and the session continues', async () => {
  const s = await createStream(B);
  const pid = s.playbackIds[0]!.id;
  const encA = publishTo(A, s.streamKey);
  await waitStatus(C, s.streamId, 'active');
  const before = await waitFor('3 segments on A', async () => {
    const info = playlistInfo(await (await fetch(play(A, pid, '/media.m3u8'))).text());
    return info.segments.length >= 3 ? info : undefined;
  }, 20_000, 200);
  const mediaId = await waitFor('recording', async () => (await B.request('GET', `/v1/live/streams/${s.streamId}`)).body.data.mediaIds?.[0] as string | undefined, 20_000);
  await storedSegments(A, mediaId, 3);
  const lastOnA = msnOf(before.segments[before.segments.length - 1]!);
  // a viewer in Chromium (hls.js) on node C: A's stream, proxied
  const player = await HlsPlayer.open(play(C, pid));
  let encB: Publisher;
  try {
    await player.playFor(1, 30_000);
    const atCrash = (await player.state()).time;
    const crashedAt = player.now() - 1000;
    const crashClock = (await player.pageClock()) - 1;
    await A.crash();
    await encA.exited;
    encB = await publishUntilAccepted(B, s.streamKey, 6000);
    publishers.push(encB);
    // the same player, never reloaded, plays on from B's media (through C, which held its playlist requests
    // while the stream had no owner)
    // (10 s past the crash: more than A's media the player could have buffered, so B's media played too)
    let last: PlayerState | undefined;
    const went = await waitFor('the player plays on past the takeover', async () => {
      const st = last = await player.state();
      if (st.fatal) throw new Error(`fatal hls.js error ${st.fatal} (${st.errors.join(', ')})`);
      return st.time >= atCrash + 10 ? st : undefined;
    }, 60_000, 200).catch(async (err: Error) => {
      const hlsLog = await player.hlsLog(crashClock).catch(() => []);
      throw new Error(`${err.message}: time ${last?.time} (crash at ${atCrash}), buffered ${last?.buffered}, fragments ${last?.frags.join(' ')}, errors ${last?.errors.join(', ')}; requests:\n${player.requests(crashedAt).join('\n')}\nhls.js:\n${hlsLog.join('\n')}`);
    });
    assert.equal(went.width, 1280);
  } finally {
    await player.close();
  }
  // the session went on: the same stream, active, the same media; its media sequence goes on from A's
  await waitStatus(C, s.streamId, 'active');
  const after = await waitFor('segments on B', async () => {
    const info = playlistInfo(await (await fetch(play(B, pid, '/media.m3u8'))).text());
    return info.segments.length >= 2 ? info : undefined;
  }, 20_000, 200);
  assert.ok(msnOf(after.segments[0]!) > lastOnA, `media sequence went back: ${after.segments[0]} after ${lastOnA}`);
  // (the discontinuity may have left the live window by now: EXT-X-DISCONTINUITY-SEQUENCE counts it then)
  assert.ok(after.discontinuities + after.discontinuitySequence >= 1, 'no EXT-X-DISCONTINUITY where the session continued');
  // node C plays it through B
  const viaC = await probe(play(C, pid), 2);
  assert.ok(Number(viaC.streams.find((x) => x.codec_type === 'video')?.nb_read_frames) > 0, 'nothing decoded through node C');
  const st = (await C.request('GET', `/v1/live/streams/${s.streamId}`)).body.data;
  assert.deepEqual(st.mediaIds, [mediaId], 'the continued session records into the same media');

  assert.equal((await C.request('PUT', `/v1/live/streams/${s.streamId}/finish`)).status, 200);
  await encB.exited;
  await waitStatus(B, s.streamId, 'idle', 10_000);
  const media = await mediaReady(C, mediaId);
  const recorded = seconds(media.duration);
  assert.ok(recorded > 3, `the recording holds ${recorded} s`);
  // the VOD is one media over both nodes' parts (the nodes share the segment store)
  const vodPid = await C.request('POST', `/v1/on-demand/${mediaId}/playback-ids`, { accessPolicy: 'public' });
  assert.equal(vodPid.status, 201, vodPid.text);
  const vodId = String(vodPid.body.data.id ?? vodPid.body.data[0]?.id);
  const vod = await (await fetch(play(C, vodId, '/media.m3u8'))).text();
  assert.ok(playlistInfo(vod).discontinuities >= 1, 'the recording does not mark where the session moved');
  assert.ok(playlistInfo(vod).segments.length >= 5, vod);

  await waitFor('idle webhook', () => (eventsOf(s.streamId).includes('idle') ? true : undefined), 10_000);
  await waitFor('media ready webhook', () => (mediaEventsOf(mediaId).includes('ready') ? true : undefined), 10_000);
  const ev = eventsOf(s.streamId);
  const count = (e: string) => ev.filter((x) => x === e).length;
  assert.equal(count('idle'), 1, ev.join(','));
  assert.equal(count('disconnected'), 1, ev.join(','));
  assert.equal(count('connected'), 2, ev.join(','));
  assert.equal(count('preparing'), 1, ev.join(','));
  assert.equal(count('recording'), 1, ev.join(','));
  assert.ok(ev.indexOf('disconnected') < ev.lastIndexOf('connected') && ev.lastIndexOf('connected') < ev.indexOf('idle'), ev.join(','));
  assert.equal(mediaEventsOf(mediaId).filter((x) => x === 'ready').length, 1);
});

test('a node killed with kill -9 and no encoder back: another node ends its session once, after the reconnect window', async () => {
  await A.restart();
  const s = await createStream(C);
  const enc = publishTo(A, s.streamKey);
  await waitStatus(B, s.streamId, 'active');
  const mediaId = await waitFor('recording', async () => (await B.request('GET', `/v1/live/streams/${s.streamId}`)).body.data.mediaIds?.[0] as string | undefined, 20_000);
  await storedSegments(A, mediaId, 2);
  const killedAt = Date.now();
  await A.crash();
  await enc.exited;
  await waitFor('disconnected webhook', () => (eventsOf(s.streamId).includes('disconnected') ? true : undefined), 10_000);
  // still held (not idle) for the reconnect window (6 s), then idle
  assert.equal(await statusOn(B, s.streamId), 'active');
  await waitStatus(B, s.streamId, 'idle', 20_000);
  assert.ok(Date.now() - killedAt >= 6000, `idle ${Date.now() - killedAt} ms after the kill: before the reconnect window`);
  const media = await mediaReady(B, mediaId);
  assert.ok(seconds(media.duration) >= 1, JSON.stringify(media));
  await waitFor('idle webhook', () => (eventsOf(s.streamId).includes('idle') ? true : undefined), 10_000);
  await new Promise((r) => setTimeout(r, 1500)); // (any second, wrong, end would arrive by now)
  const ev = eventsOf(s.streamId);
  assert.equal(ev.filter((e) => e === 'idle').length, 1, ev.join(','));
  assert.equal(ev.filter((e) => e === 'disconnected').length, 1, ev.join(','));
  assert.equal(mediaEventsOf(mediaId).filter((x) => x === 'ready').length, 1);
});
