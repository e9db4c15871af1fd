/** HLS playlist writers: tags, attribute formats, URI suffixes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeMediaPlaylist, writeMultivariantPlaylist, type PlaylistSegment } from '../../../src/protocols/hls/index.js';

const seg = (msn: number, extra: Partial<PlaylistSegment> = {}): PlaylistSegment => ({
  duration: 1.001,
  uri: `seg-${msn}.m4s`,
  programDateTime: Date.UTC(2025, 0, 1, 0, 0, msn),
  discontinuity: false,
  mapUri: 'init-0.mp4',
  parts: [],
  ...extra,
});

test('media playlist: LL-HLS header, segments with parts, open segment, preload hint', () => {
  const text = writeMediaPlaylist({
    targetDuration: 2,
    partTarget: 0.25,
    mediaSequence: 10,
    discontinuitySequence: 1,
    holdBack: 6,
    partHoldBack: 0.75,
    canBlockReload: true,
    segments: [
      seg(10),
      seg(11, { discontinuity: true, mapUri: 'init-1.mp4', parts: [{ duration: 0.5, uri: 'part-11.0.m4s', independent: true }, { duration: 0.501, uri: 'part-11.1.m4s', independent: false }] }),
    ],
    open: seg(12, { mapUri: 'init-1.mp4', parts: [{ duration: 0.25, uri: 'part-12.0.m4s', independent: true }] }),
    preloadHintUri: 'part-12.1.m4s',
    ended: false,
    uriSuffix: '?token=abc',
  });
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '#EXTM3U');
  assert.ok(lines.includes('#EXT-X-TARGETDURATION:2'));
  assert.ok(lines.includes('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.75000,HOLD-BACK=6.00000'));
  assert.ok(lines.includes('#EXT-X-PART-INF:PART-TARGET=0.25000'));
  assert.ok(lines.includes('#EXT-X-MEDIA-SEQUENCE:10'));
  assert.ok(lines.includes('#EXT-X-DISCONTINUITY-SEQUENCE:1'));
  assert.equal(lines.filter((l) => l.startsWith('#EXT-X-MAP')).length, 2, 'MAP written again only when it changes');
  assert.ok(lines.includes('#EXT-X-MAP:URI="init-1.mp4?token=abc"'));
  const disc = lines.indexOf('#EXT-X-DISCONTINUITY');
  assert.ok(disc > lines.indexOf('seg-10.m4s?token=abc') && disc < lines.indexOf('seg-11.m4s?token=abc'));
  assert.ok(lines.includes('#EXT-X-PART:DURATION=0.50000,URI="part-11.0.m4s?token=abc",INDEPENDENT=YES'));
  assert.ok(lines.includes('#EXT-X-PART:DURATION=0.50100,URI="part-11.1.m4s?token=abc"'));
  assert.ok(lines.includes('#EXTINF:1.00100,'));
  assert.ok(lines.includes('#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:12.000Z'));
  assert.equal(lines.at(-1), '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-12.1.m4s?token=abc"');
  assert.ok(!text.includes('ENDLIST'));
  assert.ok(!text.includes('seg-12.m4s'), 'the open segment is listed by its parts only');
});

test('media playlist: ENDLIST and no preload hint once ended; no part tags without partTarget', () => {
  const text = writeMediaPlaylist({
    targetDuration: 4, mediaSequence: 0, discontinuitySequence: 0, canBlockReload: false,
    segments: [seg(0)], preloadHintUri: 'part-1.0.m4s', ended: true,
  });
  assert.match(text, /#EXT-X-ENDLIST\n$/);
  assert.ok(!text.includes('PRELOAD-HINT'));
  assert.ok(!text.includes('PART-INF'));
  assert.ok(!text.includes('DISCONTINUITY-SEQUENCE'));
});

test('multivariant playlist: a ladder of variants with codecs, resolution, frame rate, audio groups', () => {
  const text = writeMultivariantPlaylist({
    variants: [
      { uri: 'a/media.m3u8', bandwidth: 2_500_000.4, averageBandwidth: 2_000_000, codecs: ['avc1.64001f', 'mp4a.40.2'], resolution: { width: 1280, height: 720 }, frameRate: 29.97 },
      { uri: 'b/media.m3u8', bandwidth: 800_000, codecs: ['avc1.4d401e'], resolution: { width: 640, height: 360 }, audioGroup: 'aud' },
    ],
    audio: [{ groupId: 'aud', name: 'English', uri: 'audio.m3u8', language: 'en', default: true }],
    uriSuffix: '?token=t',
  });
  const lines = text.trim().split('\n');
  assert.ok(lines.includes('#EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.970'));
  assert.equal(lines[lines.indexOf('#EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2000000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.970') + 1], 'a/media.m3u8?token=t');
  assert.ok(lines.includes('#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.4d401e",RESOLUTION=640x360,AUDIO="aud"'));
  assert.ok(lines.includes('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="audio.m3u8?token=t"'));
});

test('multivariant playlist: EXT-X-INDEPENDENT-SEGMENTS unless a variant has a segment cut inside a GOP', () => {
  const variants = [{ uri: 'a/media.m3u8', bandwidth: 1_000_000, codecs: ['avc1.64001f'] }];
  const lines = (independentSegments?: boolean) => writeMultivariantPlaylist({ variants, ...(independentSegments === undefined ? {} : { independentSegments }) }).trim().split('\n');
  assert.deepEqual(lines().slice(0, 3), ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS']);
  assert.ok(lines(true).includes('#EXT-X-INDEPENDENT-SEGMENTS'));
  assert.ok(!lines(false).some((l) => l.includes('INDEPENDENT')));
  assert.equal(lines(false)[2], '#EXT-X-STREAM-INF:BANDWIDTH=1000000,CODECS="avc1.64001f"');
});
