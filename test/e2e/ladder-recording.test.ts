/**
 * Issue 10 (renditions), end to end: a 720p30 RTMP source on a transcoded stream with recording and DVR on. While
 * live, DVR offers every rendition with its stored history (a rung's DVR playlist starts before its live window).
 * After the stream ends, the one media is Ready with every rendition recorded under its own name; its VOD
 * multivariant lists the source and the rungs (highest first, filtered by the player parameters), ffprobe decodes
 * each rendition's VOD playlist whole, hls.js plays it, and thumbnails come from the best rendition.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { variants, type VariantLine } from '../helpers/multivariant.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/ports.js';
import { clip720p, publish, type Publisher } from '../helpers/media-tools.js';
import { HlsPlayer } from '../helpers/hls-player.js';

const run = promisify(execFile);
let srv: TestServer;
let clip: string;
const publishers: Publisher[] = [];

before(async () => {
  clip = await clip720p(6);
  srv = await startTestServer({
    // reconnectWindow 60 s -> 3 s; one ladder at a time (two cores)
    env: { ONAIR_LIFECYCLE_TIME_SCALE: '0.05', ONAIR_ENDED_LINGER_MS: '2000', ONAIR_MAX_TRANSCODES: '1', ONAIR_LOG_LEVEL: 'info' },
  });
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
});

interface Stream { streamId: string; streamKey: string; playbackIds: { id: string }[] }

const play = (pid: string, path = '.m3u8') => `http://127.0.0.1:${srv.ports.playback}/${pid}${path}`;
const text = async (url: string): Promise<string> => {
  const r = await fetch(url);
  return r.status === 200 ? r.text() : '';
};
const firstMsn = (t: string): number => Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(t)?.[1] ?? NaN);
const extinfSum = (t: string): number => [...t.matchAll(/#EXTINF:([\d.]+)/g)].reduce((a, m) => a + Number(m[1]), 0);

async function countFrames(url: string): Promise<{ frames: number; duration: number; width: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames,width:format=duration', '-of', 'json', url], { timeout: 120_000 });
  const j = JSON.parse(stdout) as { streams: { nb_read_frames: string; width: number }[]; format: { duration: string } };
  return { frames: Number(j.streams[0]!.nb_read_frames), duration: Number(j.format.duration), width: j.streams[0]!.width };
}

/** The pid of the stream's ladder ffmpeg (other than `notPid`), from the server's logs. */
async function ladderPid(streamId: string, notPid?: number): Promise<number> {
  return waitFor('the ladder ffmpeg pid in the logs', () => {
    let found: number | undefined;
    for (const line of srv.logs().split('\n')) {
      if (!line.includes('ladder: ffmpeg started') || !line.includes(streamId)) continue;
      const p = (JSON.parse(line) as { pid?: number }).pid;
      if (p !== undefined && p !== notPid) found = p;
    }
    return found;
  }, 30_000, 200);
}

const lastMsn = (t: string): number => Math.max(...[...t.matchAll(/^seg-(\d+)\.m4s/gm)].map((m) => Number(m[1])));

let stream: Stream;
let livePid: string;

