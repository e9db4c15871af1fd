/** startServer in-process: the media hook plugs in a LiveControl, and the API calls it after committing. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../../src/config.js';
import type { LiveControl } from '../../../src/core/contracts.js';
import { startServer } from '../../../src/server.js';
import { apiRequest, basicAuth } from '../../helpers/server.js';

test('LiveControl is called for disable, delete, finish, playback ids, simulcast, viewer count, signing keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-srv-'));
  const calls: string[] = [];
  const fake: LiveControl = {
    async finish(id) { calls.push(`finish:${id}`); },
    async kick(id, why) { calls.push(`kick:${id}:${why}`); },
    viewerCount: () => 7,
    async playbackIdsChanged() { calls.push('playbackIds'); },
    async streamChanged(id) { calls.push(`stream:${id}`); },
    async signingKeysChanged() { calls.push('keys'); },
    async simulcastChanged(id) { calls.push(`simulcast:${id}`); },
  };
  let mediaClosed = false;
  const server = await startServer(
    resolveConfig({ dataDir: dir, host: '127.0.0.1', apiPort: 0, adminTokenId: 'admin', adminTokenSecret: 'secret-secret', logLevel: 'silent' }),
    { logger: pino({ level: 'silent' }), media: async (ctx) => { assert.ok(ctx.store); return { liveControl: fake, close: async () => { mediaClosed = true; } }; } },
  );
  try {
    const base = `http://127.0.0.1:${server.apiPort}`;
    const auth = basicAuth('admin', 'secret-secret');
    const call = (m: string, p: string, b?: unknown) => apiRequest(base, m, p, b, { auth });
    const id = (await call('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data.streamId;
    assert.deepEqual((await call('GET', `/v1/live/streams/${id}/viewer-count`)).body.data, { views: 7 });
    await call('POST', `/v1/live/streams/${id}/playback-ids`, {});
    assert.equal((await call('POST', `/v1/live/streams/${id}/simulcast`, { url: 'rtmp://127.0.0.1/app', streamKey: 'k' })).status, 201);
    await server.store.recordLifecycle(id, 'active', 'video.live_stream.active');
    assert.equal((await call('PUT', `/v1/live/streams/${id}/finish`)).status, 200);
    await call('PUT', `/v1/live/streams/${id}/live-disable`);
    await call('POST', '/v1/iam/signing-keys');
    await call('DELETE', `/v1/live/streams/${id}`);
    assert.deepEqual(calls, [
      `stream:${id}`, 'playbackIds', `simulcast:${id}`, `finish:${id}`, `kick:${id}:disabled`, `stream:${id}`, 'keys',
      `kick:${id}:deleted`, `stream:${id}`, 'playbackIds',
    ]);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(mediaClosed);
});
