/** LivePackager: segmenting real clips into LL-HLS parts/segments, playlists, decode with ffprobe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MediaFrame } from '../../../src/media/frame.js';
import { LivePackager, type LivePart, type LiveSegment } from '../../../src/media/packager/index.js';
import { findBox, fixedClock, makeClip, probe, readBoxes, type Clip } from './media-fixture.js';
import { readPlaylist } from './playlist-reader.js';

function feed(p: LivePackager, clip: Clip, shift = 0, frames: MediaFrame[] = clip.frames): void {
  for (const c of clip.configs) p.onConfig(c);
  for (const f of frames) p.onFrame({ ...f, dts: f.dts + shift, pts: f.pts + shift });
}

function collect(p: LivePackager): { parts: LivePart[]; segments: LiveSegment[] } {
  const parts: LivePart[] = [];
  const segments: LiveSegment[] = [];
  p.on('part', (x: LivePart) => parts.push(x));
  p.on('segment', (x: LiveSegment) => segments.push(x));
  return { parts, segments };
}

/** tfdt of every traf in a part, by track id */
function tfdts(part: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  for (const traf of findBox(readBoxes(part), 'moof')!.children.filter((b) => b.type === 'traf')) {
    const id = findBox(traf.children, 'tfhd')!.payload.readUInt32BE(4);
    out.set(id, Number(findBox(traf.children, 'tfdt')!.payload.readBigUInt64BE(4)));
  }
  return out;
}

test('A/V clip with 1 s GOPs: 1 s segments at keyframes, <=250 ms parts, LL-HLS tags, every frame decodes', () => {
  const clip = makeClip({ seconds: 6 });
  const p = new LivePackager({ now: fixedClock(), firstMsn: 0 });
  const { parts, segments } = collect(p);
  feed(p, clip);
  const live = readPlaylist(p.mediaPlaylist());
  assert.equal(live.tags.get('#EXT-X-TARGETDURATION'), '2');
  assert.equal(live.tags.get('#EXT-X-PART-INF'), 'PART-TARGET=0.25000');
  assert.equal(live.tags.get('#EXT-X-SERVER-CONTROL'), 'CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.75000,HOLD-BACK=6.00000');
  assert.equal(live.tags.get('#EXT-X-MEDIA-SEQUENCE'), '0');
  assert.equal(live.segments.length, 5);
  assert.ok(live.openParts.length > 0, 'the open segment is listed by its parts');
  assert.equal(live.preloadHint, `part-5.${live.openParts.length}.m4s`);
  p.end();
  const ended = readPlaylist(p.mediaPlaylist());
  assert.ok(ended.ended);
  assert.equal(ended.preloadHint, undefined);
  assert.equal(segments.length, 6);
  for (const s of ended.segments) {
    assert.ok(Math.abs(s.duration - 1) < 0.01, `segment duration ${s.duration}`);
    assert.ok(s.pdt, 'PROGRAM-DATE-TIME on each segment');
    assert.ok(s.parts[0]!.independent, 'segments start at a keyframe');
    assert.ok(s.parts.length >= 4);
    for (const part of s.parts) assert.ok(part.duration <= 0.25 + 0.001, `part ${part.duration}`);
    for (const part of s.parts.slice(0, -1)) assert.ok(part.duration >= 0.85 * 0.25, `short part ${part.duration}`);
  }
  assert.equal(ended.segments[1]!.pdt, '2025-01-01T00:00:01.000Z');
  assert.equal(ended.segments[0]!.map, 'init-0.mp4');
  assert.equal(ended.segments.filter((s) => s.map).length, 1);
  // The segment bytes are its parts, and decode with the init segment.
  assert.deepEqual(Buffer.concat(p.getSegment(2)!), Buffer.concat(segments[2]!.parts.map((x) => x.data)));
  assert.equal(parts.length, segments.reduce((n, s) => n + s.parts.length, 0));
  const result = probe([p.getInit(0)!, ...segments.flatMap((s) => s.parts.map((x) => x.data))]);
  assert.equal(result.decodeErrors, '');
  assert.equal(Number(result.streams.find((s) => s.codec_type === 'video')!.nb_read_frames), clip.video.length);
  assert.equal(Number(result.streams.find((s) => s.codec_type === 'audio')!.nb_read_frames), clip.audio.length);
  // Decode times are continuous: each part's audio tfdt follows the previous part's samples.
  const audioStarts = parts.map((x) => tfdts(x.data).get(2)).filter((x): x is number => x !== undefined);
  for (let i = 1; i < audioStarts.length; i++) assert.ok(audioStarts[i]! > audioStarts[i - 1]!);
  const info = p.variantInfo()!;
  assert.deepEqual(info.codecs, clip.configs.map((c) => c.codecString));
  assert.deepEqual(info.resolution, { width: 320, height: 240 });
  assert.ok(Math.abs(info.frameRate! - 30) < 0.5);
  assert.ok(info.bandwidth >= info.averageBandwidth && info.averageBandwidth > 10_000);
});

