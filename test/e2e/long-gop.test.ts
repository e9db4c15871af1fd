/**
 * Issue 8 (fault 5), end to end: an encoder with OBS's default keyframe interval (250 frames at 30 fps,
 * 8.3 s) publishes over RTMP. Every segment onair serves starts with a keyframe and decodes on its own
 * (ffprobe counts all 250 frames of each of three consecutive segments), EXT-X-TARGETDURATION holds
 * every EXTINF, blocking reloads wait long enough for a whole GOP, the multivariant playlist describes
 * what is served, and /metrics and the log tell the operator the GOP costs latency.
 * ffmpeg reads its synthetic source at 3x real time, so the test takes seconds, not a minute.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/ports.js';
import { probe } from '../unit/packager/media-fixture.js';
import { readPlaylist } from '../unit/packager/playlist-reader.js';

const GOP = 250;
const FPS = 30;
let srv: TestServer;
let encoder: ChildProcess | undefined;
let encoderLog = '';

before(async () => {
  srv = await startTestServer();
});

after(async () => {
  if (encoder && encoder.exitCode === null && encoder.signalCode === null) {
    const gone = new Promise((r) => encoder!.once('exit', r));
    encoder.kill('SIGKILL');
    await gone;
  }
  await srv?.stop();
});

/** ffmpeg encoding live, like OBS's Simple output: x264, keyframe every 250 frames, no scene-cut keyframes. */
function startEncoder(url: string): ChildProcess {
  const proc = spawn('ffmpeg', [
    '-v', 'error',
    '-readrate', '3', '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${FPS}`,
    '-readrate', '3', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-b:v', '800k',
    '-g', String(GOP), '-keyint_min', String(GOP), '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', url,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => { encoderLog += d.toString(); });
  return proc;
}

const hls = (path: string): string => `http://127.0.0.1:${srv.ports.playback}/${path}`;

async function get(path: string): Promise<{ status: number; body: Buffer; text: string }> {
  const res = await fetch(hls(path));
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, text: body.toString() };
}

