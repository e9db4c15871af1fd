/**
 * The ladder with real parts: real ffmpeg sources (odd sizes, B-frames, HEVC, portrait, variable frame rate,
 * audio-only, a resolution change), the real ffmpeg child, onair's muxer/demuxer and real LivePackagers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import pino from 'pino';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';
import { TsDemuxer } from '../../../src/protocols/mpegts/ts-demuxer.js';
import { LivePackager } from '../../../src/media/packager/index.js';
import { LadderTranscoder, TranscodeSlots, parseLadder, DEFAULT_LADDER, type LadderTranscoderOptions, type RenditionOwner } from '../../../src/media/transcoder/index.js';
import { transcoderRestarts } from '../../../src/media/transcoder/transcoder-metrics.js';
import type { OwnedOutput, RenditionReader } from '../../../src/core/live-stream.js';

type Event = { config: TrackConfig } | { frame: MediaFrame };

/** Runs ffmpeg to MPEG-TS on stdout and demuxes it with onair's demuxer: the events a live source would send. */
function source(args: string[]): Promise<Event[]> {
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', ['-v', 'error', ...args, '-f', 'mpegts', 'pipe:1'], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      const events: Event[] = [];
      const d = new TsDemuxer({ onConfig: (config) => events.push({ config }), onFrame: (frame) => events.push({ frame }) });
      d.push(stdout);
      d.flush();
      resolve(events);
    });
  });
}

const video = (size: string, seconds: number): string[] => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30:duration=${seconds}`];

class Owner implements RenditionOwner {
  readonly owned = new Map<string, { output: OwnedOutput; reader?: RenditionReader }>();
  readonly detached: string[] = [];
  attach(name: string, output: OwnedOutput, _s?: unknown, reader?: RenditionReader): void {
    this.owned.get(name)?.output.close();
    this.owned.set(name, { output, ...(reader ? { reader } : {}) });
  }
  detach(name: string): void {
    const e = this.owned.get(name);
    if (!e) return;
    this.owned.delete(name);
    this.detached.push(name);
    e.output.close();
  }
}

function harness(maxResolution: string, slots = new TranscodeSlots(4), extra: Partial<LadderTranscoderOptions> = {}) {
  const owner = new Owner();
  const src = new LivePackager({ partTargetMs: 200 });
  const streamId = `t-${Math.random()}`;
  const ladder = new LadderTranscoder({
    streamId, maxResolution, ladder: parseLadder(DEFAULT_LADDER), owner, source: src, slots,
    logger: pino({ level: 'silent' }), restartLagS: 1e6, backoffBaseMs: 100, ...extra,
  });
  const feed = (events: Event[], shift = 0): void => {
    for (const e of events) {
      if ('config' in e) {
        src.onConfig(e.config);
        ladder.onConfig(e.config);
      } else {
        const f = shift ? { ...e.frame, dts: e.frame.dts + shift, pts: e.frame.pts + shift } : e.frame;
        src.onFrame(f);
        ladder.onFrame(f);
      }
    }
  };
  return { owner, src, ladder, feed, streamId };
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** msn -> [duration, program date] of a packager's complete segments. */
function segs(p: LivePackager): Map<string, [number, number | undefined]> {
  const out = new Map<string, [number, number | undefined]>();
  for (const s of p.playlistModel().segments) out.set(s.uri, [Math.round(s.duration * 90_000), s.programDateTime]);
  return out;
}

function assertAligned(src: LivePackager, rung: LivePackager, name: string): number {
  const a = segs(src);
  const b = segs(rung);
  let common = 0;
  for (const [uri, v] of b) {
    if (!a.has(uri)) continue;
    assert.deepEqual(v, a.get(uri), `${name} ${uri}: duration and PROGRAM-DATE-TIME as the source's`);
    common++;
  }
  return common;
}

function lastSourceFrameDts(events: Event[]): number {
  let last = 0;
  for (const e of events) if ('frame' in e && e.frame.track === 'video') last = Math.max(last, e.frame.dts);
  return last;
}

