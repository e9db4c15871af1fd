import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LADDER, parseLadder, planLadder, rungSize } from '../../../src/media/transcoder/ladder.js';
import { ffmpegLadderArgs } from '../../../src/media/transcoder/ffmpeg-args.js';
import { parseRenditionQuery, selectRenditions } from '../../../src/playback/rendition-select.js';
import { resolveConfig } from '../../../src/config.js';
import { parsePlaybackPath } from '../../../src/playback/playback-path.js';

const ladder = parseLadder(DEFAULT_LADDER);
const names = (p: ReturnType<typeof planLadder>) => p.rungs.map((r) => `${r.name}:${r.width}x${r.height}@${r.bitrateKbps}`);

test('the default ladder, highest first', () => {
  assert.deepEqual(ladder, [
    { height: 1080, bitrateKbps: 5000 }, { height: 720, bitrateKbps: 3000 }, { height: 480, bitrateKbps: 1200 }, { height: 360, bitrateKbps: 600 },
  ]);
});

test('a 1080p source within a 1080p cap: passed through, three rungs below it', () => {
  const p = planLadder({ width: 1920, height: 1080 }, '1080p', ladder);
  assert.equal(p.sourceListed, true);
  assert.deepEqual(names(p), ['720p:1280x720@3000', '480p:854x480@1200', '360p:640x360@600']);
});

test('a 1080p source above a 720p cap: not listed, scaled to the cap, never above it', () => {
  const p = planLadder({ width: 1920, height: 1080 }, '720p', ladder);
  assert.equal(p.sourceListed, false);
  assert.deepEqual(names(p), ['720p:1280x720@3000', '480p:854x480@1200', '360p:640x360@600']);
  const q = planLadder({ width: 1920, height: 1080 }, '480p', ladder);
  assert.deepEqual(names(q), ['480p:854x480@1200', '360p:640x360@600']);
});

test('a 4K source capped at 1080p gets a 1080p rung at the ladder\'s bitrate', () => {
  const p = planLadder({ width: 3840, height: 2160 }, '1080p', ladder);
  assert.equal(p.sourceListed, false);
  assert.deepEqual(names(p), ['1080p:1920x1080@5000', '720p:1280x720@3000', '480p:854x480@1200', '360p:640x360@600']);
});

test('odd resolutions keep the aspect ratio with even dimensions; never a rung at or above the source', () => {
  assert.deepEqual(names(planLadder({ width: 1366, height: 768 }, '1080p', ladder)), ['720p:1280x720@3000', '480p:854x480@1200', '360p:640x360@600']);
  assert.deepEqual(names(planLadder({ width: 853, height: 480 }, '1080p', ladder)), ['360p:640x360@600']);
  assert.deepEqual(names(planLadder({ width: 640, height: 360 }, '1080p', ladder)), []);
  assert.deepEqual(names(planLadder({ width: 1440, height: 1080 }, '720p', ladder)), ['720p:960x720@3000', '480p:640x480@1200', '360p:480x360@600']);
  for (const r of planLadder({ width: 1000, height: 562 }, '1080p', ladder).rungs) {
    assert.equal(r.width % 2, 0);
    assert.equal(r.height % 2, 0);
  }
});

test('portrait sources are named by their short side and stay portrait', () => {
  const p = planLadder({ width: 720, height: 1280 }, '1080p', ladder);
  assert.equal(p.sourceListed, true);
  assert.deepEqual(names(p), ['480p:480x854@1200', '360p:360x640@600']);
  assert.deepEqual(rungSize({ width: 1080, height: 1920 }, 720), { width: 720, height: 1280 });
  assert.deepEqual(names(planLadder({ width: 1080, height: 1920 }, '720p', ladder)), ['720p:720x1280@3000', '480p:480x854@1200', '360p:360x640@600']);
});

test('a cap the ladder does not list gets a bitrate scaled by pixels', () => {
  const l = parseLadder('1080p:5000,360p:600');
  const p = planLadder({ width: 1920, height: 1080 }, '720p', l);
  assert.deepEqual(names(p), ['720p:1280x720@2222', '360p:640x360@600']);
});

test('--ladder: bad rungs are refused with a message naming them', () => {
  assert.throws(() => parseLadder(''), /no rungs/);
  assert.throws(() => parseLadder('720p'), /bad rung "720p"/);
  assert.throws(() => parseLadder('720p:abc'), /bad rung "720p:abc"/);
  assert.throws(() => parseLadder('721p:3000'), /bad rung/);
  assert.throws(() => parseLadder('720p:3000,720p:2000'), /720p is listed twice/);
  assert.deepEqual(parseLadder(' 360p:600 , 720p:3000 '), [{ height: 720, bitrateKbps: 3000 }, { height: 360, bitrateKbps: 600 }]);
});