test('OBS-style 8.3 s GOP over RTMP: keyframe-aligned segments that decode alone, a constant target, a truthful multivariant playlist', { timeout: 90_000 }, async () => {
  const created = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} });
  assert.equal(created.status, 201, created.text);
  const { streamKey, playbackIds } = created.body.data as { streamKey: string; playbackIds: { id: string }[] };
  const pid = playbackIds[0]!.id;
  encoder = startEncoder(`rtmp://127.0.0.1:${srv.ports.rtmp}/live/${streamKey}`);

  // Three complete segments (three GOPs) listed.
  const mediaText = await waitFor('three complete segments', async () => {
    const r = await get(`${pid}/media.m3u8`);
    return r.status === 200 && readPlaylist(r.text).segments.length >= 3 ? r.text : undefined;
  }, 60_000, 200).catch((err: Error) => { throw new Error(`${err.message}\nencoder: ${encoderLog}\nserver: ${srv.logs()}`); });
  const media = readPlaylist(mediaText);

  // The target comes from the first GOP and holds every segment; the holds follow it.
  assert.equal(media.tags.get('#EXT-X-TARGETDURATION'), '9');
  assert.equal(media.tags.get('#EXT-X-SERVER-CONTROL'), 'CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.60000,HOLD-BACK=27.00000');
  assert.equal(media.tags.get('#EXT-X-PART-INF'), 'PART-TARGET=0.20000');
  const three = media.segments.slice(0, 3);
  const msns = three.map((s) => Number(/^seg-(\d+)\.m4s$/.exec(s.uri)![1]));
  assert.deepEqual(msns, [msns[0]!, msns[0]! + 1, msns[0]! + 2], 'consecutive segments');
  for (const s of three) {
    assert.ok(Math.abs(s.duration - GOP / FPS) < 0.01, `EXTINF ${s.duration} is one GOP`);
    assert.ok(Math.round(s.duration) <= 9);
    if (s.parts.length > 0) {
      assert.equal(s.parts[0]!.independent, true, 'the segment starts with an INDEPENDENT part');
      assert.equal(s.parts.filter((p) => p.independent).length, 1, 'only the keyframe part is INDEPENDENT');
    }
  }

  // ffprobe decodes each segment on its own (init + segment): every frame of the GOP.
  const initUri = media.segments[0]!.map!;
  const init = await get(`${pid}/${initUri}`);
  assert.equal(init.status, 200);
  const bitrates: number[] = [];
  for (const [i, s] of three.entries()) {
    const seg = await get(`${pid}/${s.uri}`);
    assert.equal(seg.status, 200, s.uri);
    bitrates.push((seg.body.length * 8) / s.duration);
    const r = probe([init.body, seg.body]);
    assert.equal(r.decodeErrors, '', `segment ${msns[i]} decodes without error`);
    const v = r.streams.find((x) => x.codec_type === 'video')!;
    assert.equal(Number(v.nb_read_frames), GOP, `video frames decoded from segment ${msns[i]}`);
    const a = r.streams.find((x) => x.codec_type === 'audio')!;
    assert.ok(Math.abs(Number(a.nb_read_frames) - (s.duration * 48_000) / 1024) <= 2, `audio frames ${a.nb_read_frames}`);
  }

  // A blocking reload for the next segment is held until that whole GOP is there (not cut short).
  const next = msns[2]! + 1;
  const blocked = await get(`${pid}/media.m3u8?_HLS_msn=${next + 1}`);
  assert.equal(blocked.status, 200);
  const after = readPlaylist(blocked.text);
  assert.ok(after.segments.some((s) => s.uri === `seg-${next + 1}.m4s`), 'the held request returns once the segment exists');
  assert.equal(after.tags.get('#EXT-X-TARGETDURATION'), '9', 'the target never changes');
  for (const s of after.segments) assert.ok(Math.round(s.duration) <= 9);

  // The multivariant playlist matches what is served.
  const mv = await get(`${pid}.m3u8`);
  assert.equal(mv.status, 200);
  const lines = mv.text.trim().split('\n');
  assert.ok(lines.includes('#EXT-X-INDEPENDENT-SEGMENTS'), 'true: every segment decoded on its own above');
  const inf = lines.find((l) => l.startsWith('#EXT-X-STREAM-INF:'))!;
  const uri = lines[lines.indexOf(inf) + 1]!;
  assert.equal(uri, `${pid}/media.m3u8`);
  assert.equal((await get(uri)).status, 200);
  assert.match(inf, /RESOLUTION=640x360/);
  // (RTMP timestamps are whole milliseconds: 250 frames span 8.333 or 8.334 s)
  assert.ok(Math.abs(Number(/FRAME-RATE=([\d.]+)/.exec(inf)![1]) - FPS) < 0.01, inf);
  const avcC = init.body.indexOf('avcC');
  const profile = init.body.subarray(avcC + 5, avcC + 8).toString('hex');
  assert.match(inf, new RegExp(`CODECS="avc1\\.${profile},mp4a\\.40\\.2"`), 'CODECS from the served init segment');
  const bandwidth = Number(/BANDWIDTH=(\d+)/.exec(inf)![1]);
  const average = Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(inf)![1]);
  assert.ok(average <= bandwidth);
  // BANDWIDTH is the peak over the listed window; the three segments above are in it or were.
  assert.ok(bandwidth >= Math.min(...bitrates), `BANDWIDTH ${bandwidth} vs segments ${bitrates.join(',')}`);

  // The operator is told: metrics and one warning with the GOP.
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, /^onair_long_gop_sessions_total 1$/m);
  assert.match(metrics, /^onair_packager_gop_seconds_bucket\{le="8"\} 0$/m);
  assert.match(metrics, /^onair_packager_gop_seconds_bucket\{le="10"\} 1$/m);
  assert.match(metrics, /^onair_packager_forced_cuts_total 0$/m);
  const warns = srv.logs().split('\n').filter((l) => l.includes('long GOP'));
  assert.equal(warns.length, 1, srv.logs());
  assert.ok(Math.abs(JSON.parse(warns[0]!).gopS - GOP / FPS) < 0.002, warns[0]);
});
