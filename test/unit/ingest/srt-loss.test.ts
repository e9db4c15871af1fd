/** SRT under loss: a seeded lossy relay between ffmpeg and the listener; libsrt's ARQ must leave no gap in the frames. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { StreamHub } from '../../../src/core/live-stream.js';
import { SrtServer } from '../../../src/ingest/srt/srt-server.js';
import { TsDemuxer } from '../../../src/protocols/mpegts/ts-demuxer.js';
import { LossyUdpRelay } from '../../helpers/lossy-udp-relay.js';
import { credential, ensureSrtAddon, ffmpegPublish, killChildren, makeSample, RecordingGateway, waitFor } from './srt-test-kit.js';

const ID = 'lossstream';
const SECRET = 'loss-test-passphrase-0123456789';
let dir: string;
let sample3: string;

before(() => {
  ensureSrtAddon();
  dir = mkdtempSync(join(tmpdir(), 'onair-srt-loss-'));
  sample3 = makeSample(dir, 3);
});

after(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

for (const [lossRate, latencyMs, seed] of [
  [0.02, 300, 2],
  [0.05, 500, 5],
] as const) {
  test(`${lossRate * 100} % loss each way, 50 ms delay, latency ${latencyMs} ms: every frame arrives, no continuity error`, async () => {
    const hub = new StreamHub();
    const gateway = new RecordingGateway(hub);
    const demuxers: TsDemuxer[] = [];
    const server = new SrtServer({
      port: 0,
      host: '127.0.0.1',
      latencyMs,
      logger: pino({ level: 'silent' }),
      gateway,
      hub,
      credentials: async () => [credential(ID, SECRET)],
      demuxer: (sink) => {
        const d = new TsDemuxer(sink);
        demuxers.push(d);
        return d;
      },
    });
    await server.listen();
    const relay = await LossyUdpRelay.start({ targetHost: '127.0.0.1', targetPort: server.address().port, lossRate, delayMs: 50, seed });
    try {
      const r = await ffmpegPublish(
        sample3,
        `srt://127.0.0.1:${relay.port}?streamid=${ID}&passphrase=${SECRET}&latency=${latencyMs * 1000}&linger=5`,
        30_000,
      );
      assert.equal(r.code, 0, r.stderr);
      await waitFor(() => gateway.sessions[0]?.ended !== undefined, 'session end', 15_000);
      assert.ok(relay.stats.dropped > 0, 'the relay dropped datagrams');
      const video = gateway.sessions[0]!.frames.filter((f) => f.track === 'video');
      assert.equal(video.length, 90);
      assert.equal(demuxers[0]!.stats.ccErrors, 0);
      assert.equal(demuxers[0]!.stats.pesErrors, 0);
    } finally {
      await relay.close();
      await server.close();
    }
  });
}
