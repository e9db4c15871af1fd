/**
 * startServer builds the API, starts the media plane, and only then listens: while the media plane starts, the API
 * port refuses connections, so no API change can reach the no-op LiveControl; the first request served reaches the
 * real one and /healthz is 200 from the first answer on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { NoopLiveControl } from '../../../src/api/noop-live-control.js';
import { resolveConfig } from '../../../src/config.js';
import { startServer } from '../../../src/server.js';
import { freePort } from '../../helpers/ports.js';
import { apiRequest, basicAuth } from '../../helpers/server.js';

test('no request is served before the media plane is attached; the first one reaches the real LiveControl', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-order-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const auth = basicAuth('admin', 'secret-secret');
  const changed: string[] = [];
  const real = Object.assign(new NoopLiveControl(), { async streamChanged(id: string) { changed.push(id); } });

  type Attempt = { duringMedia: boolean; status?: number; streamId?: string; healthz?: number };
  const attempts: Attempt[] = [];
  let mediaRunning = false;
  let started = false;
  let attemptsWhileMedia = 0;
  let enoughAttempts!: () => void;
  const attemptedDuringMedia = new Promise<void>((resolve) => { enoughAttempts = resolve; });

  // A client hammering the API port from before the start until the server is up.
  const poller = (async () => {
    const deadline = Date.now() + 20_000;
    while (!started && Date.now() < deadline) {
      const a: Attempt = { duringMedia: mediaRunning };
      try {
        const r = await apiRequest(base, 'POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} }, { auth });
        a.status = r.status;
        a.streamId = r.body?.data?.streamId;
        a.healthz = (await fetch(`${base}/healthz`)).status;
      } catch { /* connection refused: not listening yet */ }
      attempts.push(a);
      if (a.duringMedia && ++attemptsWhileMedia >= 5) enoughAttempts();
      await new Promise((r) => setTimeout(r, 5)); // pacing, not waiting for an outcome
    }
  })();

  const server = await startServer(
    resolveConfig({ dataDir: dir, host: '127.0.0.1', apiPort: port, adminTokenId: 'admin', adminTokenSecret: 'secret-secret', logLevel: 'silent' }),
    {
      logger: pino({ level: 'silent' }),
      media: async () => {
        mediaRunning = true;
        // the media plane takes its time: hold it until the client has tried a few times meanwhile (bounded)
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([attemptedDuringMedia, new Promise((r) => { timer = setTimeout(r, 10_000); })]);
        clearTimeout(timer);
        mediaRunning = false;
        return { liveControl: real, close: async () => {} };
      },
    },
  );
  started = true;
  try {
    await poller;
    assert.ok(attemptsWhileMedia >= 5, `the client tried ${attemptsWhileMedia} times while the media plane started`);
    const servedEarly = attempts.filter((a) => a.duringMedia && a.status !== undefined);
    assert.deepEqual(servedEarly, [], 'nothing is served while the media plane starts');
    // every stream created before or right after start was announced to the real LiveControl
    const r = await apiRequest(base, 'POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} }, { auth });
    assert.equal(r.status, 201);
    const created = [...attempts.filter((a) => a.status === 201).map((a) => a.streamId), r.body.data.streamId];
    assert.deepEqual(changed, created);
    for (const a of attempts) if (a.healthz !== undefined) assert.equal(a.healthz, 200, 'healthz answers 200 from the first answer on');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
