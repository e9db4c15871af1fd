/**
 * One owner per live stream (issue 8): every session's outputs, timers and buffers go when it goes, whatever
 * ends it; a throwing output is detached without dropping the publisher or the other outputs.
 * The leak test drives the real media plane (real SQLite store, real packager) with a real encoded clip.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { resolveConfig } from '../../../src/config.js';
import type { PublishSession } from '../../../src/core/contracts.js';
import { StreamHub } from '../../../src/core/live-stream.js';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';
import { MediaPlaneImpl } from '../../../src/media-plane.js';
import { startServer } from '../../../src/server.js';
import { makeClip } from '../packager/media-fixture.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const video: TrackConfig = { track: 'video', codec: 'h264', record: Buffer.from([1]), width: 2, height: 2, codecString: 'avc1.42c00a' };
const frame = (dts: number, keyframe = false): MediaFrame => ({ track: 'video', codec: 'h264', dts, pts: dts, keyframe, data: Buffer.alloc(1) });

test('an output that throws is detached; the other outputs and the stream carry on', () => {
  const failures: string[] = [];
  const hub = new StreamHub({ outputFailed: (id, name) => failures.push(`${id}:${name}`) });
  const owner = hub.open('s');
  let closed = 0;
  const good: number[] = [];
  owner.attach('bad', { close: () => closed++ }, { onConfig: () => {}, onFrame: () => { throw new Error('boom'); } });
  owner.attach('good', { close: () => closed++ }, { onConfig: () => {}, onFrame: (f) => good.push(f.dts) });
  hub.config('s', video);
  hub.frame('s', frame(0, true));
  hub.frame('s', frame(3000));
  assert.deepEqual(failures, ['s:bad']);
  assert.deepEqual(good, [0, 3000]);
  assert.equal(closed, 1, 'the failed output was closed');
  assert.equal(owner.outputCount, 1);
  hub.close('s', 0);
  assert.equal(closed, 2);
  assert.deepEqual(hub.stats(), { streams: 0, live: 0, subscribers: 0, outputs: 0, lingering: 0 });
});

test('ended outputs linger readable, then go; a new session releases the old outputs first', async () => {
  const hub = new StreamHub();
  const log: string[] = [];
  const owner = hub.open('s');
  owner.attach('source', { end: () => log.push('end1'), close: () => log.push('close1') }, undefined, { isEnded: false });
  hub.close('s', 60_000);
  assert.deepEqual(log, ['end1']);
  assert.ok(hub.get('s')?.readerOf('source'), 'readable while lingering');
  assert.equal(hub.stats().lingering, 1);
  const again = hub.open('s');
  assert.equal(again, owner);
  assert.deepEqual(log, ['end1', 'close1']);
  assert.equal(hub.stats().lingering, 0);
  again.attach('source', { close: () => log.push('close2') });
  hub.release('s');
  assert.deepEqual(log, ['end1', 'close1', 'close2']);
  assert.deepEqual(hub.stats(), { streams: 0, live: 0, subscribers: 0, outputs: 0, lingering: 0 });
});

test('a subscriber waiting for a stream keeps its owner; unsubscribing lets it go', () => {
  const hub = new StreamHub();
  const off = hub.subscribe('w', { onConfig: () => {}, onFrame: () => {} });
  assert.equal(hub.stats().streams, 1);
  off();
  assert.equal(hub.stats().streams, 0);
});

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('hundreds of sessions leave no owner, output, subscriber or timer behind, and memory returns', { timeout: 180_000 }, async () => {
  process.env.ONAIR_ENDED_LINGER_MS = '0';
  const dir = mkdtempSync(join(tmpdir(), 'onair-owner-'));
  const clip = makeClip({ seconds: 3, width: 640, height: 360, gop: 30 });
  let plane: MediaPlaneImpl | undefined;
  const server = await startServer(
    resolveConfig({
      dataDir: dir, host: '127.0.0.1', apiPort: 0, playbackPort: 0, rtmpPort: 0, srtPort: 0,
      adminTokenId: 'admin', adminTokenSecret: 'secret-secret', logLevel: 'silent', webhookPollMs: 60_000,
    }),
    {
      logger: pino({ level: 'silent' }),
      media: async (ctx) => {
        plane = new MediaPlaneImpl(ctx.config, ctx.store, ctx.logger);
        await plane.start();
        return { liveControl: plane, close: () => plane!.close() };
      },
    },
  );
  try {
    const p = plane!;
    const auth = `Basic ${Buffer.from('admin:secret-secret').toString('base64')}`;
    const create = async (): Promise<string> => {
      const res = await fetch(`http://127.0.0.1:${server.apiPort}/v1/live/streams`, {
        method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { reconnectWindow: 60 } }),
      });
      assert.equal(res.status, 201);
      return ((await res.json()) as { data: { streamKey: string } }).data.streamKey;
    };
    const oneSession = async (key: string): Promise<void> => {
      const d = await p.sessions.publish({ protocol: 'rtmp', key, remote: 'test' }, () => {});
      assert.ok(d.ok, 'publish accepted');
      const s: PublishSession = d.session;
      for (const c of clip.configs) s.onConfig(c);
      for (const f of clip.frames) s.onFrame(f);
      assert.ok(p.hub.get(s.streamId)?.readerOf('source'), 'the packager is attached while live');
      s.end('encoder closed');
      await p.finish(s.streamId);
    };

    // warm up (module-level caches, JIT), then measure
    const warm = await create();
    for (let i = 0; i < 5; i++) await oneSession(warm);
    gc();
    const timersBefore = timers();
    const before = process.memoryUsage();

    for (let i = 0; i < 100; i++) await oneSession(warm);
    const keys: string[] = [];
    for (let i = 0; i < 100; i++) keys.push(await create());
    for (const k of keys) await oneSession(k);

    assert.deepEqual(p.hub.stats(), { streams: 0, live: 0, subscribers: 0, outputs: 0, lingering: 0 });
    assert.equal(p.sessions.list().length, 0);
    assert.equal(p.simulcast.list().length, 0);
    assert.ok(timers() <= timersBefore, `timers: ${timers()} now, ${timersBefore} before`);
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    const after = process.memoryUsage();
    const grew = (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / 1e6;
    assert.ok(grew < 5, `external memory grew ${grew.toFixed(2)} MB over 200 sessions`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.ONAIR_ENDED_LINGER_MS;
  }
});
