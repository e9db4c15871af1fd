import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { RtmpServer } from '../../../src/ingest/rtmp/rtmp-server.js';
import { RtmpChunkReader } from '../../../src/protocols/rtmp/rtmp-chunk-reader.js';
import { RtmpChunkWriter } from '../../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { decodeCommand } from '../../../src/protocols/rtmp/rtmp-command.js';
import { encodeAmf0 } from '../../../src/protocols/amf0/amf0-encoder.js';
import { registry } from '../../../src/metrics.js';
import { slabPool } from '../../../src/protocols/slab-pool.js';
import { FakeGateway, waitFor, type RecordedSession } from './rtmp-test-gateway.js';

const logger = pino({ level: 'silent' });
const children = new Set<ChildProcess>();
const tmp = mkdtempSync(join(tmpdir(), 'onair-rtmp-'));
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs a command to completion (killed after `ms`); returns its exit code and stderr. */
function run(cmd: string, args: string[], ms: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stderr });
    });
  });
}

const ffmpegPublish = (url: string, seconds: number) =>
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-c:a', 'aac', '-f', 'flv', url], (seconds + 20) * 1000);

/** onair_rtmp_received_bytes_total and onair_rtmp_frames_total for one protocol, as /metrics shows them */
async function ingestCounters(protocol: 'rtmp' | 'rtmps'): Promise<{ bytes: number; frames: number }> {
  const text = await registry.metrics();
  const value = (name: string): number => Number(new RegExp(`^${name}\\{protocol="${protocol}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { bytes: value('onair_rtmp_received_bytes_total'), frames: value('onair_rtmp_frames_total') };
}

function checkH264Aac(s: RecordedSession, seconds: number): void {
  const video = s.configs.find((c) => c.track === 'video');
  const audio = s.configs.find((c) => c.track === 'audio');
  assert.ok(video && video.track === 'video', 'video config');
  assert.ok(audio && audio.track === 'audio', 'audio config');
  assert.deepEqual([video.codec, video.width, video.height], ['h264', 640, 360]);
  assert.match(video.codecString, /^avc1\.[0-9a-f]{6}$/);
  assert.deepEqual([audio.codec, audio.codecString, audio.sampleRate], ['aac', 'mp4a.40.2', 44100]);
  const v = s.frames.filter((f) => f.track === 'video');
  const a = s.frames.filter((f) => f.track === 'audio');
  assert.equal(v.length, seconds * 30, 'every video frame (30 fps)');
  assert.ok(Math.abs(a.length - (seconds * 44100) / 1024) <= 3, `${a.length} AAC frames`);
  for (const track of [v, a]) {
    for (let i = 1; i < track.length; i++) assert.ok(track[i]!.dts >= track[i - 1]!.dts, 'monotonic dts');
    assert.ok(track.every((f) => f.pts >= f.dts && f.size > 0));
  }
  const keys = v.filter((f) => f.keyframe);
  assert.equal(keys.length, seconds, 'one keyframe per second with -g 30');
  assert.equal(v[0]!.keyframe, true);
  for (let i = 1; i < keys.length; i++) assert.ok(Math.abs(keys[i]!.dts - keys[i - 1]!.dts - 90000) <= 90, 'keyframes 1 s apart');
  const span = v[v.length - 1]!.dts - v[0]!.dts;
  assert.ok(Math.abs(span - (seconds * 30 - 1) * 3000) <= 90, `90 kHz timestamps at 30 fps (span ${span})`);
}

test('ffmpeg publishes 5 s of H.264/AAC over RTMP; frames arrive intact; session ends once', async () => {
  const gateway = new FakeGateway();
  const server = new RtmpServer({ gateway, logger, port: 0, host: '127.0.0.1' });
  await server.listen();
  const slabsBefore = slabPool.inUse;
  try {
    const before = await ingestCounters('rtmp');
    const { code, stderr } = await ffmpegPublish(`rtmp://127.0.0.1:${server.address().port}/live/KEY1`, 5);
    assert.equal(code, 0, stderr);
    await waitFor(() => gateway.sessions[0]?.endReasons.length === 1, 3000, 'session end');
    const s = gateway.sessions[0]!;
    assert.deepEqual([s.req.protocol, s.req.key], ['rtmp', 'KEY1']);
    assert.match(s.req.remote, /^127\.0\.0\.1:\d+$/);
    checkH264Aac(s, 5);
    assert.deepEqual(s.endReasons, ['unpublished']);
    // the ingest counters (tallied on the hot path, handed to prom-client on collection) saw this session
    const after = await ingestCounters('rtmp');
    assert.equal(after.frames - before.frames, s.frames.length, 'onair_rtmp_frames_total counts every frame');
    const payload = s.frames.reduce((n, f) => n + f.size, 0);
    assert.ok(after.bytes - before.bytes > payload, `onair_rtmp_received_bytes_total ${after.bytes - before.bytes} > ${payload} payload bytes`);
    assert.deepEqual(await ingestCounters('rtmp'), after, 'a second collection adds nothing');
    // multi-chunk media is assembled in recycled slabs (frame.slab), and every slab goes back once the connection is gone
    const video = s.frames.filter((f) => f.track === 'video');
    assert.ok(video.filter((f) => f.inSlab).length > video.length / 2, `video frames in slabs: ${video.filter((f) => f.inSlab).length}/${video.length}`);
    await waitFor(() => slabPool.inUse === slabsBefore, 3000, `slabs back in the pool (${slabPool.inUse - slabsBefore} held)`);
  } finally {
    await server.close();
  }
});

