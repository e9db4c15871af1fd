/**
 * The simulcast push client and manager against onair's own RTMP(S) listener (in process, fake gateway):
 * media arrives intact, refusals and slow targets are handled, the manager retries and sends webhooks.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';
import type { SimulcastEvent, SimulcastTarget } from '../../../src/core/contracts.js';
import { StreamHub } from '../../../src/core/live-stream.js';
import { RtmpServer } from '../../../src/ingest/rtmp/rtmp-server.js';
import { FlvDemuxer } from '../../../src/protocols/flv/flv-demuxer.js';
import { RtmpServerHandshake } from '../../../src/protocols/rtmp/rtmp-handshake.js';
import { RtmpChunkReader } from '../../../src/protocols/rtmp/rtmp-chunk-reader.js';
import { RtmpChunkWriter } from '../../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { decodeCommand, onStatusBody, resultBody } from '../../../src/protocols/rtmp/rtmp-command.js';
import { RtmpPushClient } from '../../../src/media/simulcast/rtmp-push-client.js';
import { SimulcastManager } from '../../../src/media/simulcast/simulcast-manager.js';
import { FakeGateway, waitFor } from '../ingest/rtmp-test-gateway.js';
import { makeClip } from '../protocols/codecs-fixtures.js';

const logger = pino({ level: 'silent' });
const tmp = mkdtempSync(join(tmpdir(), 'onair-simulcast-'));
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(tmp, { recursive: true, force: true });
});

/** Configs and frames of a real 320x180 H.264 (B-frames) + AAC clip. */
function clipMedia(): { configs: TrackConfig[]; frames: MediaFrame[] } {
  const clip = makeClip('push.flv', '320x180', ['-c:v', 'libx264', '-g', '10', '-bf', '2', '-c:a', 'aac'], 30, ['-f', 'lavfi', '-i', 'sine=duration=2']);
  const configs: TrackConfig[] = [];
  const frames: MediaFrame[] = [];
  const demux = new FlvDemuxer({ onConfig: (c) => configs.push(c), onFrame: (f) => frames.push(f) });
  const file = clip.bytes;
  let p = file.readUInt32BE(5) + 4;
  while (p + 11 <= file.length) {
    const size = file.readUIntBE(p + 1, 3);
    const ts = file.readUIntBE(p + 4, 3) | (file[p + 7]! << 24);
    const body = file.subarray(p + 11, p + 11 + size);
    if (file[p] === 9) demux.pushVideo(body, ts);
    else if (file[p] === 8) demux.pushAudio(body, ts);
    p += 11 + size + 4;
  }
  return { configs, frames };
}

async function rtmpServer(tls?: { cert: Buffer; key: Buffer }) {
  const gateway = new FakeGateway();
  const server = new RtmpServer({ gateway, logger, port: 0, host: '127.0.0.1', ...(tls ? { tls: { ...tls, port: 0 } } : {}) });
  await server.listen();
  cleanups.push(() => server.close());
  return { gateway, server, addr: server.address() };
}

/** Publishes the clip through a hub into `client`, once it is publishing. */
async function pushClip(client: RtmpPushClient, published: () => boolean, media = clipMedia()) {
  const hub = new StreamHub();
  hub.open('s');
  for (const c of media.configs) hub.config('s', c);
  const unsubscribe = hub.subscribe('s', client);
  client.start();
  await waitFor(published, 5000, 'publishing');
  for (const f of media.frames) hub.frame('s', f);
  return { hub, unsubscribe, media };
}

test('push client: a real clip reaches an RTMP server intact (configs, every frame, dts/pts, keyframes, sizes)', async () => {
  const { gateway, addr } = await rtmpServer();
  let publishing = false;
  const closes: string[] = [];
  const client = new RtmpPushClient({ url: `rtmp://127.0.0.1:${addr.port}/live/`, streamKey: 'key-1', logger, onPublishing: () => { publishing = true; }, onClose: (r) => closes.push(r) });
  const { media } = await pushClip(client, () => publishing);
  await waitFor(() => (gateway.sessions[0]?.frames.length ?? 0) === media.frames.length, 5000, 'all frames');
  const s = gateway.sessions[0]!;
  assert.equal(s.req.key, 'key-1');
  assert.deepEqual(s.configs, media.configs);
  assert.deepEqual(s.frames.map(({ inSlab: _inSlab, ...f }) => f), media.frames.map((f) => ({ track: f.track, codec: f.codec, dts: f.dts, pts: f.pts, keyframe: f.keyframe, size: f.data.length })));
  assert.equal(client.stats.framesSent, media.frames.length);
  assert.equal(client.stats.framesDropped, 0);
  client.stop();
  await waitFor(() => s.endReasons.length > 0, 5000, 'publish ended');
  assert.deepEqual(closes, [], 'stop() does not report a close');
});