test('audio-only: one soun track, parts and segments cut on time, decodes', () => {
  const clip = makeClip({ seconds: 3, video: false });
  const p = new LivePackager({ firstMsn: 0 });
  const { segments } = collect(p);
  feed(p, clip);
  p.end();
  const init = readBoxes(p.getInit(0)!);
  assert.equal(findBox(init, 'moov')!.children.filter((b) => b.type === 'trak').length, 1);
  const pl = readPlaylist(p.mediaPlaylist());
  assert.ok(pl.segments.length >= 2);
  for (const s of pl.segments.slice(0, -1)) {
    assert.ok(s.duration >= 0.98 && s.duration <= 1.03, `segment ${s.duration}`);
    for (const part of s.parts) {
      assert.ok(part.independent);
      assert.ok(part.duration <= 0.251);
    }
  }
  const result = probe([p.getInit(0)!, ...segments.flatMap((s) => s.parts.map((x) => x.data))]);
  assert.equal(result.decodeErrors, '');
  assert.equal(result.streams.length, 1);
  assert.equal(Number(result.streams[0]!.nb_read_frames), clip.audio.length);
  assert.deepEqual(p.variantInfo()!.codecs, ['mp4a.40.2']);
  assert.equal(p.variantInfo()!.resolution, undefined);
});

test('video-only: no empty audio track declared; a 2 s GOP gives 2 s segments; a 3 s GOP gives 3 s segments, or is cut within a fixed target', () => {
  const two = makeClip({ seconds: 4, gop: 60, audio: false });
  const p = new LivePackager({ firstMsn: 0 });
  const { segments } = collect(p);
  feed(p, two);
  p.end();
  assert.equal(findBox(readBoxes(p.getInit(0)!), 'moov')!.children.filter((b) => b.type === 'trak').length, 1);
  assert.deepEqual(segments.map((s) => Math.round(s.ticks / 900) / 100), [2, 2]);
  const probed = probe([p.getInit(0)!, ...segments.flatMap((s) => s.parts.map((x) => x.data))]);
  assert.equal(probed.streams.length, 1);
  assert.equal(Number(probed.streams[0]!.nb_read_frames), two.video.length);

  assert.equal(p.targetDurationS, 2);

  // The target follows the first GOP: 3 s segments, each starting at a keyframe, TARGETDURATION 3.
  const three = makeClip({ seconds: 6, gop: 90, audio: false });
  const m = new LivePackager({ firstMsn: 0 });
  const measured = collect(m);
  feed(m, three);
  m.end();
  assert.deepEqual(measured.segments.map((s) => Math.round(s.ticks / 900) / 100), [3, 3]);
  assert.ok(measured.segments.every((s) => s.parts[0]!.independent));
  assert.equal(readPlaylist(m.mediaPlaylist()).tags.get('#EXT-X-TARGETDURATION'), '3');
  assert.deepEqual({ ...m.gopInfo }, { firstGopS: 3, longestGopS: 3, targetDurationS: 3, targetFixed: true, longGop: true, forcedCuts: 0 });

  // A target fixed by the caller holds: a longer GOP is cut without a keyframe.
  const q = new LivePackager({ firstMsn: 0, targetDurationS: 2 });
  const long = collect(q);
  feed(q, three);
  q.end();
  for (const s of long.segments) assert.ok(Math.round(s.ticks / 90_000) <= 2, `EXTINF ${s.ticks / 90_000} rounds above TARGETDURATION`);
  const starts = long.segments.map((s) => s.parts[0]!.independent);
  assert.deepEqual(starts.slice(0, 2), [true, false], 'the forced cut lands between keyframes');
  assert.equal(q.independentSegments, false);
  assert.equal(q.variantInfo()!.independentSegments, false);
});

