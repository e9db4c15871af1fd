/**
 * On-demand media in the store (SQLite, temp dir): recording media and the stream's mediaIds, the manifest,
 * completion / failure with their webhooks in the same transaction, crash recovery after a reopen, clips made
 * once per range (also under concurrency), deletion, and the playback routes of media playback ids.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MediaSegmentRow } from '../../../src/core/media-model.js';
import { StreamsService } from '../../../src/core/streams-service.js';
import { segmentKeys } from '../../../src/store/segment-store.js';
import { Store } from '../../../src/store/store.js';
import { addEndpoint } from '../../../src/webhooks/webhook-endpoints.js';

const dir = mkdtempSync(join(tmpdir(), 'onair-media-store-'));
const file = join(dir, 'db.sqlite');
let store: Store;
let streams: StreamsService;

const settings = {
  accessPolicy: 'public', maxResolution: '720p', reconnectWindow: 60, mediaPolicy: 'private', metadata: {},
  enableDvrMode: false, enableRecording: true, lowLatency: false, closedCaptions: false, maxDuration: 0,
} as const;

before(async () => {
  store = await Store.open(file);
  streams = new StreamsService(store);
  await addEndpoint(store, 'http://127.0.0.1:9/hook', { source: 'api' });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** webhook events about `ids` (object ids), oldest first, with their delivery order key */
async function eventsOf(...ids: string[]): Promise<{ type: string; body: any; orderKey: string }[]> {
  const rows = await store.db.selectFrom('webhook_events as e').innerJoin('webhook_deliveries as d', 'd.event_id', 'e.id')
    .select(['e.type', 'e.body', 'd.order_key', 'd.id']).where('e.object_id', 'in', ids).orderBy('d.id').execute();
  return rows.map((r) => ({ type: r.type, body: JSON.parse(r.body), orderKey: r.order_key }));
}

const seg = (mediaId: string, rendition: string, seq: number, extra: Partial<MediaSegmentRow> = {}): MediaSegmentRow => ({
  mediaId, rendition, seq, msn: 1_700_000_000 + seq, durationS: 1.001, key: segmentKeys.segment(mediaId, rendition, seq), size: 1000 + seq,
  discontinuity: false, initKey: segmentKeys.init(mediaId, rendition, 0), ...extra,
});