test('RTMPS with a self-signed certificate (ffmpeg rtmps://)', async () => {
  const key = join(tmp, 'key.pem');
  const cert = join(tmp, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const gateway = new FakeGateway();
  const server = new RtmpServer({ gateway, logger, port: 0, host: '127.0.0.1', tls: { cert: readFileSync(cert), key: readFileSync(key), port: 0 } });
  await server.listen();
  try {
    const { tlsPort } = server.address();
    assert.ok(tlsPort);
    const before = await ingestCounters('rtmps');
    const { code, stderr } = await ffmpegPublish(`rtmps://127.0.0.1:${tlsPort}/live/KEY2?token=x`, 2);
    assert.equal(code, 0, stderr);
    await waitFor(() => gateway.sessions[0]?.endReasons.length === 1, 3000, 'session end');
    const s = gateway.sessions[0]!;
    assert.deepEqual([s.req.protocol, s.req.key], ['rtmps', 'KEY2']);
    checkH264Aac(s, 2);
    assert.equal((await ingestCounters('rtmps')).frames - before.frames, s.frames.length, 'RTMPS frames counted under protocol="rtmps"');
  } finally {
    await server.close();
  }
});

test('refused keys: ffmpeg exits non-zero (unknown key -> BadName, disabled -> Denied, wrong app)', async () => {
  const gateway = new FakeGateway();
  gateway.refusals.set('NOPE', 'unknown-key');
  gateway.refusals.set('OFF', 'disabled');
  const server = new RtmpServer({ gateway, logger, port: 0, host: '127.0.0.1' });
  await server.listen();
  try {
    const port = server.address().port;
    const results = await Promise.all([
      ffmpegPublish(`rtmp://127.0.0.1:${port}/live/NOPE`, 2),
      ffmpegPublish(`rtmp://127.0.0.1:${port}/live/OFF`, 2),
      ffmpegPublish(`rtmp://127.0.0.1:${port}/other/KEY`, 2),
    ]);
    for (const r of results) assert.notEqual(r.code, 0);
    assert.match(results[0]!.stderr, /refused by test: unknown-key/);
    assert.match(results[1]!.stderr, /refused by test: disabled/);
    assert.match(results[2]!.stderr, /live/);
    assert.equal(gateway.refused.length, 2);
    assert.equal(gateway.sessions.length, 0);
  } finally {
    await server.close();
  }
});

test('GStreamer rtmp2sink publishes H.264 (flvmux)', async () => {
  const gateway = new FakeGateway();
  const server = new RtmpServer({ gateway, logger, port: 0, host: '127.0.0.1' });
  await server.listen();
  try {
    const url = `rtmp://127.0.0.1:${server.address().port}/live/GST`;
    const { code, stderr } = await run('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=90', '!', 'video/x-raw,width=320,height=240,framerate=30/1', '!',
      'x264enc', 'speed-preset=ultrafast', 'key-int-max=30', '!', 'flvmux', 'streamable=true', '!', 'rtmp2sink', `location=${url}`], 30000);
    assert.equal(code, 0, stderr);
    await waitFor(() => gateway.sessions[0]?.endReasons.length === 1, 5000, 'session end');
    const s = gateway.sessions[0]!;
    const video = s.configs.find((c) => c.track === 'video');
    assert.ok(video && video.track === 'video');
    assert.deepEqual([video.width, video.height, video.codec], [320, 240, 'h264']);
    const v = s.frames.filter((f) => f.track === 'video');
    assert.equal(v.length, 90);
    assert.equal(v.filter((f) => f.keyframe).length, 3);
  } finally {
    await server.close();
  }
});

