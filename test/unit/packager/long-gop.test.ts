/**
 * Issue 8 (fault 5): encoders with long GOPs (OBS's default: a keyframe every 250 frames, 8.3 s at
 * 30 fps). Segments start at keyframes whatever the GOP, EXT-X-TARGETDURATION is chosen from the first
 * GOP and never changes, every EXTINF rounds to no more than it, and the operator is told.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { MediaFrame } from '../../../src/media/frame.js';
import { LivePackager, type ClosedSegment, type LivePart, type LiveSegment } from '../../../src/media/packager/index.js';
import { writeMultivariantPlaylist } from '../../../src/protocols/hls/index.js';
import { registry } from '../../../src/metrics.js';
import { fixedClock, makeClip, probe, type Clip } from './media-fixture.js';
import { readPlaylist, type ReadPlaylist } from './playlist-reader.js';

const FPS = 30;
const GOP = 250; // frames: OBS 29 "Simple" output, keyframe interval auto
const FRAME = 90_000 / FPS;

/** A pino logger writing JSON lines into an array. */
function captureLogger(): { logger: pino.Logger; lines: () => { level: number; msg: string; [k: string]: unknown }[] } {
  const out: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => { out.push(s); } });
  return { logger, lines: () => out.map((l) => JSON.parse(l)) };
}

async function metric(name: string, suffix = ''): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  const v = m.values.find((x) => ((x as { metricName?: string }).metricName ?? name) === name + suffix);
  return v?.value ?? 0;
}

function feed(p: LivePackager, clip: Clip, frames: MediaFrame[], shift = 0): void {
  for (const c of clip.configs) p.onConfig(c);
  for (const f of frames) p.onFrame({ ...f, dts: f.dts + shift, pts: f.pts + shift });
}

/** Every rule RFC 8216bis sets between the target duration and the rest of a live playlist. */
function assertConsistent(pl: ReadPlaylist, target: number): void {
  assert.equal(pl.tags.get('#EXT-X-TARGETDURATION'), String(target));
  const partTarget = Number(/PART-TARGET=([\d.]+)/.exec(pl.tags.get('#EXT-X-PART-INF')!)![1]);
  const control = pl.tags.get('#EXT-X-SERVER-CONTROL')!;
  const holdBack = Number(/(?:^|,)HOLD-BACK=([\d.]+)/.exec(control)![1]);
  const partHoldBack = Number(/PART-HOLD-BACK=([\d.]+)/.exec(control)![1]);
  assert.ok(holdBack >= 3 * target, `HOLD-BACK ${holdBack} < 3 x ${target}`);
  assert.ok(partHoldBack >= 2 * partTarget && partHoldBack < holdBack, `PART-HOLD-BACK ${partHoldBack}`);
  for (const s of pl.segments) {
    assert.ok(Math.round(s.duration) <= target, `EXTINF ${s.duration} rounds above TARGETDURATION ${target}`);
    for (const part of s.parts) assert.ok(part.duration <= partTarget + 0.0011, `part ${part.duration} > PART-TARGET`);
  }
  for (const part of pl.openParts) assert.ok(part.duration <= partTarget + 0.0011);
  // Once segments have left the playlist, what remains spans at least three target durations.
  if (Number(pl.tags.get('#EXT-X-MEDIA-SEQUENCE')) > 0) {
    const listed = pl.segments.reduce((t, s) => t + s.duration, 0);
    assert.ok(listed >= 3 * target, `playlist of ${listed} s < 3 x ${target}`);
  }
}