test('a 1366x768 B-frame source: 720p/480p/360p rungs with the source\'s segments, dates and audio', { timeout: 60_000 }, async () => {
  const events = await source([...video('1366x768', 6), '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=6',
    '-c:v', 'libx264', '-preset', 'faster', '-bf', '3', '-g', '30', '-c:a', 'aac']);
  const h = harness('1080p');
  h.feed(events);
  const names = ['720p', '480p', '360p'];
  await until('three rungs with 3 segments each', () => names.every((n) => (h.ladder.rendition(n)?.playlistModel().segments.length ?? 0) >= 3));
  const list = h.ladder.renditionList();
  assert.equal(list.sourceListed, true);
  assert.deepEqual(list.renditions.map((r) => `${r.name} ${r.width}x${r.height}`), ['720p 1280x720', '480p 854x480', '360p 640x360']);
  for (const n of names) {
    const rung = h.ladder.rendition(n)!;
    assert.equal(h.owner.owned.get(n)?.reader, rung, `${n} is attached to the owner as a rendition`);
    const info = rung.variantInfo()!;
    assert.match(info.codecs[0]!, /^avc1\./);
    assert.equal(info.codecs[1], 'mp4a.40.2');
    assert.ok(assertAligned(h.src, rung, n) >= 3, `${n}: at least 3 segments in common with the source`);
  }
  h.ladder.close();
  assert.equal(h.ladder.running, false);
  assert.deepEqual([...h.owner.owned.keys()], [], 'closing the ladder detaches its renditions');
});

test('RTMP-style millisecond timestamps with B-frames: the rungs still line up (encoder time base 1/90000)', { timeout: 60_000 }, async () => {
  const events = await source([...video('1280x720', 5), '-c:v', 'libx264', '-preset', 'faster', '-bf', '2', '-g', '30']);
  // as FLV carries them: dts and composition offsets in whole milliseconds (33/34 ms frames, 67 ms offsets)
  const ms = (t: number): number => Math.round(t / 90) * 90;
  const rtmp = events.map((e) => ('frame' in e ? { frame: { ...e.frame, dts: ms(e.frame.dts), pts: ms(e.frame.dts) + ms(e.frame.pts - e.frame.dts) } } : e));
  assert.ok(rtmp.some((e) => 'frame' in e && e.frame.keyframe && (e.frame.pts - e.frame.dts) % 3000 !== 0), 'keyframes with a ms composition offset');
  const h = harness('1080p');
  h.feed(rtmp);
  await until('rungs with 3 segments', () => ['480p', '360p'].every((n) => (h.ladder.rendition(n)?.playlistModel().segments.length ?? 0) >= 3));
  for (const n of ['480p', '360p']) assert.ok(assertAligned(h.src, h.ladder.rendition(n)!, n) >= 3);
  h.ladder.close();
});