test('while live, DVR offers every rendition with its stored history', { timeout: 120_000 }, async () => {
  const res = await srv.request('POST', '/v1/live/streams', {
    playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { reconnectWindow: 60, enableDvrMode: true },
  });
  assert.equal(res.status, 201, res.text);
  stream = res.body.data as Stream;
  livePid = stream.playbackIds[0]!.id;
  publishers.push(publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${stream.streamKey}`));

  // the 480p rung's live window (8 segments) has moved 3 segments past the rung's first recorded segment
  const [dvr, live] = await waitFor('the 480p rung\'s DVR history reaches behind its live window', async () => {
    const d = await text(play(livePid, '/480p/media.m3u8?dvrMode=true'));
    const l = await text(play(livePid, '/480p/media.m3u8'));
    return d && l && firstMsn(d) + 3 <= firstMsn(l) ? [d, l] as const : undefined;
  }, 90_000, 250);
  assert.match(dvr, /#EXT-X-PLAYLIST-TYPE:EVENT/);
  assert.ok(extinfSum(dvr) > extinfSum(live) + 2, `DVR ${extinfSum(dvr)} s vs live window ${extinfSum(live)} s`);
  // its oldest segment and init come from the segment store (they left the live packager's memory)
  const oldest = /^seg-\d+\.m4s/m.exec(dvr)![0];
  const seg = await fetch(play(livePid, `/480p/${oldest}`));
  assert.equal(seg.status, 200, `${oldest} of 480p`);
  assert.ok((await seg.arrayBuffer()).byteLength > 1000);
  const init = /#EXT-X-MAP:URI="([^"?]+)/.exec(dvr)![1]!;
  assert.equal((await fetch(play(livePid, `/480p/${init}`))).status, 200);

  const mv = await text(play(livePid, '.m3u8?dvrMode=true'));
  const vs = variants(mv);
  assert.deepEqual(vs.map((v) => v.resolution), ['1280x720', '854x480', '640x360'], mv);
  assert.deepEqual(vs.map((v) => v.uri.split('?')[0]), [`${livePid}/media.m3u8`, `${livePid}/480p/media.m3u8`, `${livePid}/360p/media.m3u8`]);
  assert.ok(vs.every((v) => v.uri.includes('dvrMode=true')), 'dvrMode carried into every rendition\'s URL');
  const dvr360 = await text(play(livePid, '/360p/media.m3u8?dvrMode=true'));
  assert.ok(firstMsn(dvr360) < firstMsn(await text(play(livePid, '/360p/media.m3u8'))), '360p: DVR reaches behind the live window too');
});

test('the ladder\'s ffmpeg dies mid-session: the rungs are recorded again once it is back', { timeout: 90_000 }, async () => {
  const first = await ladderPid(stream.streamId);
  const killedAt = lastMsn(await text(play(livePid, '/media.m3u8')));
  process.kill(first, 'SIGKILL');
  await ladderPid(stream.streamId, first);
  // the restarted rung starts a new packager after the kill, aligned with the source again
  await waitFor('the 480p rung is back with 3 segments', async () => {
    const l = await text(play(livePid, '/480p/media.m3u8'));
    return l && firstMsn(l) > killedAt && (l.match(/^seg-/gm) ?? []).length >= 3 ? true : undefined;
  }, 60_000, 250);
});

let mediaId: string;
let pid: string;
let vod: VariantLine[];

test('after the stream ends: one Ready media with every rendition recorded under its name', { timeout: 60_000 }, async () => {
  for (const p of publishers.splice(0)) await p.stop();
  await waitFor('idle', async () => ((await srv.request('GET', `/v1/live/streams/${stream.streamId}`)).body.data.status === 'idle' || undefined), 30_000, 200);
  const st = (await srv.request('GET', `/v1/live/streams/${stream.streamId}`)).body.data;
  assert.equal(st.mediaIds?.length, 1, `one media for the session: ${JSON.stringify(st.mediaIds)}`);
  mediaId = st.mediaIds[0] as string;
  const media = await waitFor('media Ready', async () => {
    const m = (await srv.request('GET', `/v1/on-demand/${mediaId}`)).body.data;
    return m?.status === 'Ready' ? m : undefined;
  }, 30_000, 200);
  assert.equal(media.sourceResolution, '720');
  assert.deepEqual(media.tracks.map((t: { type: string }) => t.type), ['video', 'audio']);

  // store keys: media/<mediaId>/<rendition>/seg-N.m4s
  const dir = join(srv.dataDir, 'media', 'media', mediaId);
  assert.deepEqual(readdirSync(dir).sort(), ['360p', '480p', 'source']);
  for (const r of ['360p', '480p']) {
    const files = readdirSync(join(dir, r));
    assert.ok(files.includes('seg-0.m4s') && files.some((f) => /^init-\d+\.mp4$/.test(f)), `${r}: ${files.slice(0, 5).join(' ')}`);
  }
  // the manifest and the media's renditions (read from the server's SQLite file)
  const dbFile = join(srv.dataDir, 'onair.sqlite');
  assert.ok(existsSync(dbFile));
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const counts = db.prepare('SELECT rendition, COUNT(*) AS n, MIN(seq) AS first FROM media_segments WHERE media_id = ? GROUP BY rendition ORDER BY rendition')
      .all(mediaId) as { rendition: string; n: number; first: number }[];
    assert.deepEqual(counts.map((c) => c.rendition), ['360p', '480p', 'source']);
    const source = counts.find((c) => c.rendition === 'source')!.n;
    for (const c of counts) {
      assert.equal(c.first, 0);
      assert.ok(c.n >= source - 3, `${c.rendition}: ${c.n} segments (source ${source})`);
    }
    const keys = db.prepare("SELECT key FROM media_segments WHERE media_id = ? AND rendition = '480p' ORDER BY seq LIMIT 2").all(mediaId) as { key: string }[];
    assert.deepEqual(keys.map((k) => k.key), [`media/${mediaId}/480p/seg-0.m4s`, `media/${mediaId}/480p/seg-1.m4s`]);
    const row = db.prepare('SELECT renditions FROM media WHERE media_id = ?').get(mediaId) as { renditions: string };
    const renditions = JSON.parse(row.renditions) as { name: string; width?: number; height?: number; bandwidth: number; averageBandwidth?: number; codecs: string }[];
    assert.deepEqual(renditions.map((r) => `${r.name} ${r.width}x${r.height}`), ['source 1280x720', '480p 854x480', '360p 640x360']);
    for (const r of renditions) {
      assert.ok(r.bandwidth > 0 && (r.averageBandwidth ?? 0) > 0 && r.bandwidth >= r.averageBandwidth!, JSON.stringify(r));
      assert.match(r.codecs, /^avc1\.[0-9a-fA-F]{6},mp4a\.40\.2$/);
    }
    assert.ok(renditions[0]!.averageBandwidth! > renditions[1]!.averageBandwidth! && renditions[1]!.averageBandwidth! > renditions[2]!.averageBandwidth!);
  } finally {
    db.close();
  }

  const made = await srv.request('POST', `/v1/on-demand/${mediaId}/playback-ids`, { accessPolicy: 'public' });
  assert.equal(made.status, 201, made.text);
  pid = (made.body.data.id ?? made.body.data.playbackId) as string;
  const mv = await text(play(pid));
  vod = variants(mv);
  assert.deepEqual(vod.map((v) => v.resolution), ['1280x720', '854x480', '640x360'], mv);
  assert.deepEqual(vod.map((v) => v.uri), [`${pid}/media.m3u8`, `${pid}/480p/media.m3u8`, `${pid}/360p/media.m3u8`]);
  for (const v of vod) {
    assert.match(v.attrs, /BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=\d+x\d+,FRAME-RATE=(29\.9|30\.0)\d\d/);
  }
  const bw = vod.map((v) => Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(v.attrs)![1]));
  assert.ok(bw[0]! > bw[1]! && bw[1]! > bw[2]!, `bitrates fall with the renditions: ${bw.join(' ')}`);
});

test('ffprobe decodes every rendition\'s VOD playlist whole; renditions share the timeline', { timeout: 120_000 }, async (t) => {
  const source = await text(play(pid, '/media.m3u8'));
  assert.match(source, /#EXT-X-PLAYLIST-TYPE:VOD/);
  const durationS = extinfSum(source);
  assert.ok(durationS > 8, `recorded ${durationS} s`);
  const segmentsOf = (t: string) => (t.match(/^#EXTINF:/gm) ?? []).length;
  for (const [name, width] of [['', 1280], ['480p/', 854], ['360p/', 640]] as const) {
    const pl = await text(play(pid, `/${name}media.m3u8`));
    assert.match(pl, /#EXT-X-ENDLIST/);
    // the same segment count (a position the rung lacks is an EXT-X-GAP segment) and start times
    assert.equal(segmentsOf(pl), segmentsOf(source), `${name || 'source'}: one segment per source segment`);
    // the rungs were away while ffmpeg restarted: those positions are gaps (the source has none)
    const gaps = (pl.match(/#EXT-X-GAP/g) ?? []).length;
    if (name) assert.ok(gaps >= 1 && gaps <= 12, `${name}: ${gaps} gaps`);
    else assert.equal(gaps, 0);
    // the seconds with media: every segment's EXTINF but the gaps'
    const lines = pl.split('\n');
    let mediaS = 0;
    for (const [i, line] of lines.entries()) if (line.startsWith('#EXTINF:') && lines[i - 1] !== '#EXT-X-GAP') mediaS += Number(line.slice(8, -1));
    const counted = await countFrames(play(pid, `/${name}media.m3u8`));
    t.diagnostic(`${name || 'source/'}: ${segmentsOf(pl)} segments, ${gaps} gaps, ${counted.frames} frames for ${mediaS.toFixed(2)} s of media`);
    assert.equal(counted.width, width);
    // 30 fps: every frame of the segments with media (ffprobe skips the gaps)
    const expected = mediaS * 30;
    assert.ok(Math.abs(counted.frames - expected) <= 15, `${name || 'source'}: decoded ${counted.frames} frames of ${expected.toFixed(0)}`);
  }
  // the files of a rendition, and none of a rendition that was not recorded
  const first480 = await text(play(pid, '/480p/media.m3u8'));
  const seg = /^seg-\d+\.m4s/m.exec(first480)![0];
  assert.equal((await fetch(play(pid, `/480p/${seg}`))).status, 200);
  assert.equal((await fetch(play(pid, '/1080p/media.m3u8'))).status, 404);
});

test('the player parameters filter and order the VOD renditions', { timeout: 30_000 }, async () => {
  const res = async (q: string) => variants(await text(play(pid, `.m3u8?${q}`))).map((v) => v.resolution);
  assert.deepEqual(await res('maxResolution=480p'), ['854x480', '640x360']);
  assert.deepEqual(await res('minResolution=480p'), ['1280x720', '854x480']);
  assert.deepEqual(await res('resolution=360p'), ['640x360']);
  assert.deepEqual(await res('renditionOrder=asc'), ['640x360', '854x480', '1280x720']);
  const bad = await fetch(play(pid, '.m3u8?maxResolution=big'));
  assert.equal(bad.status, 400);
  const body = await bad.json() as { success: boolean; error: { code: number; description: string } };
  assert.equal(body.success, false);
  assert.match(body.error.description, /maxResolution/);
  // a clip range keeps the renditions
  const clip = variants(await text(play(pid, '.m3u8?start=2&end=5&maxResolution=480p')));
  assert.deepEqual(clip.map((v) => v.resolution), ['854x480', '640x360']);
  assert.ok(clip.every((v) => v.uri.includes('start=2s&end=5s')), clip.map((v) => v.uri).join(' '));
});

test('thumbnails and storyboards of the media come from the best rendition; hls.js plays the VOD', { timeout: 90_000 }, async () => {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', play(pid, '/thumbnail.jpg?time=3')]);
  assert.equal(stdout.trim(), '1280,720', 'drawn from the 1280x720 source');
  const sprite = await (await fetch(play(pid, '/spritesheet.json'))).json() as { tiles: unknown[]; duration: number };
  assert.ok(sprite.tiles.length >= 6, JSON.stringify(sprite).slice(0, 200));

  const player = await HlsPlayer.open(play(pid));
  try {
    const s = await player.playFor(2, 40_000);
    assert.equal(s.fatal, null);
    assert.ok([1280, 854, 640].includes(s.width), `playing a rendition ${s.width} wide`);
  } finally {
    await player.close();
  }
  // the 480p rendition alone, across its gap: hls.js skips the EXT-X-GAP segments and plays on
  const pl = await text(play(pid, '/480p/media.m3u8'));
  let at = 0;
  let gapStart: number | undefined;
  const lines = pl.split('\n');
  for (const [i, line] of lines.entries()) {
    if (!line.startsWith('#EXTINF:')) continue;
    if (lines[i - 1] === '#EXT-X-GAP' && gapStart === undefined) gapStart = at;
    at += Number(line.slice(8, -1));
  }
  assert.ok(gapStart !== undefined, pl);
  const only480 = await HlsPlayer.open(play(pid, '.m3u8?resolution=480p'));
  try {
    await only480.playFor(0.5, 40_000);
    await only480.seek(Math.max(0, gapStart - 1));
    const s = await waitFor('480p playback passes the gap', async () => {
      const st = await only480.state();
      if (st.fatal) throw new Error(`fatal ${st.fatal}`);
      return st.time > gapStart + 4 ? st : undefined;
    }, 40_000, 200);
    assert.equal(s.width, 854);
    assert.equal(s.fatal, null);
  } finally {
    await only480.close();
  }
});