test('push client: RTMPS (an unknown CA is refused unless verification is off)', async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
    '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(tmp, 'cert.pem'));
  const { gateway, addr } = await rtmpServer({ cert, key: readFileSync(join(tmp, 'key.pem')) });
  // Unknown CA: refused.
  const refusedWith: string[] = [];
  const strict = new RtmpPushClient({ url: `rtmps://localhost:${addr.tlsPort}/live`, streamKey: 'k', logger, onClose: (r) => refusedWith.push(r) });
  strict.start();
  await waitFor(() => refusedWith.length > 0, 5000, 'TLS refusal');
  assert.match(refusedWith[0]!, /self[- ]signed|certificate/i);
  let publishing = false;
  const client = new RtmpPushClient({ url: `rtmps://localhost:${addr.tlsPort}/live`, streamKey: 'tls-key', logger, tlsRejectUnauthorized: false, onPublishing: () => { publishing = true; } });
  const { media } = await pushClip(client, () => publishing);
  await waitFor(() => (gateway.sessions[0]?.frames.length ?? 0) === media.frames.length, 5000, 'all frames over TLS');
  assert.equal(gateway.sessions[0]!.req.protocol, 'rtmps');
  client.stop();
});

test('push client: a refused stream key closes with the server\'s reason', async () => {
  const { gateway, addr } = await rtmpServer();
  gateway.refusals.set('bad', 'unknown-key');
  const closes: string[] = [];
  const client = new RtmpPushClient({ url: `rtmp://127.0.0.1:${addr.port}/live`, streamKey: 'bad', logger, onClose: (r) => closes.push(r) });
  client.start();
  await waitFor(() => closes.length > 0, 5000, 'refusal');
  assert.match(closes[0]!, /NetStream\.Publish\.BadName/);
  const nobody = new RtmpPushClient({ url: 'rtmp://127.0.0.1:1/live', streamKey: 'x', logger, onClose: (r) => closes.push(r) });
  nobody.start();
  await waitFor(() => closes.length > 1, 5000, 'connection refused');
  assert.match(closes[1]!, /ECONNREFUSED/);
});

