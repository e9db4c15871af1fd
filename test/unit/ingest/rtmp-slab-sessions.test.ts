/**
 * The RTMP ingest path assembles media in recycled slabs (protocols/slab-pool.ts) and hands them on with the frames:
 * whatever ends a connection (a clean stop, a cut in the middle of a frame, a protocol error), every slab goes back
 * to the pool and nothing stays behind, over hundreds of sessions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { RtmpServer } from '../../../src/ingest/rtmp/rtmp-server.js';
import type { MediaFrame } from '../../../src/media/frame.js';
import { encodeAmf0 } from '../../../src/protocols/amf0/amf0-encoder.js';
import { configTagBody, frameTagBody } from '../../../src/protocols/flv/flv-muxer.js';
import { RtmpChunkWriter } from '../../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { retainSlab, releaseSlab, slabPool, type Slab } from '../../../src/protocols/slab-pool.js';
import { makeClip } from '../packager/media-fixture.js';
import { publishOn, rtmpPeer } from './rtmp-attack-client.js';
import { FakeGateway, waitFor } from './rtmp-test-gateway.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The bytes a publisher sends after publish: configs then every frame, as RTMP messages in 128-byte chunks. */
function publishBytes(): { bytes: Buffer; lastMessageAt: number } {
  const clip = makeClip({ seconds: 2, width: 320, height: 180 });
  const w = new RtmpChunkWriter();
  const out: Buffer[] = [];
  for (const c of clip.configs) out.push(w.write(c.track === 'video' ? 6 : 4, c.track === 'video' ? 9 : 8, 1, 0, configTagBody(c)));
  let lastMessageAt = 0;
  for (const f of clip.frames) {
    lastMessageAt = out.reduce((n, b) => n + b.length, 0);
    out.push(w.write(f.track === 'video' ? 6 : 4, f.track === 'video' ? 9 : 8, 1, Math.round(f.dts / 90), frameTagBody(f)));
  }
  return { bytes: Buffer.concat(out), lastMessageAt };
}

test('hundreds of RTMP publishes, ended cleanly, cut mid-frame or by a protocol error, give every slab back', { timeout: 240_000 }, async (t) => {
  const gateway = new FakeGateway();
  // a session keeps some frames' payloads past the callback the way the packager does: retained, released later
  const kept: Slab[] = [];
  let inSlab = 0;
  const original = gateway.publish.bind(gateway);
  gateway.publish = async (req, kick) => {
    const d = await original(req, kick);
    if (!d.ok) return d;
    const onFrame = d.session.onFrame.bind(d.session);
    d.session.onFrame = (f: MediaFrame) => {
      if (f.slab) {
        inSlab++;
        retainSlab(f.slab);
        kept.push(f.slab);
        if (kept.length > 50) releaseSlab(kept.shift()!);
      }
      onFrame(f);
    };
    return d;
  };
  const server = new RtmpServer({ gateway, logger: pino({ level: 'silent' }), port: 0, host: '127.0.0.1' });
  await server.listen();
  const port = server.address().port;
  const { bytes, lastMessageAt } = publishBytes();
  const closeStream = new RtmpChunkWriter().write(3, 20, 1, 0, encodeAmf0('deleteStream', 4, null, 1));
  const oneSession = async (i: number): Promise<void> => {
    const peer = await rtmpPeer(port);
    assert.ok(await publishOn(peer, port, `KEY${i}`), 'publish accepted');
    const how = i % 3;
    if (how === 0) {
      peer.socket.write(Buffer.concat([bytes, closeStream]));
      peer.socket.end();
    } else if (how === 1) {
      // cut in the middle of the last frame's message: a partly assembled message in a slab when the socket goes
      await new Promise((r) => peer.socket.write(bytes.subarray(0, lastMessageAt + 200), r));
      peer.destroy();
    } else {
      // a chunk header of a chunk stream never opened (type 3 on csid 60): protocol error after media in slabs
      peer.socket.write(Buffer.concat([bytes.subarray(0, lastMessageAt + 200), Buffer.from([0xc0 | 60])]));
    }
    await peer.closed.catch(() => {});
    await waitFor(() => gateway.sessions.length === i + 1 && gateway.sessions[i]!.endReasons.length === 1, 5000, `session ${i} ended`);
  };
  try {
    for (let i = 0; i < 10; i++) await oneSession(i); // warm up
    while (kept.length > 0) releaseSlab(kept.shift()!);
    await waitFor(() => server.budget.inUse === 0, 3000, 'assembly budget back to 0');
    gc();
    const heldBefore = slabPool.inUse;
    const before = process.memoryUsage();
    const sessions = 300;
    for (let i = 10; i < 10 + sessions; i++) await oneSession(i);
    while (kept.length > 0) releaseSlab(kept.shift()!);
    assert.ok(inSlab > sessions * 10, `frames arrived in slabs: ${inSlab}`);
    const reasons = new Set(gateway.sessions.slice(10).map((s) => s.endReasons[0]!.replace(/:.*/, '')));
    assert.ok(reasons.size >= 2, `several ways to end: ${[...reasons].join(', ')}`);
    await waitFor(() => server.budget.inUse === 0, 3000, 'assembly budget back to 0');
    await waitFor(() => slabPool.inUse === heldBefore, 3000, 'every slab back in the pool');
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    const after = process.memoryUsage();
    const grew = (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / 1e6;
    t.diagnostic(`${sessions} sessions (${[...reasons].join(', ')}), ${inSlab} frames in slabs, external memory ${grew.toFixed(2)} MB`);
    assert.ok(grew < 8, `external memory grew ${grew.toFixed(2)} MB over ${sessions} sessions`);
  } finally {
    await server.close();
  }
});
