/** SrtServer end to end on loopback: ffmpeg / srt-live-transmit publishers into a gateway double, SRT playback from the hub. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { StreamHub } from '../../../src/core/live-stream.js';
import { SrtServer, type SrtRejectEvent } from '../../../src/ingest/srt/srt-server.js';
import type { SrtCredentialRow } from '../../../src/ingest/srt/srt-credentials.js';
import { credential, ensureSrtAddon, ffmpegPublish, killChildren, makeSample, RecordingGateway, run, waitFor } from './srt-test-kit.js';

const ID = '91b8484250e5a1ed03fd4e100b807082';
const SECRET = `0123456789abcdef0123456789abcdefk${ID}`;
let dir: string;
let sample1: string;
let sample4: string;

before(() => {
  ensureSrtAddon();
  dir = mkdtempSync(join(tmpdir(), 'onair-srt-server-'));
  sample1 = makeSample(dir, 1);
  sample4 = makeSample(dir, 4);
});

after(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(rows: SrtCredentialRow[] = [credential(ID, SECRET)]) {
  const hub = new StreamHub();
  const gateway = new RecordingGateway(hub);
  let current = rows;
  const server = new SrtServer({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), gateway, hub, credentials: async () => current });
  await server.listen();
  const rejects: SrtRejectEvent[] = [];
  const closes: { socket: number; mode: string; reason: string }[] = [];
  server.on('reject', (e: SrtRejectEvent) => rejects.push(e));
  server.on('close', (e: { socket: number; mode: string; reason: string }) => closes.push(e));
  const url = (query: string) => `srt://127.0.0.1:${server.address().port}?${query}`;
  const setRows = (next: SrtCredentialRow[]) => (current = next);
  return { server, hub, gateway, rejects, closes, url, setRows };
}

test('an ffmpeg publisher (live x264 + AAC, AES-128) reaches the gateway with its configs and frames', async () => {
  const s = await startServer();
  try {
    const r = await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine',
      '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-c:a', 'aac', '-f', 'mpegts',
      s.url(`streamid=${ID}&passphrase=${SECRET}&pbkeylen=16&linger=3`),
    ]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => s.gateway.sessions[0]?.ended !== undefined, 'session end');
    const session = s.gateway.sessions[0]!;
    assert.deepEqual(session.req.protocol, 'srt');
    assert.equal(session.req.key, ID);
    assert.equal(session.req.byStreamId, true);
    assert.match(session.req.remote, /^127\.0\.0\.1:\d+$/);
    const video = session.configs.find((c) => c.track === 'video');
    const audio = session.configs.find((c) => c.track === 'audio');
    assert.ok(video && video.track === 'video' && video.codec === 'h264');
    assert.equal(video.width, 640);
    assert.equal(video.height, 360);
    assert.ok(audio && audio.track === 'audio' && audio.codec === 'aac');
    const videoFrames = session.frames.filter((f) => f.track === 'video');
    assert.equal(videoFrames.length, 60);
    assert.ok(videoFrames[0]!.keyframe);
    assert.ok(session.frames.some((f) => f.track === 'audio'));
    assert.equal(s.server.sessions().length, 0);
  } finally {
    await s.server.close();
  }
});

test('srt-live-transmit as a caller publishes too; the session ends when it goes', async () => {
  const s = await startServer();
  try {
    const child = run('sh', ['-c', `ffmpeg -loglevel error -re -i '${sample1}' -c copy -f mpegts - | exec srt-live-transmit -q file://con '${s.url(`streamid=${ID}&passphrase=${SECRET}`)}'`]);
    await waitFor(() => (s.gateway.sessions[0]?.frames.length ?? 0) > 10, 'frames from srt-live-transmit');
    const info = s.server.sessions();
    assert.equal(info.length, 1);
    assert.equal(info[0]!.mode, 'publish');
    assert.ok(info[0]!.stats && info[0]!.stats.pktRecv > 0);
    killChildren();
    await child;
    await waitFor(() => s.gateway.sessions[0]?.ended !== undefined, 'session end', 10_000);
  } finally {
    await s.server.close();
  }
});

test('a refusal from core closes the socket; a kick from core drops the publisher and ends its session once', async () => {
  const s = await startServer();
  try {
    s.gateway.refuse = 'busy';
    const refused = ffmpegPublish(sample4, s.url(`streamid=${ID}&passphrase=${SECRET}`));
    await waitFor(() => s.closes.length === 1, 'refused socket closed');
    assert.equal(s.closes[0]!.reason, 'refused: busy');
    killChildren();
    await refused;
    assert.equal(s.gateway.sessions.length, 0);

    s.gateway.refuse = undefined;
    const kicked = ffmpegPublish(sample4, s.url(`streamid=${ID}&passphrase=${SECRET}`));
    await waitFor(() => (s.gateway.sessions[0]?.frames.length ?? 0) > 0, 'frames before the kick');
    s.gateway.sessions[0]!.kick('disabled');
    await waitFor(() => s.gateway.sessions[0]!.ended !== undefined, 'kicked session ended');
    assert.equal(s.gateway.sessions[0]!.ended, 'kicked: disabled');
    killChildren();
    await kicked;
  } finally {
    await s.server.close();
  }
});

test('credentials come from the loader and refresh: unknown, created, disabled', async () => {
  const s = await startServer([]);
  try {
    const unknown = await ffmpegPublish(sample1, s.url(`streamid=${ID}&passphrase=${SECRET}`));
    assert.notEqual(unknown.code, 0);
    await waitFor(() => s.rejects.length === 1, 'not-found reject');
    assert.equal(s.rejects[0]!.reason, 'not-found');
    assert.equal(s.rejects[0]!.code, 1404);

    s.setRows([credential(ID, SECRET, 'disabled')]);
    await s.server.refreshCredentials(ID);
    const disabled = await ffmpegPublish(sample1, s.url(`streamid=${ID}&passphrase=${SECRET}`));
    assert.notEqual(disabled.code, 0);
    await waitFor(() => s.rejects.length === 2, 'forbidden reject');
    assert.equal(s.rejects[1]!.reason, 'forbidden');

    s.setRows([credential(ID, SECRET)]);
    await s.server.refreshCredentials(ID);
    const wrong = await ffmpegPublish(sample1, s.url(`streamid=${ID}&passphrase=not-the-secret`));
    assert.notEqual(wrong.code, 0);
    await waitFor(() => s.rejects.length === 3, 'bad-secret reject');
    assert.equal(s.rejects[2]!.reason, 'bad-secret');
    const ok = await ffmpegPublish(sample1, s.url(`streamid=${ID}&passphrase=${SECRET}`));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(s.gateway.sessions.length, 1);
  } finally {
    await s.server.close();
  }
});

test('SRT playback: a viewer pulling the playback id decodes video and audio (both streamid forms)', async () => {
  const s = await startServer();
  try {
    const publisher = ffmpegPublish(sample4, s.url(`streamid=${ID}&passphrase=${SECRET}`));
    await waitFor(() => (s.gateway.sessions[0]?.frames.length ?? 0) > 0, 'publisher frames');
    // both viewers at once, while the 4 s publisher is on (one after the other, the second could start as it ends)
    const viewers = await Promise.all([`play${ID}`, `#!::r=play${ID},m=request`].map((streamid) => run('ffmpeg', [
      '-hide_banner', '-loglevel', 'info', '-analyzeduration', '1500000', '-t', '1', '-i', s.url(`streamid=${streamid}&passphrase=${SECRET}-play`), '-f', 'null', '-',
    ])));
    for (const viewer of viewers) {
      assert.equal(viewer.code, 0, viewer.stderr);
      assert.match(viewer.stderr, /Video: h264/);
      assert.match(viewer.stderr, /Audio: aac/);
      const frames = Number([...viewer.stderr.matchAll(/frame=\s*(\d+)/g)].pop()?.[1] ?? 0);
      assert.ok(frames >= 20, `decoded ${frames} frames`);
    }
    const wrong = await run('ffmpeg', ['-hide_banner', '-t', '1', '-i', s.url(`streamid=play${ID}&passphrase=${SECRET}`), '-f', 'null', '-']);
    assert.notEqual(wrong.code, 0);
    await waitFor(() => s.rejects.some((r) => r.reason === 'bad-secret'), 'viewer bad-secret');
    await publisher;
  } finally {
    await s.server.close();
  }
});