test('discontinuity(): next segment has EXT-X-DISCONTINUITY, starts at a keyframe, tfdt stays monotonic on a backward jump', () => {
  const clip = makeClip({ seconds: 3 });
  const p = new LivePackager({ firstMsn: 0 });
  const { parts, segments } = collect(p);
  feed(p, clip);
  p.discontinuity();
  // The reconnected encoder starts again from 0 (not rebased): the packager must rebase itself.
  feed(p, clip, 0, clip.frames.slice(5)); // starts mid-GOP: frames before the next keyframe are dropped
  p.end();
  const pl = readPlaylist(p.mediaPlaylist());
  const idx = pl.segments.findIndex((s) => s.discontinuity);
  assert.equal(idx, 3);
  assert.ok(pl.segments[idx]!.parts[0]!.independent);
  assert.equal(pl.segments.filter((s) => s.discontinuity).length, 1);
  assert.equal(pl.segments.filter((s) => s.map).length, 1, 'same init: no new EXT-X-MAP');
  let last = new Map<number, number>();
  for (const part of parts) {
    const t = tfdts(part.data);
    for (const [id, v] of t) assert.ok(v > (last.get(id) ?? -1), `track ${id} tfdt ${v} after ${last.get(id)}`);
    last = new Map([...last, ...t]);
  }
  const probed = probe([p.getInit(0)!, ...segments.flatMap((s) => s.parts.map((x) => x.data))]);
  assert.equal(probed.decodeErrors, '');
  assert.equal(Number(probed.streams.find((s) => s.codec_type === 'video')!.nb_read_frames), clip.video.length + clip.video.length - 30);
});

test('config change mid-stream: new init segment, EXT-X-MAP and EXT-X-DISCONTINUITY; both runs decode', () => {
  const a = makeClip({ seconds: 2 });
  const b = makeClip({ seconds: 2, width: 640, height: 360 });
  const p = new LivePackager({ firstMsn: 0 });
  const { segments } = collect(p);
  feed(p, a);
  p.onConfig(a.configs[0]!); // an unchanged config is not a change
  assert.equal(p.currentInitId, 0);
  feed(p, b, 2 * 90_000);
  p.end();
  assert.equal(p.currentInitId, 1);
  const pl = readPlaylist(p.mediaPlaylist());
  const changed = pl.segments.findIndex((s) => s.map === 'init-1.mp4');
  assert.equal(changed, 2);
  assert.ok(pl.segments[changed]!.discontinuity);
  assert.equal(pl.segments[0]!.map, 'init-0.mp4');
  for (const [initId, frames] of [[0, a.video.length], [1, b.video.length]] as const) {
    const own = segments.filter((s) => s.initId === initId).flatMap((s) => s.parts.map((x) => x.data));
    const r = probe([p.getInit(initId)!, ...own]);
    assert.equal(r.decodeErrors, '');
    assert.equal(Number(r.streams.find((s) => s.codec_type === 'video')!.nb_read_frames), frames);
  }
  assert.deepEqual(p.variantInfo()!.resolution, { width: 640, height: 360 });
});

