/**
 * Recorded renditions on the VOD side (pure): every rendition laid on the source's timeline with EXT-X-GAP where a
 * rung was away, the media's view (which renditions, described how, listed or not under maxResolution), the
 * best rendition for thumbnails, and the multivariant playlist of a media filtered by the player parameters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MediaData, MediaRendition, MediaSegmentRow } from '../../../src/core/media-model.js';
import { alignRendition, storedMediaPlaylist, type RecordedRow } from '../../../src/playback/vod-playlists.js';
import { StoredMedia, bestSegmentAt, mediaFilesOf, mediaViewOf } from '../../../src/playback/stored-media.js';

const row = (msn: number, extra: Partial<RecordedRow> = {}): RecordedRow => ({
  msn, durationS: 1, key: `k/${msn}`, initKey: 'k/init-0', discontinuity: false, programDateTime: 1_700_000_000_000 + msn * 1000, ...extra,
});

describe('alignRendition', () => {
  const source = [row(10), row(11), row(12, { discontinuity: true }), row(13), row(14)];

  test('the reference itself: one segment per row, positions as URI numbers, startS running', () => {
    const a = alignRendition(source, source);
    assert.equal(a.recorded, 5);
    assert.deepEqual(a.segments.map((s) => [s.n, s.startS, s.gap ?? false]), [[0, 0, false], [1, 1, false], [2, 2, false], [3, 3, false], [4, 4, false]]);
    assert.deepEqual([...a.initKeys], [[0, 'k/init-0']]);
  });

  test('a rung that started late and was away once: gaps of the reference\'s duration, its own segments in place', () => {
    const rung = [row(11, { key: 'r/0', initKey: 'r/init-11', durationS: 0.98 }), row(13, { key: 'r/1', initKey: 'r/init-13' }), row(14, { key: 'r/2', initKey: 'r/init-13' })];
    const a = alignRendition(source, rung);
    assert.equal(a.recorded, 3);
    assert.deepEqual(a.segments.map((s) => (s.gap ? 'gap' : s.key)), ['gap', 'r/0', 'gap', 'r/1', 'r/2']);
    assert.deepEqual(a.segments.map((s) => s.startS), [0, 1, 2, 3, 4], 'the reference\'s start times');
    assert.equal(a.segments[1]!.durationS, 0.98, 'its own duration');
    assert.equal(a.segments[2]!.discontinuity, true, 'the reference\'s discontinuities, gaps included');
    assert.deepEqual([...a.initKeys], [[0, 'r/init-11'], [1, 'r/init-13']]);
    assert.equal(a.segments[0]!.initN, 0, 'a leading gap takes the first init with media');
    assert.equal(a.segments[2]!.initN, 0, 'a gap keeps the init before it');
  });

  test('rows outside the reference timeline are left out', () => {
    const a = alignRendition(source, [row(9), row(10), row(20)]);
    assert.equal(a.recorded, 1);
    assert.equal(a.segments.length, 5);
  });
});

describe('storedMediaPlaylist with gaps', () => {
  test('EXT-X-GAP goes right before the EXTINF of each gap; the map is there from the first segment', () => {
    const source = [row(1), row(2), row(3), row(4)];
    const a = alignRendition(source, [row(2, { initKey: 'i' }), row(4, { initKey: 'i' })]);
    const text = storedMediaPlaylist(a.segments, true, '?token=t');
    const body = text.split('\n')
      .filter((l) => /^(#EXT-X-MAP|#EXT-X-GAP|#EXTINF|seg-|#EXT-X-ENDLIST)/.test(l))
      .map((l) => (l.startsWith('#EXTINF:') ? '#EXTINF' : l));
    assert.deepEqual(body, [
      '#EXT-X-MAP:URI="init-0.mp4?token=t"',
      '#EXT-X-GAP', '#EXTINF', 'seg-0.m4s?token=t',
      '#EXTINF', 'seg-1.m4s?token=t',
      '#EXT-X-GAP', '#EXTINF', 'seg-2.m4s?token=t',
      '#EXTINF', 'seg-3.m4s?token=t',
      '#EXT-X-ENDLIST',
    ]);
    assert.equal(text.match(/#EXT-X-GAP/g)?.length, 2);
    assert.ok(!storedMediaPlaylist(alignRendition(source, source).segments, true, '').includes('GAP'));
  });
});

function media(renditions: MediaRendition[], maxResolution: MediaData['maxResolution'] = '1080p'): MediaData {
  return {
    mediaId: 'm1', kind: 'recording', status: 'Ready', metadata: {}, mp4Support: 'none', maxResolution, durationS: 4, tracks: [],
    renditions, createdAt: '', updatedAt: '', playbackIds: [],
  };
}

function rows(rendition: string, msns: number[], size = 1000): MediaSegmentRow[] {
  return msns.map((msn, seq) => ({
    mediaId: 'm1', rendition, seq, msn, durationS: 1, key: `media/m1/${rendition}/seg-${seq}.m4s`, size, discontinuity: false,
    initKey: `media/m1/${rendition}/init-0.mp4`, programDateTime: new Date(1_700_000_000_000 + msn * 1000).toISOString(),
  }));
}

const described: MediaRendition[] = [
  { name: 'source', codecs: 'avc1.64001f,mp4a.40.2', bandwidth: 3_200_000, averageBandwidth: 3_000_000, width: 1280, height: 720, frameRate: 30 },
  { name: '480p', codecs: 'avc1.64001e,mp4a.40.2', bandwidth: 1_300_000, averageBandwidth: 1_200_000, width: 854, height: 480, frameRate: 30 },
  { name: '360p', codecs: 'avc1.64001e,mp4a.40.2', bandwidth: 700_000, averageBandwidth: 600_000, width: 640, height: 360, frameRate: 30 },
];
const allRows = [...rows('360p', [2, 3, 4, 5]), ...rows('source', [1, 2, 3, 4, 5]), ...rows('480p', [1, 2, 4, 5])];

describe('mediaViewOf', () => {
  test('every recorded rendition, highest first, on the source\'s timeline; the source is the primary', () => {
    const v = mediaViewOf(media(described), allRows);
    assert.deepEqual(v.renditions.map((r) => [r.name, r.shortSide, r.listed, r.segments.length, r.segments.filter((s) => s.gap).length]),
      [['source', 720, true, 5, 0], ['480p', 480, true, 5, 1], ['360p', 360, true, 5, 1]]);
    assert.equal(v.durationS, 5);
    assert.equal(v.segments, v.renditions[0]!.segments);
    assert.deepEqual(v.renditions[1]!.variant, { bandwidth: 1_300_000, averageBandwidth: 1_200_000, codecs: ['avc1.64001e', 'mp4a.40.2'], resolution: { width: 854, height: 480 }, frameRate: 30 });
    assert.equal(mediaFilesOf(v, '480p'), v.renditions[1]);
    assert.equal(mediaFilesOf(v, undefined), v);
    assert.equal(mediaFilesOf(v, '1080p'), undefined);
  });

  test('a source above the media\'s maxResolution is recorded but not listed when rungs stand in for it', () => {
    const v = mediaViewOf(media(described, '480p'), allRows);
    assert.deepEqual(v.renditions.map((r) => [r.name, r.listed]), [['source', false], ['480p', true], ['360p', true]]);
    const alone = mediaViewOf(media(described.slice(0, 1), '480p'), rows('source', [1, 2]));
    assert.deepEqual(alone.renditions.map((r) => [r.name, r.listed]), [['source', true]], 'the only rendition is always listed');
  });

  test('without descriptions (a media completed after a crash): bitrates from the manifest, sizes from the names', () => {
    const v = mediaViewOf(media([]), [...rows('source', [1, 2, 3], 400_000), ...rows('480p', [1, 2, 3], 150_000)]);
    assert.deepEqual(v.renditions.map((r) => [r.name, r.variant.bandwidth, r.variant.averageBandwidth, r.variant.codecs.join(','), r.listed]),
      [['source', 3_200_000, 3_200_000, 'avc1.64001f,mp4a.40.2', true], ['480p', 1_200_000, 1_200_000, 'avc1.64001f,mp4a.40.2', true]]);
    assert.equal(v.renditions[1]!.shortSide, 480);
    assert.ok(v.renditions[0]!.shortSide > 480, 'a source of unknown size sorts above its rungs');
  });

  test('still recording: a rung\'s trailing gaps are left off (an EVENT playlist only grows)', () => {
    const v = mediaViewOf({ ...media(described), status: 'Processing' }, [...rows('source', [1, 2, 3, 4]), ...rows('480p', [2, 3])]);
    assert.equal(v.ended, false);
    assert.deepEqual(v.renditions.map((r) => r.segments.map((x) => (x.gap ? '-' : 'x')).join('')), ['xxxx', '-xx']);
  });

  test('a media recorded without a ladder: the source alone, as before', () => {
    const v = mediaViewOf(media(described.slice(0, 1)), rows('source', [7, 8]));
    assert.deepEqual(v.renditions.map((r) => r.name), ['source']);
    assert.deepEqual(v.segments.map((s) => [s.n, s.key]), [[0, 'media/m1/source/seg-0.m4s'], [1, 'media/m1/source/seg-1.m4s']]);
  });

  test('bestSegmentAt: the highest rendition with media there (a lower one over a gap)', () => {
    const v = mediaViewOf(media(described.slice(1)), [...rows('480p', [1, 3]), ...rows('360p', [1, 2, 3])]);
    // (no source rows: the longest rendition is the timeline)
    assert.deepEqual([0, 1, 2].map((i) => bestSegmentAt(v, i)?.rendition), ['480p', '360p', '480p']);
    assert.equal(bestSegmentAt(v, 9), undefined);
    const full = mediaViewOf(media(described), allRows);
    assert.equal(bestSegmentAt(full, 2)?.rendition, 'source');
  });
});

describe('StoredMedia.playlist: the multivariant of a media, over real HTTP', () => {
  const v = mediaViewOf(media(described), allRows);
  const stored = new StoredMedia(undefined);
  let server: Server;
  let base = '';
  before(async () => {
    // /mv?<query> is the multivariant, /<rendition>?<query> a media playlist
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const name = url.pathname.slice(1);
      stored.playlist(res, v, 'pid', name === 'mv', url.searchParams, '', name === 'mv' || name === 'source' ? undefined : name);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const get = async (path: string) => {
    const r = await fetch(base + path);
    return { status: r.status, body: await r.text() };
  };
  const uris = (text: string) => text.split('\n').filter((l) => l.startsWith('pid'));

  test('every listed rendition, highest first, rungs under their names', async () => {
    const res = await get('/mv');
    assert.equal(res.status, 200);
    assert.deepEqual(uris(res.body), ['pid/media.m3u8', 'pid/480p/media.m3u8', 'pid/360p/media.m3u8']);
    assert.match(res.body, /BANDWIDTH=1300000,AVERAGE-BANDWIDTH=1200000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=854x480,FRAME-RATE=30.000/);
  });

  test('maxResolution, minResolution, resolution, renditionOrder as live; a bad value is a 400', async () => {
    assert.deepEqual(uris((await get('/mv?maxResolution=480p')).body), ['pid/480p/media.m3u8', 'pid/360p/media.m3u8']);
    assert.deepEqual(uris((await get('/mv?minResolution=480p&renditionOrder=asc')).body), ['pid/480p/media.m3u8', 'pid/media.m3u8']);
    assert.deepEqual(uris((await get('/mv?resolution=360p')).body), ['pid/360p/media.m3u8']);
    const bad = await get('/mv?resolution=tiny');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /resolution must be/);
  });

  test('a rung\'s media playlist has its gaps; a clip range keeps them aligned; an unknown rendition is a 404', async () => {
    const rung = await get('/480p');
    assert.equal(rung.status, 200);
    assert.match(rung.body, /#EXT-X-GAP\n#EXTINF/);
    const clip = await get('/480p?start=1&end=3');
    assert.deepEqual(clip.body.split('\n').filter((l) => l.startsWith('seg-')), ['seg-1.m4s?start=1s&end=3s', 'seg-2.m4s?start=1s&end=3s']);
    assert.equal((await get('/1080p')).status, 404);
  });
});
