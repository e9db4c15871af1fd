/**
 * The session recorder with a ladder (real SQLite store, real segment store on disk): the source and every rung go
 * into ONE media under their rendition names, in order, a rung that comes back after a gap continues its rows,
 * the media's renditions describe each one, a failing rung write fails the recording (never the caller), and
 * DVR without recording keeps every rendition under a scratch prefix removed at the end.
 */
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { StreamsService } from '../../../src/core/streams-service.js';
import type { TrackConfig } from '../../../src/media/frame.js';
import type { VariantInfo } from '../../../src/media/packager/index.js';
import type { ClosedSegment } from '../../../src/media/packager/packager-options.js';
import { SessionRecorder, type RecorderStore } from '../../../src/media/recorder/session-recorder.js';
import { recorderStoreOf } from '../../../src/media-plane.js';
import { mediaViewOf } from '../../../src/playback/stored-media.js';
import { LocalSegmentStore, type SegmentFs } from '../../../src/store/local-segment-store.js';
import type { Store } from '../../../src/store/store.js';
import { openRecorderDb, recordedStreamSettings, type RecorderDb } from './recorder-db.js';

let db: RecorderDb;
let dir: string;
let store: Store;
let streams: StreamsService;
const logger = pino({ level: 'silent' });
const settings = recordedStreamSettings;

before(async () => {
  db = await openRecorderDb('onair-recorder-');
  ({ dir, store, streams } = db);
});
after(() => db.close());

/** the recorder's database writes as the server wires them */
const recorderStore = (): RecorderStore => recorderStoreOf(store, logger, async () => {});

const video: TrackConfig = { track: 'video', codec: 'h264', record: Buffer.alloc(8), width: 1280, height: 720, codecString: 'avc1.64001f' };
const audio: TrackConfig = { track: 'audio', codec: 'aac', asc: Buffer.from([0x11, 0x90]), sampleRate: 48000, channels: 2, codecString: 'mp4a.40.2' };

/** release() calls per segment handed to a recorder (the packager recycles the parts' memory after it) */
const releases = new Map<ClosedSegment, number>();

function segment(msn: number, initId: number, bytes: number, extra: Partial<ClosedSegment> = {}): ClosedSegment {
  const seg: ClosedSegment = {
    msn, durationS: 1, programDateTime: 1_700_000_000_000 + msn * 1000, parts: [Buffer.alloc(bytes / 2, msn), Buffer.alloc(bytes / 2, 1)],
    initId, discontinuity: false, independent: true, release: () => releases.set(seg, (releases.get(seg) ?? 0) + 1), ...extra,
  };
  releases.set(seg, 0);
  return seg;
}

const describeAs = (width: number, height: number, codecs = ['avc1.64001e', 'mp4a.40.2']) => (): VariantInfo => ({
  codecs, resolution: { width, height }, frameRate: 30, bandwidth: 1, averageBandwidth: 1, independentSegments: true,
});