test('live window: media sequence advances, old segments leave the playlist then memory, parts only near the edge', () => {
  const clip = makeClip({ seconds: 4 });
  const p = new LivePackager({ windowSegments: 9, retainSegments: 2, firstMsn: 0 });
  for (let i = 0; i < 5; i++) feed(p, clip, i * 4 * 90_000);
  const pl = readPlaylist(p.mediaPlaylist());
  // 19 complete segments: 9 listed, 2 more retained, the rest freed
  assert.equal(pl.segments.length, 9);
  assert.equal(pl.tags.get('#EXT-X-MEDIA-SEQUENCE'), '10');
  assert.equal(pl.segments[0]!.uri, 'seg-10.m4s');
  assert.ok(p.getSegment(8) && p.getSegment(9), 'retained for slow clients');
  assert.equal(p.getSegment(7), undefined);
  assert.ok(p.getPart(19, 0), 'open segment parts are served');
  // TARGETDURATION 2: parts listed for segments that start within 3 target durations (6 s) of the live edge
  const withParts = pl.segments.filter((s) => s.parts.length > 0).length;
  assert.ok(withParts >= 5 && withParts <= 6, `segments with parts: ${withParts}`);
  assert.equal(pl.segments[0]!.parts.length, 0);
});

test('waitFor: resolves when the part appears, false on timeout, released by end()', async () => {
  const clip = makeClip({ seconds: 2 });
  const p = new LivePackager({ firstMsn: 0 });
  for (const c of clip.configs) p.onConfig(c);
  const first = p.waitFor(0, 0, 5000);
  let resolved = false;
  void first.then(() => { resolved = true; });
  let i = 0;
  while (!p.isAvailable(0, 0)) p.onFrame(clip.frames[i++]!);
  assert.equal(await first, true);
  assert.ok(resolved);
  assert.equal(p.isAvailable(0, 1), false);
  assert.equal(p.isAvailable(0), false, 'segment 0 is not complete yet');
  assert.equal(await p.waitFor(0, 3, 30), false, 'times out');
  const segmentDone = p.waitFor(0, undefined, 5000);
  const later = p.waitFor(5, 0, 5000);
  assert.equal(p.waiterCount, 2);
  while (!p.isAvailable(1, 0)) p.onFrame(clip.frames[i++]!);
  assert.equal(await segmentDone, true);
  // (0, 99) does not exist, but a later part does: "Partial Segment N of Media Segment M or later"
  assert.equal(p.isAvailable(0, 99), true);
  p.end();
  assert.equal(await later, false);
  assert.equal(p.waiterCount, 0);
  assert.equal(await p.waitFor(9, 0, 5000), false, 'an ended stream answers at once');
});

test('default first msn comes from the wall clock, so a new session never reuses cached URLs', () => {
  const clip = makeClip({ seconds: 2 });
  const p = new LivePackager({ now: () => 1_700_000_000_000 });
  feed(p, clip);
  assert.equal(p.currentInitId, 1_700_000_000);
  assert.equal(readPlaylist(p.mediaPlaylist()).segments[0]!.uri, 'seg-1700000000.m4s');
  assert.equal(readPlaylist(p.mediaPlaylist()).segments[0]!.map, 'init-1700000000.mp4');
});

test('each part is copied into one buffer when it closes (the ingest buffers are not pinned by the window)', () => {
  const clip = makeClip({ seconds: 2 });
  const recorded: Buffer[][] = [];
  const p = new LivePackager({ firstMsn: 0, onSegment: (s) => recorded.push(s.parts) });
  const { parts } = collect(p);
  feed(p, clip);
  p.end();
  const ingest = new Set<ArrayBufferLike>(clip.frames.map((f) => f.data.buffer));
  for (const part of parts) {
    assert.ok(Buffer.isBuffer(part.data), 'one buffer per part');
    assert.equal(part.size, part.data.length);
    assert.ok(!ingest.has(part.data.buffer), 'the part does not share memory with an ingest buffer');
  }
  // the payloads are in the part, byte for byte: moof, mdat header, then the frames in order
  const first = parts[0]!;
  assert.ok(first.data.indexOf(clip.video[0]!.data) > 0, 'the first video frame is in the first part');
  assert.deepEqual(p.getSegment(0), parts.filter((x) => x.msn === 0).map((x) => x.data));
  assert.deepEqual(recorded[0], parts.filter((x) => x.msn === 0).map((x) => x.data), 'the recorder hook gets the parts\' own buffers');
  // the frames handed in are untouched (the packager copied them; ingest may reuse or drop them at once)
  assert.ok(clip.frames.every((f) => f.data.length > 0));
});