/** A minimal hand-driven RTMP client: handshake, connect, createStream, publish. */
async function rawPublisher(port: number, key: string): Promise<{ socket: Socket; statuses: string[]; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  const statuses: string[] = [];
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  const reader = new RtmpChunkReader();
  const writer = new RtmpChunkWriter();
  let handshake = Buffer.alloc(0);
  let shaken = false;
  socket.on('data', (d: Buffer) => {
    if (!shaken) {
      handshake = Buffer.concat([handshake, d]);
      if (handshake.length < 1 + 2 * 1536) return;
      shaken = true;
      socket.write(handshake.subarray(1, 1 + 1536)); // C2 = S1
      socket.write(writer.write(3, 20, 0, 0, encodeAmf0('connect', 1, { app: 'live', tcUrl: `rtmp://127.0.0.1:${port}/live` })));
      socket.write(writer.write(3, 20, 0, 0, encodeAmf0('createStream', 2, null)));
      socket.write(writer.write(4, 20, 1, 0, encodeAmf0('publish', 3, null, key, 'live')));
      d = handshake.subarray(1 + 2 * 1536);
    }
    for (const m of reader.feed(d)) {
      if (m.type === 20) {
        const c = decodeCommand(m.type, m.payload);
        const info = (c.name === 'onStatus' ? c.args[0] : c.args[0]) as { code?: string } | undefined;
        statuses.push(`${c.name}:${info?.code ?? ''}`);
      }
    }
  });
  socket.on('error', () => {});
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const c0c1 = Buffer.alloc(1537);
  c0c1[0] = 3;
  socket.write(c0c1);
  return { socket, statuses, closed };
}

test('a publisher that goes silent is closed by the idle timeout; session.end exactly once', async () => {
  const gateway = new FakeGateway();
  const server = new RtmpServer({ gateway, logger, port: 0, host: '127.0.0.1', idleTimeoutMs: 400, setupTimeoutMs: 5000 });
  await server.listen();
  try {
    const c = await rawPublisher(server.address().port, 'SILENT');
    await waitFor(() => c.statuses.includes('onStatus:NetStream.Publish.Start'), 3000, 'Publish.Start');
    assert.ok(c.statuses.includes('_result:NetConnection.Connect.Success'));
    const t0 = Date.now();
    await c.closed;
    assert.ok(Date.now() - t0 < 3000);
    await waitFor(() => gateway.sessions[0]!.endReasons.length > 0, 1000, 'end');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(gateway.sessions[0]!.endReasons, ['idle timeout']);
  } finally {
    await server.close();
  }
});

test('FCUnpublish ends the session as unpublished, even when the publisher then resets the socket without deleteStream', async () => {
  // ffmpeg sends FCUnpublish, then deleteStream, then closes without reading our answers: a reset, which can drop the
  // deleteStream still in its send queue. The session must still end as a clean stop, once.
  const gateway = new FakeGateway();
  const server = new RtmpServer({ gateway, logger, port: 0, host: '127.0.0.1' });
  await server.listen();
  try {
    const c = await rawPublisher(server.address().port, 'FCUNPUB');
    await waitFor(() => c.statuses.includes('onStatus:NetStream.Publish.Start'), 3000, 'Publish.Start');
    c.socket.write(new RtmpChunkWriter().write(3, 20, 0, 0, encodeAmf0('FCUnpublish', 5, null, 'FCUNPUB')));
    await waitFor(() => c.statuses.includes('onFCUnpublish:NetStream.Unpublish.Success'), 3000, 'onFCUnpublish');
    await waitFor(() => gateway.sessions[0]!.endReasons.length === 1, 1000, 'end');
    assert.equal(c.socket.destroyed, false, 'the publisher closes the socket, not the server');
    c.socket.resetAndDestroy();
    await c.closed;
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(gateway.sessions[0]!.endReasons, ['unpublished']);
  } finally {
    await server.close();
  }
});

test('kick closes the publisher; a connection that never handshakes is dropped; garbage is dropped', async () => {
  const gateway = new FakeGateway();
  const server = new RtmpServer({ gateway, logger, port: 0, host: '127.0.0.1', idleTimeoutMs: 5000, setupTimeoutMs: 300 });
  await server.listen();
  try {
    const port = server.address().port;
    const c = await rawPublisher(port, 'KICKME');
    await waitFor(() => gateway.sessions.length === 1 && c.statuses.includes('onStatus:NetStream.Publish.Start'), 3000, 'publish');
    gateway.sessions[0]!.kick('disabled');
    await c.closed;
    await waitFor(() => gateway.sessions[0]!.endReasons.length === 1, 1000, 'end');
    assert.deepEqual(gateway.sessions[0]!.endReasons, ['kicked: disabled']);

    const idle = connect(port, '127.0.0.1');
    idle.on('error', () => {});
    const t0 = Date.now();
    await new Promise<void>((r) => idle.on('close', () => r()));
    assert.ok(Date.now() - t0 < 3000, 'setup deadline');

    const junk = connect(port, '127.0.0.1');
    junk.on('error', () => {});
    junk.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const t1 = Date.now();
    await new Promise<void>((r) => junk.on('close', () => r()));
    assert.ok(Date.now() - t1 < 250, 'garbage closes at once');
    assert.equal(gateway.sessions.length, 1);
  } finally {
    await server.close();
  }
});