test('an 8.3 s GOP (250 frames at 30 fps): one segment per GOP, each starting with a keyframe and decoding alone; TARGETDURATION from the first GOP, constant', async () => {
  const clip = makeClip({ seconds: 34, gop: GOP, fps: FPS });
  const { logger, lines } = captureLogger();
  const closed: ClosedSegment[] = [];
  const inits: [number, Buffer][] = [];
  const longBefore = await metric('onair_long_gop_sessions_total');
  const gopCountBefore = await metric('onair_packager_gop_seconds', '_count');
  const p = new LivePackager({
    firstMsn: 0, partTargetMs: 200, now: fixedClock(), logger,
    onSegment: (s) => closed.push(s),
    onInit: (id, bytes) => inits.push([id, bytes]),
  });
  const segments: LiveSegment[] = [];
  const parts: LivePart[] = [];
  p.on('segment', (s: LiveSegment) => segments.push(s));
  const published: string[] = [];
  p.on('part', (part: LivePart) => {
    parts.push(part);
    // What the playback listener could serve: nothing before the first segment, then every version.
    if (p.hasSegment) published.push(p.mediaPlaylist());
    else assert.equal(p.gopInfo.targetFixed, false, 'the target is provisional until the first GOP is measured');
  });
  feed(p, clip, clip.frames);
  p.end();
  published.push(p.mediaPlaylist());

  // The target: the first GOP (8.33 s) plus headroom, fixed when the first segment closed.
  assert.equal(p.targetDurationS, 9);
  const info = p.gopInfo;
  assert.ok(Math.abs(info.firstGopS! - GOP / FPS) < 0.001, `first GOP ${info.firstGopS}`);
  assert.equal(info.targetFixed, true);
  assert.equal(info.longGop, true);
  assert.equal(info.forcedCuts, 0);
  assert.ok(published.length > 100);
  for (const text of published) assertConsistent(readPlaylist(text), 9);

  // Segments: 4 full GOPs and the 20-frame tail, each starting with a keyframe.
  const fullGops = Math.floor(clip.video.length / GOP);
  assert.equal(fullGops, 4);
  assert.equal(segments.length, fullGops + 1);
  const ended = readPlaylist(p.mediaPlaylist());
  for (const [i, s] of ended.segments.entries()) {
    assert.equal(s.parts[0]!.independent, true, `segment ${i} starts with a keyframe`);
    assert.equal(s.parts.filter((x) => x.independent).length, 1, 'only the part holding the keyframe is INDEPENDENT');
    if (i < fullGops) assert.ok(Math.abs(s.duration - GOP / FPS) < 0.001, `segment ${i}: ${s.duration}`);
  }
  // Hooks: one call per closed segment, handing over the packager's own buffers.
  assert.deepEqual(inits.map(([id]) => id), [0]);
  assert.equal(inits[0]![1], p.getInit(0), 'the init bytes are handed over, not copied');
  assert.equal(closed.length, segments.length);
  for (const [i, c] of closed.entries()) {
    const s = segments[i]!;
    assert.equal(c.msn, s.msn);
    assert.equal(c.initId, 0);
    assert.equal(c.discontinuity, false);
    assert.equal(c.independent, true);
    assert.equal(c.durationS, s.ticks / 90_000);
    assert.equal(c.programDateTime, s.programDateTime);
    const own = s.parts.map((x) => x.data);
    assert.equal(c.parts.length, own.length);
    c.parts.forEach((b, j) => assert.equal(b, own[j], 'the packager\'s own buffers, no copy'));
    assert.deepEqual(Buffer.concat(c.parts), Buffer.concat(p.getSegment(s.msn)!));
  }

  // ffprobe decodes each GOP segment on its own (init + segment): all 250 frames, no error.
  for (const s of segments.slice(0, 3)) {
    const r = probe([p.getInit(0)!, ...p.getSegment(s.msn)!]);
    assert.equal(r.decodeErrors, '', `segment ${s.msn}`);
    assert.equal(Number(r.streams.find((x) => x.codec_type === 'video')!.nb_read_frames), GOP, `frames of segment ${s.msn}`);
  }

  // The operator is told once: a warn log with the GOP, and the metrics.
  const warns = lines().filter((l) => l.level === 40);
  assert.equal(warns.length, 1, JSON.stringify(lines()));
  assert.match(warns[0]!.msg, /long GOP/);
  assert.equal(warns[0]!.gopS, 8.333);
  assert.equal(warns[0]!.targetDurationS, 9);
  assert.equal(await metric('onair_long_gop_sessions_total'), longBefore + 1);
  assert.equal(await metric('onair_packager_gop_seconds', '_count'), gopCountBefore + 1);
  assert.match(await registry.metrics(), /onair_packager_gop_seconds_bucket\{le="10"\} [1-9]/);

  // Every segment is independent, so the multivariant playlist may say so.
  const v = p.variantInfo()!;
  assert.equal(v.independentSegments, true);
  const mv = writeMultivariantPlaylist({ variants: [{ uri: 'media.m3u8', codecs: v.codecs, bandwidth: v.bandwidth }], independentSegments: v.independentSegments });
  assert.match(mv, /#EXT-X-INDEPENDENT-SEGMENTS/);
});

test('long GOP live window: at least three target durations listed, one long segment retained, older ones freed', () => {
  const clip = makeClip({ seconds: 34, gop: GOP, fps: FPS });
  const loop = GOP * 4 * FRAME; // four whole GOPs per round, so the rounds join at a keyframe
  const frames = clip.frames.filter((f) => f.dts < loop);
  const p = new LivePackager({ firstMsn: 0 });
  for (let round = 0; round < 3; round++) feed(p, clip, frames, round * loop);
  const pl = readPlaylist(p.mediaPlaylist());
  assertConsistent(pl, 9);
  const listed = pl.segments.reduce((t, s) => t + s.duration, 0);
  assert.ok(listed >= 27, `listed ${listed} s`);
  assert.equal(pl.segments.length, 4, 'no more than needed to span 3 target durations');
  const first = Number(/seg-(\d+)/.exec(pl.segments[0]!.uri)![1]);
  assert.equal(first, 11 - 4);
  assert.ok(p.getSegment(first - 1), 'one segment retained for slow clients');
  assert.equal(p.getSegment(first - 2), undefined, 'older long segments are freed');
});

test('a later GOP longer than the target allows: cut without a keyframe (counted, logged once, no INDEPENDENT-SEGMENTS); target unchanged', async () => {
  // 2 s GOPs, but the keyframes at 4 s and 6 s are gone: one 6 s GOP after a 2 s first GOP.
  const clip = makeClip({ seconds: 12, gop: 60, fps: FPS });
  const frames = clip.frames.map((f) => (f.track === 'video' && (f.dts === 4 * 90_000 || f.dts === 6 * 90_000) ? { ...f, keyframe: false } : f));
  const { logger, lines } = captureLogger();
  const forcedBefore = await metric('onair_packager_forced_cuts_total');
  const longBefore = await metric('onair_long_gop_sessions_total');
  const p = new LivePackager({ firstMsn: 0, logger });
  const segments: LiveSegment[] = [];
  p.on('segment', (s: LiveSegment) => segments.push(s));
  const published: string[] = [];
  p.on('part', () => { if (p.hasSegment) published.push(p.mediaPlaylist()); });
  feed(p, clip, frames);
  p.end();
  published.push(p.mediaPlaylist());
  assert.equal(p.targetDurationS, 2);
  for (const text of published) assertConsistent(readPlaylist(text), 2);
  const starts = segments.map((s) => s.parts[0]!.independent);
  assert.equal(starts.filter((x) => !x).length, 2, `segment starts: ${starts.join(',')}`);
  assert.equal(p.gopInfo.forcedCuts, 2);
  assert.ok(Math.abs(p.gopInfo.longestGopS! - 6) < 0.001);
  assert.equal(p.gopInfo.longGop, false, 'the first GOP was short');
  assert.equal(await metric('onair_packager_forced_cuts_total'), forcedBefore + 2);
  assert.equal(await metric('onair_long_gop_sessions_total'), longBefore);
  const warns = lines().filter((l) => l.level === 40);
  assert.equal(warns.length, 1);
  assert.match(warns[0]!.msg, /longer than EXT-X-TARGETDURATION/);
  assert.equal(p.independentSegments, false);
  const v = p.variantInfo()!;
  assert.equal(v.independentSegments, false);
  const mv = writeMultivariantPlaylist({ variants: [{ uri: 'media.m3u8', codecs: v.codecs, bandwidth: v.bandwidth }], independentSegments: v.independentSegments });
  assert.doesNotMatch(mv, /INDEPENDENT-SEGMENTS/);
  // The stream as a whole still decodes from its first keyframe.
  const r = probe([p.getInit(0)!, ...segments.flatMap((s) => s.parts.map((x) => x.data))]);
  assert.equal(r.decodeErrors, '');
  assert.equal(Number(r.streams.find((x) => x.codec_type === 'video')!.nb_read_frames), clip.video.length);
});

test('a 1 s GOP keeps the 2 s target, no warning; a throwing onSegment hook is logged and packaging goes on', async () => {
  const clip = makeClip({ seconds: 4 });
  const { logger, lines } = captureLogger();
  let calls = 0;
  const p = new LivePackager({ firstMsn: 0, logger, onSegment: () => { calls++; throw new Error('recorder down'); } });
  feed(p, clip, clip.frames);
  p.end();
  assert.equal(p.targetDurationS, 2);
  assert.equal(p.gopInfo.longGop, false);
  assert.ok(Math.abs(p.gopInfo.firstGopS! - 1) < 0.001);
  assert.equal(calls, 4);
  assert.equal(readPlaylist(p.mediaPlaylist()).segments.length, 4);
  assert.equal(lines().filter((l) => l.level === 40).length, 0);
  const errors = lines().filter((l) => l.level === 50);
  assert.equal(errors.length, 4);
  assert.match(errors[0]!.msg, /onSegment hook threw/);
});