/** An RTMP server that accepts the publish and then stops reading: a target that cannot keep up. */
async function stuckServer(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const srv = createServer((socket) => {
    sockets.push(socket);
    const hs = new RtmpServerHandshake();
    const reader = new RtmpChunkReader();
    const writer = new RtmpChunkWriter();
    let shaken = false;
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      if (!shaken) {
        const step = hs.feed(data);
        if (step.send) socket.write(step.send);
        if (!step.done) return;
        shaken = true;
        data = step.rest ?? Buffer.alloc(0);
      }
      for (const m of reader.feed(data)) {
        if (m.type !== 20) continue;
        const cmd = decodeCommand(m.type, m.payload);
        if (cmd.name === 'connect') socket.write(writer.write(3, 20, 0, 0, resultBody(cmd.transactionId, {}, { code: 'NetConnection.Connect.Success' })));
        if (cmd.name === 'createStream') socket.write(writer.write(3, 20, 0, 0, resultBody(cmd.transactionId, null, 1)));
        if (cmd.name === 'publish') {
          socket.write(writer.write(5, 20, 1, 0, onStatusBody('status', 'NetStream.Publish.Start', 'go')));
          socket.pause();
        }
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => { for (const s of sockets) s.destroy(); return new Promise<void>((r) => srv.close(() => r())); });
  return { port: (srv.address() as { port: number }).port, sockets };
}

test('push client: a target that stops reading makes frames drop until a keyframe, never blocks the caller, then closes as too slow', async () => {
  const { port } = await stuckServer();
  let publishing = false;
  const closes: string[] = [];
  const client = new RtmpPushClient({
    url: `rtmp://127.0.0.1:${port}/live`, streamKey: 'k', logger, maxQueueBytes: 256 * 1024, stallTimeoutMs: 300,
    onPublishing: () => { publishing = true; }, onClose: (r) => closes.push(r),
  });
  const hub = new StreamHub();
  hub.open('s');
  const video: TrackConfig = clipMedia().configs.find((c) => c.track === 'video')!;
  hub.config('s', video);
  hub.subscribe('s', client);
  client.start();
  await waitFor(() => publishing, 5000, 'publishing');
  const big = Buffer.alloc(200 * 1024, 1);
  big.writeUInt32BE(big.length - 4, 0);
  const started = Date.now();
  let i = 0;
  // ~40 MB offered; the kernel buffers a few MB, the rest must be dropped, not queued.
  for (; i < 200; i++) hub.frame('s', { track: 'video', codec: 'h264', dts: i * 3000, pts: i * 3000, keyframe: i % 30 === 0, data: big });
  assert.ok(Date.now() - started < 2000, 'onFrame never waits for the socket');
  assert.ok(client.stats.framesDropped > 0, `dropped ${client.stats.framesDropped}`);
  assert.ok(client.stats.dropEvents >= 1);
  assert.ok(client.stats.framesSent + client.stats.framesDropped <= 200);
  await new Promise((r) => setTimeout(r, 350));
  hub.frame('s', { track: 'video', codec: 'h264', dts: i * 3000, pts: i * 3000, keyframe: false, data: big });
  await waitFor(() => closes.length > 0, 2000, 'closed as too slow');
  assert.match(closes[0]!, /too slow/);
});

test('manager: pushes each enabled target, retries a refusing one, reacts to isEnabled/delete, webhooks in order', async () => {
  const { gateway, addr } = await rtmpServer();
  gateway.refusals.set('wrong', 'unknown-key');
  const url = `rtmp://127.0.0.1:${addr.port}/live/`;
  let targets: SimulcastTarget[] = [
    { simulcastId: 'good', streamId: 's', url, streamKey: 'right', isEnabled: true, metadata: { name: 'a' } },
    { simulcastId: 'bad', streamId: 's', url, streamKey: 'wrong', isEnabled: true },
    { simulcastId: 'off', streamId: 's', url, streamKey: 'off', isEnabled: false },
  ];
  const events: [string, SimulcastEvent, string | undefined][] = [];
  const store = {
    listSimulcastTargets: async (id: string) => targets.filter((t) => t.streamId === id).map((t) => ({ ...t })),
    recordSimulcastEvent: async (t: SimulcastTarget, e: SimulcastEvent, err?: string) => { events.push([t.simulcastId, e, err]); },
  };
  const hub = new StreamHub();
  const manager = new SimulcastManager({ store, hub, logger, retryInitialMs: 50, retryMaxMs: 200 });
  cleanups.push(() => manager.close());
  const media = clipMedia();
  hub.open('s');
  manager.sessionStarted('s');
  for (const c of media.configs) hub.config('s', c);
  const kinds = (id: string) => events.filter((e) => e[0] === id).map((e) => e[1].replace('video.live_stream.simulcast_target.', ''));
  await waitFor(() => kinds('good').includes('broadcasting'), 5000, 'good target broadcasting');
  await waitFor(() => gateway.refused.length >= 3, 5000, 'bad target retried');
  assert.deepEqual(kinds('good'), ['starting', 'broadcasting']);
  assert.deepEqual(kinds('bad'), ['starting', 'errored'], 'retries do not repeat webhooks');
  assert.match(events.find((e) => e[0] === 'bad' && e[1].endsWith('errored'))![2]!, /BadName/);
  assert.deepEqual(kinds('off'), []);
  for (const f of media.frames) hub.frame('s', f);
  await waitFor(() => (gateway.sessions[0]?.frames.length ?? 0) > 0, 5000, 'media pushed');
  const st = manager.list();
  assert.deepEqual(st.map((x) => [x.simulcastId, x.state]).sort(), [['bad', 'retrying'], ['good', 'broadcasting']]);
  // enable "off", disable "good", delete "bad"
  targets = [{ ...targets[0]!, isEnabled: false }, { ...targets[2]!, isEnabled: true }];
  await manager.targetsChanged('s');
  await waitFor(() => kinds('off').includes('broadcasting'), 5000, 'enabled target broadcasting');
  await waitFor(() => kinds('good').includes('idle'), 5000, 'disabled target idle');
  assert.deepEqual(manager.list().map((x) => x.simulcastId), ['off']);
  const refusedSoFar = gateway.refused.length;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(gateway.refused.length, refusedSoFar, 'a deleted target is not retried');
  manager.sessionEnded('s');
  hub.close('s');
  await waitFor(() => kinds('off').includes('idle'), 5000, 'session end: idle');
  assert.deepEqual(kinds('bad'), ['starting', 'errored'], 'deleted: no idle (the API sent deleted)');
  assert.deepEqual(manager.list(), []);
});