describe('recording media', () => {
  test('createRecordingMedia: Created media, id in the stream\'s mediaIds, recording + media.created queued in order', async () => {
    const s = await streams.create({ ...settings, metadata: {} });
    const m = await store.createRecordingMedia(s.streamId);
    assert.ok(m);
    assert.equal(m.status, 'Created');
    assert.equal(m.kind, 'recording');
    assert.equal(m.streamId, s.streamId);
    assert.equal(m.maxResolution, '720p');
    assert.equal(m.playbackIds.length, 1);
    assert.equal(m.playbackIds[0]!.accessPolicy, 'private', 'the stream\'s mediaPolicy');
    assert.match(m.mediaId, /^[0-9a-f-]{36}$/);
    assert.deepEqual((await streams.get(s.streamId)).ok && (await streams.get(s.streamId) as any).value.mediaIds, [m.mediaId]);

    const evs = await eventsOf(s.streamId, m.mediaId);
    const types = evs.map((e) => e.type);
    assert.deepEqual(types.slice(-2), ['video.live_stream.recording', 'video.media.created']);
    const [rec, created] = evs.slice(-2);
    assert.deepEqual(rec!.body.data.mediaIds, [m.mediaId], 'the recording event\'s LiveStream lists the new media');
    assert.deepEqual(created!.body.object, { type: 'media', id: m.mediaId });
    assert.equal(created!.body.data.id, m.mediaId);
    assert.equal(created!.body.data.status, 'Created');
    assert.equal(created!.body.status, 'Created');
    assert.equal(created!.orderKey, s.streamId, 'media events are ordered with their stream\'s events');

    // a second session: a second media, appended
    const m2 = await store.createRecordingMedia(s.streamId);
    assert.deepEqual((await streams.get(s.streamId) as any).value.mediaIds, [m.mediaId, m2!.mediaId]);
    assert.equal(await store.createRecordingMedia('0123456789abcdef0123456789abcdef'), undefined);
  });

  test('processing, manifest, completion: Ready with duration and tracks, video.media.ready; the manifest is closed after', async () => {
    const s = await streams.create({ ...settings, metadata: {} });
    const m = (await store.createRecordingMedia(s.streamId))!;
    const p = await store.markMediaProcessing(m.mediaId, {
      sourceResolution: '1080p',
      tracks: [{ id: 'a0b1c2d3-0000-4000-8000-000000000001', type: 'video', width: 1920, height: 1080, frameRate: '30/1', status: 'available' }],
      renditions: [{ name: 'r0', codecs: 'avc1.64001f,mp4a.40.2', bandwidth: 3_000_000, width: 1920, height: 1080 }],
    });
    assert.equal(p?.status, 'Processing');
    assert.equal(p?.sourceResolution, '1080p');
    assert.equal(p?.renditions[0]?.codecs, 'avc1.64001f,mp4a.40.2');
    for (let i = 0; i < 5; i++) assert.equal(await store.addMediaSegment(seg(m.mediaId, 'r0', i, { discontinuity: i === 3, programDateTime: new Date(1_700_000_000_000 + i * 1001).toISOString() })), true);
    assert.equal(await store.addMediaSegments([seg(m.mediaId, 'r1', 0), seg(m.mediaId, 'r1', 1)]), true);
    await assert.rejects(store.addMediaSegment(seg(m.mediaId, 'r0', 2)), 'a seq is written once');

    const rows = await store.listMediaSegments(m.mediaId, 'r0');
    assert.deepEqual(rows.map((r) => r.seq), [0, 1, 2, 3, 4]);
    assert.deepEqual(rows.map((r) => r.discontinuity), [false, false, false, true, false]);
    assert.equal(rows[3]!.key, `media/${m.mediaId}/r0/seg-3.m4s`);
    assert.equal(rows[4]!.programDateTime, new Date(1_700_000_000_000 + 4 * 1001).toISOString());
    assert.equal(rows[4]!.msn, 1_700_000_004);
    assert.deepEqual((await store.listMediaSegments(m.mediaId, 'r0', 3)).map((r) => r.seq), [3, 4]);
    const sum = await store.summarizeMediaSegments(m.mediaId);
    assert.deepEqual(sum.map((r) => [r.rendition, r.segments, r.lastSeq]), [['r0', 5, 4], ['r1', 2, 1]]);
    assert.ok(Math.abs(sum[0]!.durationS - 5.005) < 1e-9);
    assert.equal(sum[0]!.bytes, 1000 * 5 + 0 + 1 + 2 + 3 + 4);

    const done = await store.completeMedia(m.mediaId, { durationS: 5.005 });
    assert.equal(done?.status, 'Ready');
    assert.equal(done?.durationS, 5.005);
    assert.equal(done?.tracks.length, 1, 'tracks recorded while processing stay');
    const ready = (await eventsOf(m.mediaId)).filter((e) => e.type === 'video.media.ready');
    assert.equal(ready.length, 1);
    assert.equal(ready[0]!.body.data.duration, '00:00:05');
    assert.equal(ready[0]!.body.data.status, 'Ready');
    assert.equal(ready[0]!.body.data.sourceResolution, '1080p');
    assert.equal(ready[0]!.body.data.aspectRatio, '16:9');

    assert.equal(await store.addMediaSegment(seg(m.mediaId, 'r0', 5)), false, 'a finished media takes no more segments');
    assert.equal((await store.completeMedia(m.mediaId, { durationS: 99 }))?.durationS, 5.005, 'completing twice changes nothing');
    assert.equal((await store.failMedia(m.mediaId, 'late'))?.status, 'Ready');
    assert.equal((await eventsOf(m.mediaId)).filter((e) => e.type === 'video.media.ready' || e.type === 'video.media.failed').length, 1);
    assert.ok(!(await store.listIncompleteMedia()).some((x) => x.mediaId === m.mediaId));
  });

  test('failMedia: Failed with the reason, video.media.failed carries it; no more segments', async () => {
    const s = await streams.create({ ...settings, metadata: {} });
    const m = (await store.createRecordingMedia(s.streamId))!;
    await store.addMediaSegment(seg(m.mediaId, 'r0', 0));
    const f = await store.failMedia(m.mediaId, 'segment store is full: cannot write x (ENOSPC)');
    assert.equal(f?.status, 'Failed');
    assert.equal(f?.failureReason, 'segment store is full: cannot write x (ENOSPC)');
    const ev = (await eventsOf(m.mediaId)).find((e) => e.type === 'video.media.failed');
    assert.equal(ev?.body.data.failureReason, 'segment store is full: cannot write x (ENOSPC)');
    assert.equal(ev?.body.data.status, 'Failed');
    assert.equal(await store.addMediaSegment(seg(m.mediaId, 'r0', 1)), false);
    assert.equal(await store.failMedia('00000000-0000-4000-8000-000000000000', 'x'), undefined);
  });

  test('crash recovery: after a reopen the unfinished media are listed and complete from their manifest', async () => {
    const s = await streams.create({ ...settings, metadata: {} });
    const withSegs = (await store.createRecordingMedia(s.streamId))!;
    await store.markMediaProcessing(withSegs.mediaId);
    for (let i = 0; i < 3; i++) await store.addMediaSegment(seg(withSegs.mediaId, 'r0', i, { durationS: 2 }));
    for (let i = 0; i < 2; i++) await store.addMediaSegment(seg(withSegs.mediaId, 'r1', i, { durationS: 2 }));
    const empty = (await store.createRecordingMedia(s.streamId))!;

    // "kill -9": the process goes; a new one opens the same database
    await store.close();
    store = await Store.open(file);
    streams = new StreamsService(store);

    const incomplete = await store.listIncompleteMedia();
    const ids = incomplete.map((x) => x.mediaId);
    assert.ok(ids.includes(withSegs.mediaId) && ids.includes(empty.mediaId));
    assert.equal(incomplete.find((x) => x.mediaId === withSegs.mediaId)?.status, 'Processing');
    assert.ok(ids.indexOf(withSegs.mediaId) < ids.indexOf(empty.mediaId), 'oldest first');

    const r = await store.completeMediaFromManifest(withSegs.mediaId);
    assert.equal(r?.status, 'Ready');
    assert.equal(r?.durationS, 6, 'the longest rendition');
    const e = await store.completeMediaFromManifest(empty.mediaId);
    assert.equal(e?.status, 'Failed');
    assert.match(e?.failureReason ?? '', /before any segment/);
    const left = (await store.listIncompleteMedia()).map((x) => x.mediaId);
    assert.ok(!left.includes(withSegs.mediaId) && !left.includes(empty.mediaId));
    assert.deepEqual((await eventsOf(withSegs.mediaId, empty.mediaId)).map((x) => x.type).filter((t) => t !== 'video.media.created'), ['video.media.ready', 'video.media.failed']);
  });
});