test('an HEVC portrait source is decoded and its ladder encoded as H.264, portrait', { timeout: 60_000 }, async () => {
  const events = await source([...video('720x1280', 4), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=30:bframes=0']);
  assert.ok(events.some((e) => 'config' in e && e.config.track === 'video' && e.config.codec === 'hevc'));
  const h = harness('1080p');
  h.feed(events);
  await until('two rungs', () => ['480p', '360p'].every((n) => h.ladder.rendition(n)?.hasSegment));
  const info = h.ladder.rendition('480p')!.variantInfo()!;
  assert.deepEqual(info.resolution, { width: 480, height: 854 });
  assert.match(info.codecs[0]!, /^avc1\./);
  assert.equal(h.ladder.rendition('360p')!.variantInfo()!.resolution?.width, 360);
  assert.equal(h.ladder.rendition('720p'), undefined, 'never a rung at the source\'s size');
  h.ladder.close();
});

/** An AV1 source (libaom, realtime) as Enhanced RTMP would bring it: av1C record, OBU samples; plus AAC audio. */
async function av1Source(size: string, seconds: number): Promise<Event[]> {
  const ivf = await new Promise<Buffer>((resolve, reject) => execFile('ffmpeg', ['-v', 'error', ...video(size, seconds),
    '-c:v', 'libaom-av1', '-cpu-used', '8', '-usage', 'realtime', '-g', '30', '-keyint_min', '30', '-f', 'ivf', 'pipe:1'],
  { encoding: 'buffer', maxBuffer: 1e8 }, (err, out) => (err ? reject(err) : resolve(out))));
  const audio = (await source(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:a', 'aac']))
    .filter((e) => 'config' in e || e.frame.track === 'audio');
  const firstAudio = audio.find((e): e is { frame: MediaFrame } => 'frame' in e)!.frame.dts;
  const [w, h] = size.split('x').map(Number) as [number, number];
  const events: Event[] = [{ config: { track: 'video', codec: 'av1', record: Buffer.from([0x81, 0x00, 0x0c, 0x00]), width: w, height: h, codecString: 'av01.0.04M.08' } }];
  const frames: MediaFrame[] = [];
  // IVF: 32-byte header, then per frame a 12-byte header (size, pts in 1/30 s)
  for (let off = 32, n = 0; off + 12 <= ivf.length; n++) {
    const size = ivf.readUInt32LE(off);
    const t = firstAudio + Number(ivf.readBigUInt64LE(off + 4)) * 3000;
    frames.push({ track: 'video', codec: 'av1', dts: t, pts: t, keyframe: n % 30 === 0, data: ivf.subarray(off + 12, off + 12 + size) });
    off += 12 + size;
  }
  for (const e of audio) if ('frame' in e) frames.push(e.frame); else events.push(e);
  frames.sort((a, b) => a.dts - b.dts || (a.track === 'video' ? -1 : 1));
  for (const frame of frames) events.push({ frame });
  return events;
}

test('an AV1 source is fed as fragmented MP4, decoded once and its ladder encoded as H.264 with the source audio', { timeout: 60_000 }, async () => {
  const events = await av1Source('1280x720', 4);
  const h = harness('1080p');
  h.feed(events);
  await until('480p and 360p', () => ['480p', '360p'].every((n) => (h.ladder.rendition(n)?.playlistModel().segments.length ?? 0) >= 2));
  for (const n of ['480p', '360p']) {
    const info = h.ladder.rendition(n)!.variantInfo()!;
    assert.match(info.codecs[0]!, /^avc1\./, `${n} is H.264`);
    assert.equal(info.codecs[1], 'mp4a.40.2', `${n} carries the source audio`);
    assert.ok(assertAligned(h.src, h.ladder.rendition(n)!, n) >= 2);
  }
  assert.deepEqual(h.ladder.rendition('480p')!.variantInfo()!.resolution, { width: 854, height: 480 });
  h.ladder.close();
});

test('a variable frame rate source keeps its timestamps: the rungs\' segments match the source\'s', { timeout: 60_000 }, async () => {
  // drop frames irregularly (every 7th and 11th): gaps of 2 frame durations here and there
  const events = await source([...video('1280x720', 6), '-vf', 'select=not(eq(mod(n\\,7)\\,3))*not(eq(mod(n\\,11)\\,5))',
    '-fps_mode', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25']);
  const deltas = new Set<number>();
  let prev: number | undefined;
  for (const e of events) if ('frame' in e) { if (prev !== undefined) deltas.add(e.frame.dts - prev); prev = e.frame.dts; }
  assert.ok(deltas.size > 1, `the source is variable frame rate: ${[...deltas].join(',')}`);
  const h = harness('1080p');
  h.feed(events);
  await until('rungs with 3 segments', () => ['480p', '360p'].every((n) => (h.ladder.rendition(n)?.playlistModel().segments.length ?? 0) >= 3));
  for (const n of ['480p', '360p']) assert.ok(assertAligned(h.src, h.ladder.rendition(n)!, n) >= 3);
  h.ladder.close();
});

test('audio-only: no ladder, no ffmpeg', { timeout: 30_000 }, async () => {
  const events = await source(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2', '-c:a', 'aac']);
  const h = harness('1080p');
  h.feed(events);
  assert.equal(h.ladder.running, false);
  assert.deepEqual(h.ladder.renditionList(), { sourceListed: true, renditions: [] });
  h.ladder.close();
});

test('a resolution change mid-stream replans the ladder: a new child, old rungs that no longer fit leave', { timeout: 90_000 }, async () => {
  const first = await source([...video('1280x720', 4), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30']);
  const second = await source([...video('854x480', 4), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30']);
  const h = harness('1080p');
  h.feed(first);
  await until('480p and 360p', () => h.ladder.rendition('480p')?.hasSegment && h.ladder.rendition('360p')?.hasSegment);
  const pid = h.ladder.childPid;
  const old360 = h.ladder.rendition('360p');
  // the new sequence header arrives with the next keyframe, timestamps continue
  const shift = lastSourceFrameDts(first) + 3000 - (second.find((e): e is { frame: MediaFrame } => 'frame' in e)!.frame.dts);
  h.feed(second, shift);
  await until('a 360p rung of the new source', () => h.ladder.rendition('360p') !== old360 && h.ladder.rendition('360p')?.hasSegment);
  assert.notEqual(h.ladder.childPid, pid, 'a new ffmpeg child');
  assert.ok(h.owner.detached.includes('480p'), 'the 480p rung (the source\'s own size now) left');
  assert.equal(h.ladder.rendition('480p'), undefined);
  assert.deepEqual(h.ladder.rendition('360p')!.variantInfo()!.resolution, { width: 640, height: 360 });
  h.ladder.close();
});

test('beyond the transcode slots a stream stays passthrough; a freed slot serves the next stream', { timeout: 60_000 }, async () => {
  const events = await source([...video('1280x720', 2), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30']);
  const slots = new TranscodeSlots(1);
  const a = harness('1080p', slots);
  const b = harness('1080p', slots);
  a.feed(events);
  b.feed(events);
  assert.equal(a.ladder.running, true);
  assert.equal(b.ladder.running, false, 'refused: the only slot is taken');
  assert.equal(slots.used, 1);
  a.ladder.close();
  b.ladder.close();
  assert.equal(slots.used, 0);
  const c = harness('1080p', slots);
  c.feed(events);
  assert.equal(c.ladder.running, true);
  c.ladder.close();
});

test('ffmpeg killed: restarted with backoff, the rungs come back aligned', { timeout: 60_000 }, async () => {
  const events = await source([...video('1280x720', 8), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30']);
  const h = harness('1080p');
  const half = Math.floor(events.length / 2);
  h.feed(events.slice(0, half));
  await until('360p', () => h.ladder.rendition('360p')?.hasSegment);
  const pid = h.ladder.childPid!;
  const before = h.ladder.rendition('360p');
  process.kill(pid, 'SIGKILL');
  await until('the child gone', () => !h.ladder.running);
  await until('the restart backoff over', () => (h.ladder.restartPending ? undefined : true));
  h.feed(events.slice(half));
  await until('a new 360p rung', () => h.ladder.rendition('360p') !== before && (h.ladder.rendition('360p')?.playlistModel().segments.length ?? 0) >= 1);
  assert.notEqual(h.ladder.childPid, pid);
  assert.ok(assertAligned(h.src, h.ladder.rendition('360p')!, '360p') >= 1);
  h.ladder.close();
});

test('a ladder behind real time: its rungs leave the list, ffmpeg is restarted (reason behind)', { timeout: 60_000 }, async () => {
  const events = await source([...video('1280x720', 12), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30']);
  const h = harness('1080p', new TranscodeSlots(4), { unhealthyLagS: 1, restartLagS: 4 });
  // the first seconds at the pace of the encoder: the rungs start and are healthy
  const cut = events.findIndex((e) => 'frame' in e && e.frame.dts - (events.find((x) => 'frame' in x) as { frame: MediaFrame }).frame.dts > 3 * 90_000);
  h.feed(events.slice(0, cut));
  await until('healthy rungs', () => h.ladder.renditionList().renditions.some((r) => r.healthy));
  const pid = h.ladder.childPid;
  // then 9 s of source at once: the ladder is seconds behind the source
  h.feed(events.slice(cut));
  await until('every rung out of the list', () => h.ladder.renditionList().renditions.every((r) => !r.healthy), 5_000);
  const restarts = async () => (await transcoderRestarts.get()).values.find((v) => v.labels.stream === h.streamId && v.labels.reason === 'behind')?.value;
  const deadline = Date.now() + 10_000;
  while (!(await restarts()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await restarts(), 1, 'restarted once, reason behind');
  assert.ok(pid !== undefined);
  assert.equal(h.ladder.running, false, 'the lagging child is gone; a new one starts after the backoff, at a keyframe');
  assert.equal(h.ladder.childPid, undefined);
  h.ladder.close();
});
