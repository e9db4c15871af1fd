/**
 * The recorder's database writes (media-plane.ts recorderStoreOf) through a database that drops out: a real SQLite
 * store behind a wrapper that fails one call the way a restarting Postgres does (a connection reset), either before
 * the write or after it committed (the acknowledgement lost). The recording still gets exactly one media.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { StreamsService } from '../../../src/core/streams-service.js';
import { recorderStoreOf } from '../../../src/media-plane.js';
import type { Store } from '../../../src/store/store.js';
import { openRecorderDb, recordedStreamSettings, type RecorderDb } from './recorder-db.js';

let db: RecorderDb;
let store: Store;
let streams: StreamsService;
const logger = pino({ level: 'silent' });
const settings = { ...recordedStreamSettings, enableDvrMode: false } as const;

before(async () => {
  db = await openRecorderDb('onair-recorder-store-');
  ({ store, streams } = db);
});
after(() => db.close());

/** `store` whose createRecordingMedia fails once with a connection reset, before or after doing the write (or never). */
function droppingOnce(when: 'before' | 'after' | 'never'): { store: Store; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'createRecordingMedia') return Reflect.get(target, prop, receiver);
      return async (streamId: string, mediaId?: string) => {
        calls++;
        const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        if (calls === 1 && when === 'before') throw reset;
        const m = await target.createRecordingMedia(streamId, mediaId);
        if (calls === 1 && when === 'after') throw reset;
        return m;
      };
    },
  });
  return { store: wrapped, calls: () => calls };
}

for (const when of ['before', 'after'] as const) {
  test(`a connection reset ${when} the media's transaction: retried, one media, Processing`, async () => {
    const s = await streams.create({ ...settings });
    const { store: flaky, calls } = droppingOnce(when);
    let refreshed = 0;
    const rec = recorderStoreOf(flaky, logger, async () => { refreshed++; });
    const mediaId = await rec.createRecordingMedia(s.streamId);
    assert.equal(calls(), 2, 'tried again after the reset');
    const got = await streams.get(s.streamId);
    assert.ok(got.ok);
    assert.deepEqual(got.value.mediaIds, [mediaId], 'exactly one media on the stream, the one the recorder uses');
    assert.equal((await store.getMedia(mediaId))?.status, 'Processing');
    assert.equal(refreshed, 1, 'playback routes refreshed once');
  });
}

test('a stream that is gone fails at once, without retries', async () => {
  const { store: counted, calls } = droppingOnce('never');
  const rec = recorderStoreOf(counted, logger, async () => {});
  await assert.rejects(rec.createRecordingMedia('00000000-0000-4000-8000-000000000000'), /no longer exists/);
  assert.equal(calls(), 1, 'not retried: a missing stream is no transient error');
});