describe('SessionRecorder with a ladder', () => {
  test('the source and every rung in one media, under their names; a rung back after a gap continues its rows', async () => {
    const s = await streams.create({ ...settings, metadata: {} });
    const segments = new LocalSegmentStore(join(dir, 'store1'));
    const rec = new SessionRecorder({ streamId: s.streamId, record: true, dvr: true, store: recorderStore(), segments, logger });
    rec.onConfig(video);
    rec.onConfig(audio);
    const src = rec.rendition('source', describeAs(1280, 720, ['avc1.64001f', 'mp4a.40.2']));
    let r480 = rec.rendition('480p', describeAs(854, 480));
    src.onInit(100, Buffer.from('source-init'));
    r480.onInit(100, Buffer.from('480-init-a'));
    for (let msn = 100; msn < 106; msn++) {
      src.onSegment(segment(msn, 100, 4000));
      if (msn === 100 || msn === 101) r480.onSegment(segment(msn, 100, 1000));
      if (msn === 103) {
        // ffmpeg restarted: a new packager (new init id from its first msn), the same rendition
        r480 = rec.rendition('480p', describeAs(854, 480));
        r480.onInit(104, Buffer.from('480-init-b'));
      }
      if (msn >= 104) r480.onSegment(segment(msn, 104, 1000));
    }
    rec.end();
    await rec.settled();
    assert.deepEqual([...releases.values()].filter((n) => n !== 1), [], 'the recorder released every segment once, after writing it');
    const mediaId = rec.mediaId!;
    const media = (await store.getMedia(mediaId))!;
    assert.equal(media.status, 'Ready');
    assert.equal(media.durationS, 6, 'the source\'s duration');
    assert.equal(media.sourceResolution, '720');
    assert.deepEqual(media.tracks.map((t) => t.type), ['video', 'audio']);
    assert.deepEqual(media.renditions.map((r) => [r.name, r.width, r.height, r.codecs, r.bandwidth, r.averageBandwidth, r.frameRate]), [
      ['source', 1280, 720, 'avc1.64001f,mp4a.40.2', 32_000, 32_000, 30],
      ['480p', 854, 480, 'avc1.64001e,mp4a.40.2', 8000, 8000, 30],
    ]);
    const rows = await store.listMediaSegments(mediaId, '480p');
    assert.deepEqual(rows.map((r) => [r.seq, r.msn, r.key, r.initKey]), [
      [0, 100, `media/${mediaId}/480p/seg-0.m4s`, `media/${mediaId}/480p/init-100.mp4`],
      [1, 101, `media/${mediaId}/480p/seg-1.m4s`, `media/${mediaId}/480p/init-100.mp4`],
      [2, 104, `media/${mediaId}/480p/seg-2.m4s`, `media/${mediaId}/480p/init-104.mp4`],
      [3, 105, `media/${mediaId}/480p/seg-3.m4s`, `media/${mediaId}/480p/init-104.mp4`],
    ]);
    assert.equal((await store.listMediaSegments(mediaId, 'source')).length, 6);
    assert.deepEqual(await segments.get(`media/${mediaId}/480p/init-104.mp4`), Buffer.from('480-init-b'));
    assert.equal((await segments.get(`media/${mediaId}/480p/seg-2.m4s`))?.length, 1000);
    // DVR / clips of the live session: the rung's history on the source's timeline
    const h = rec.historyOf('480p')!;
    assert.deepEqual(h.segments.map((x) => [x.n, x.startS]), [[100, 0], [101, 1], [104, 4], [105, 5]]);
    assert.equal(h.initKey(104), `media/${mediaId}/480p/init-104.mp4`);
    assert.equal(h.segmentKey(105), `media/${mediaId}/480p/seg-3.m4s`);
    assert.deepEqual(rec.renditionNames(), ['source', '480p']);
    // and the VOD view lays it on the source's timeline with its two missing segments as gaps
    const view = mediaViewOf(media, await store.listMediaSegments(mediaId));
    assert.deepEqual(view.renditions.map((r) => r.segments.map((x) => (x.gap ? '-' : 'x')).join('')), ['xxxxxx', 'xx--xx']);
  });

  test('a rung write that fails (the disk is full) fails the recording; the caller never sees it', async () => {
    const s = await streams.create({ ...settings, metadata: {} });
    const failing: SegmentFs = {
      ...fsp,
      open: (async (...args: Parameters<typeof fsp.open>) => {
        if (String(args[0]).includes('/480p/.seg-1.m4s')) throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' });
        return fsp.open(...args);
      }) as typeof fsp.open,
    };
    const failures: string[] = [];
    const rec = new SessionRecorder({
      streamId: s.streamId, record: true, dvr: false, store: recorderStore(), segments: new LocalSegmentStore(join(dir, 'store2'), { fs: failing }),
      logger, onFailure: (reason) => failures.push(reason),
    });
    rec.onConfig(video);
    const r480 = rec.rendition('480p', describeAs(854, 480));
    rec.onInit(7, Buffer.from('i'));
    r480.onInit(7, Buffer.from('j'));
    for (let msn = 7; msn < 12; msn++) {
      rec.onSegment(segment(msn, 7, 2000));
      r480.onSegment(segment(msn, 7, 500));
    }
    rec.end();
    await rec.settled();
    const media = (await store.getMedia(rec.mediaId!))!;
    assert.equal(media.status, 'Failed');
    assert.match(media.failureReason ?? '', /full/);
    assert.equal(failures.length, 1);
    assert.ok((await store.listMediaSegments(rec.mediaId!, 'source')).length < 5, 'nothing written after the failure');
  });

  test('DVR without recording: every rendition under the session\'s scratch prefix, removed when it ends', async () => {
    const segments = new LocalSegmentStore(join(dir, 'store3'));
    const rec = new SessionRecorder({ streamId: 'stream-x', record: false, dvr: true, store: recorderStore(), segments, logger });
    const r360 = rec.rendition('360p');
    rec.onInit(1, Buffer.from('a'));
    r360.onInit(1, Buffer.from('b'));
    rec.onSegment(segment(1, 1, 100));
    r360.onSegment(segment(1, 1, 100));
    await rec.settled();
    const keys = (await segments.list('dvr/stream-x/')).sort();
    assert.equal(keys.length, 4);
    assert.ok(keys.some((k) => /^dvr\/stream-x\/[^/]+\/360p\/seg-0\.m4s$/.test(k)), keys.join(' '));
    assert.ok(rec.historyOf('360p')!.segmentKey(1)?.endsWith('/360p/seg-0.m4s'));
    assert.equal(rec.mediaId, undefined);
    rec.end();
    await rec.settled();
    assert.deepEqual(await segments.list('dvr/stream-x/'), []);
  });
});