test('serve config: --transcode on|off and --ladder are checked', () => {
  const c = resolveConfig({ dataDir: '/tmp/x' });
  assert.equal(c.transcode, 'on');
  assert.equal(c.ladder, DEFAULT_LADDER);
  assert.ok(c.maxTranscodes >= 1);
  assert.throws(() => resolveConfig({ dataDir: '/tmp/x', transcode: 'maybe' }), /--transcode/);
  assert.throws(() => resolveConfig({ dataDir: '/tmp/x', ladder: '720p:1' }), /--ladder: bad rung/);
});

test('the ffmpeg command decodes once and writes each rung to its own pipe', () => {
  const args = ffmpegLadderArgs({ rungs: planLadder({ width: 1920, height: 1080 }, '1080p', ladder).rungs, audio: true });
  assert.equal(args.filter((a) => a === '-i').length, 1);
  assert.ok(args.includes('[0:v]split=3[s0][s1][s2];[s0]scale=1280:720,format=yuv420p[v0];[s1]scale=854:480,format=yuv420p[v1];[s2]scale=640:360,format=yuv420p[v2]'));
  assert.deepEqual(args.filter((a) => a.startsWith('pipe:')), ['pipe:0', 'pipe:3', 'pipe:4', 'pipe:5']);
  assert.equal(args.filter((a) => a === 'source').length, 3, 'keyframes forced at the source\'s, per rung');
  assert.ok(args.includes('-copyts'));
  assert.throws(() => ffmpegLadderArgs({ rungs: [], audio: false }), /at least one rung/);
});

test('player parameters: parsing and selection', () => {
  const all = [360, 720, 480].map((h) => ({ shortSide: h, bandwidth: h * 1000 }));
  const pick = (qs: string) => {
    const q = parseRenditionQuery(new URLSearchParams(qs));
    if ('error' in q) return q.error;
    return selectRenditions(all, q).map((r) => r.shortSide);
  };
  assert.deepEqual(pick(''), [720, 480, 360]);
  assert.deepEqual(pick('renditionOrder=asc'), [360, 480, 720]);
  assert.deepEqual(pick('maxResolution=480p'), [480, 360]);
  assert.deepEqual(pick('minResolution=480p'), [720, 480]);
  assert.deepEqual(pick('minResolution=480p&maxResolution=480p'), [480]);
  assert.deepEqual(pick('resolution=480p'), [480]);
  assert.deepEqual(pick('resolution=1080p'), [720], 'the nearest below');
  assert.deepEqual(pick('resolution=240p'), [360], 'else the smallest');
  assert.deepEqual(pick('maxResolution=240p'), [360], 'nothing in range: the nearest');
  assert.deepEqual(pick('minResolution=1080p'), [720]);
  assert.match(String(pick('maxResolution=big')), /maxResolution must be a resolution/);
  assert.match(String(pick('renditionOrder=up')), /renditionOrder must be desc or asc/);
  assert.match(String(pick('minResolution=720p&maxResolution=360p')), /above maxResolution/);
});

test('rendition URLs: /{playbackId}/{720p}/{file}; the source keeps /{playbackId}/{file}', () => {
  assert.deepEqual(parsePlaybackPath('/pid/720p/media.m3u8'), { playbackId: 'pid', file: { kind: 'playlist' }, rendition: '720p' });
  assert.deepEqual(parsePlaybackPath('/pid/360p/part-12.3.m4s'), { playbackId: 'pid', file: { kind: 'part', msn: 12, part: 3 }, rendition: '360p' });
  assert.deepEqual(parsePlaybackPath('/pid/1080p/init-7.mp4'), { playbackId: 'pid', file: { kind: 'init', id: 7 }, rendition: '1080p' });
  assert.deepEqual(parsePlaybackPath('/pid/media.m3u8'), { playbackId: 'pid', file: { kind: 'playlist' } });
  assert.equal(parsePlaybackPath('/pid/72p/media.m3u8'), undefined);
  assert.equal(parsePlaybackPath('/pid/720p/thumbnail.jpg'), undefined);
  assert.equal(parsePlaybackPath('/pid/720p/../media.m3u8'), undefined);
});