describe('clips, deletion and playback routes', () => {
  test('one clip media per range: later and concurrent requests get the same clip, one media.created', async () => {
    const s = await streams.create({ ...settings, mediaPolicy: 'public', metadata: {} });
    const rec = (await store.createRecordingMedia(s.streamId))!;
    const first = await store.createClipMedia({ streamId: s.streamId, sourceMediaId: rec.mediaId, startS: 10, endS: 40 });
    assert.equal(first?.created, true);
    assert.equal(first?.media.kind, 'clip');
    assert.equal(first?.media.status, 'Created');
    assert.equal(first?.media.sourceMediaId, rec.mediaId);
    assert.equal(first?.media.clipStartS, 10);
    assert.equal(first?.media.clipEndS, 40);
    assert.equal(first?.media.durationS, 30);
    assert.equal(first?.media.playbackIds[0]?.accessPolicy, 'public');
    const again = await store.createClipMedia({ streamId: s.streamId, sourceMediaId: rec.mediaId, startS: 10, endS: 40 });
    assert.deepEqual([again?.created, again?.media.mediaId], [false, first!.media.mediaId]);

    const racing = await Promise.all([1, 2, 3, 4].map(() => store.createClipMedia({ streamId: s.streamId, startS: 5.5, endS: 9 })));
    assert.equal(racing.filter((r) => r?.created).length, 1);
    assert.equal(new Set(racing.map((r) => r!.media.mediaId)).size, 1);
    const clipEvents = (await eventsOf(first!.media.mediaId, racing[0]!.media.mediaId)).filter((e) => e.type === 'video.media.created');
    assert.equal(clipEvents.length, 2);
    // clips are not recordings: the stream's mediaIds lists the recording only
    assert.deepEqual((await streams.get(s.streamId) as any).value.mediaIds, [rec.mediaId]);
    assert.equal(await store.createClipMedia({ streamId: 'ffffffffffffffffffffffffffffffff', startS: 0, endS: 1 }), undefined);
  });

  test('deleteMedia: rows and manifest gone, out of mediaIds, media.deleted queued; the recorder is told to stop', async () => {
    const s = await streams.create({ ...settings, metadata: {} });
    const a = (await store.createRecordingMedia(s.streamId))!;
    const b = (await store.createRecordingMedia(s.streamId))!;
    await store.addMediaSegment(seg(a.mediaId, 'r0', 0));
    const gone = await store.deleteMedia(a.mediaId);
    assert.equal(gone?.mediaId, a.mediaId);
    assert.equal(await store.getMedia(a.mediaId), undefined);
    assert.deepEqual(await store.listMediaSegments(a.mediaId), []);
    assert.deepEqual((await streams.get(s.streamId) as any).value.mediaIds, [b.mediaId]);
    const ev = (await eventsOf(a.mediaId)).at(-1)!;
    assert.equal(ev.type, 'video.media.deleted');
    assert.equal(ev.body.status, 'deleted');
    assert.equal(await store.addMediaSegment(seg(a.mediaId, 'r0', 1)), false, 'a recorder writing into a deleted media is told to stop');
    assert.equal(await store.deleteMedia(a.mediaId), undefined);
  });

  test('listMediaPlaybackIds: every media playback id with its media, status, kind and mp4Support', async () => {
    const s = await streams.create({ ...settings, metadata: {} });
    const m = (await store.createRecordingMedia(s.streamId))!;
    const routes = await store.listMediaPlaybackIds();
    const r = routes.find((x) => x.mediaId === m.mediaId);
    assert.deepEqual(r, { playbackId: m.playbackIds[0]!.id, mediaId: m.mediaId, streamId: s.streamId, accessPolicy: 'private', status: 'Created', kind: 'recording', mp4Support: 'none' });
    // live playback ids stay separate
    assert.ok(!(await store.listPlaybackIds()).some((x) => x.playbackId === m.playbackIds[0]!.id));
  });
});
