/**
 * Issue "SRT", end to end: ffmpeg publishes H.264/AAC over SRT with the stream's passphrase; the HLS decodes in
 * ffprobe and plays in hls.js; SRT playback decodes in ffprobe; bad callers are refused in the handshake; and
 * through a lossy relay (2 % and 5 % loss each way, 50 ms delay, reordering) the HLS has every frame.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/ports.js';
import { clip720p, decodeLive, probe, publish, type Publisher } from '../helpers/media-tools.js';
import { HlsPlayer } from '../helpers/hls-player.js';
import { LossyUdpRelay } from '../helpers/lossy-udp-relay.js';

const run = promisify(execFile);
let srv: TestServer;
let clip: string;
const publishers: Publisher[] = [];

interface Stream { streamId: string; streamKey: string; srtSecret: string; playbackIds: { id: string }[]; srtPlaybackResponse: { srtPlaybackStreamId: string; srtPlaybackSecret: string } }

before(async () => {
  clip = await clip720p(12);
  srv = await startTestServer({ env: { ONAIR_LIFECYCLE_TIME_SCALE: '0.05' } });
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
});

async function createStream(): Promise<Stream> {
  const res = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: {} });
  assert.equal(res.status, 201, res.text);
  return res.body.data as Stream;
}

const status = async (id: string) => (await srv.request('GET', `/v1/live/streams/${id}`)).body.data.status as string;
const hlsUrl = (pid: string, path = '.m3u8') => `http://127.0.0.1:${srv.ports.playback}/${pid}${path}`;
/** The stream id goes in as written (what ffmpeg and OBS send); tests that want it percent-encoded say so. */
const srtUrl = (streamid: string, passphrase: string, extra = '', port = srv.ports.srt) =>
  `srt://127.0.0.1:${port}?streamid=${streamid}&passphrase=${passphrase}${extra}`;

function srtPublish(url: string, loop = true): Publisher {
  const p = publish(clip, url, { format: 'mpegts', loop });
  publishers.push(p);
  return p;
}

async function mediaPlaylist(pid: string): Promise<string> {
  const res = await fetch(hlsUrl(pid, '/media.m3u8'));
  return res.status === 200 ? res.text() : '';
}
const msns = (playlist: string): number[] => [...playlist.matchAll(/^seg-(\d+)\.m4s/gm)].map((m) => Number(m[1]));

test('SRT publish with a passphrase -> HLS (ffprobe, hls.js) and SRT playback (ffmpeg)', { timeout: 120_000 }, async () => {
  const s = await createStream();
  const pid = s.playbackIds[0]!.id;
  srtPublish(srtUrl(s.streamId, s.srtSecret, '&pbkeylen=16'));
  await waitFor('active over SRT', async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
  await waitFor('segments', async () => msns(await mediaPlaylist(pid)).length >= 2 || undefined, 20_000);

  const probed = await probe(hlsUrl(pid));
  const v = probed.streams.find((x) => x.codec_type === 'video');
  assert.equal(v?.codec_name, 'h264');
  assert.equal(v?.width, 1280);
  assert.ok(Number(v?.nb_read_frames) > 30);
  assert.equal(probed.streams.find((x) => x.codec_type === 'audio')?.codec_name, 'aac');

  const player = await HlsPlayer.open(hlsUrl(pid));
  try {
    const played = await player.playFor(2);
    assert.equal(played.width, 1280);
  } finally {
    await player.close();
  }

  // SRT playback, both stream id forms.
  const { srtPlaybackStreamId: playId, srtPlaybackSecret: playSecret } = s.srtPlaybackResponse;
  for (const id of [playId, `#!::r=${playId},m=request`]) {
    // ffmpeg reads the live MPEG-TS until it has decoded 60 frames (2 s).
    const { log, frames } = await decodeLive(srtUrl(id, playSecret), 60, ['-analyzeduration', '1500000']);
    assert.match(log, /Video: h264.*1280x720/, `SRT playback (${id}) has video`);
    assert.match(log, /Audio: aac/, `SRT playback (${id}) has audio`);
    assert.ok(frames >= 60, `SRT playback decodes frames: ${frames}`);
  }

  // A second SRT publisher is refused while the first delivers.
  const second = srtPublish(srtUrl(s.streamId, s.srtSecret), false);
  assert.notEqual(await second.exited, 0, 'second publisher refused');
  assert.equal(await status(s.streamId), 'active');
});

test('the access-control stream id form and 24/32-byte keys publish too', { timeout: 60_000 }, async () => {
  for (const [keylen, encode] of [[24, false], [32, true]] as const) {
    const s = await createStream();
    const id = `#!::r=${s.streamId},m=publish`;
    const p = srtPublish(srtUrl(encode ? encodeURIComponent(id) : id, s.srtSecret, `&pbkeylen=${keylen}`));
    await waitFor(`active with pbkeylen=${keylen}`, async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
    await p.stop();
  }
});

test('bad SRT callers are refused in the handshake and change nothing', { timeout: 60_000 }, async () => {
  const s = await createStream();
  const wrongPass = srtPublish(srtUrl(s.streamId, 'wrong-passphrase-123'), false);
  const unknown = srtPublish(srtUrl('0123456789abcdef0123456789abcdef', s.srtSecret), false);
  const noPass = srtPublish(`srt://127.0.0.1:${srv.ports.srt}?streamid=${s.streamId}`, false);
  for (const [label, p] of [['wrong passphrase', wrongPass], ['unknown stream id', unknown], ['no passphrase', noPass]] as const) {
    assert.notEqual(await p.exited, 0, `${label} refused`);
  }
  assert.equal(await status(s.streamId), 'idle');

  const d = await createStream();
  assert.equal((await srv.request('PUT', `/v1/live/streams/${d.streamId}/live-disable`)).status, 200);
  const disabled = srtPublish(srtUrl(d.streamId, d.srtSecret), false);
  assert.notEqual(await disabled.exited, 0, 'a disabled stream refuses SRT publishers');
  assert.equal(await status(d.streamId), 'disabled');
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
});

for (const [lossRate, seed] of [[0.02, 11], [0.05, 23]] as const) {
  test(`HLS from SRT through ${lossRate * 100} % loss each way (50 ms delay, reordering) has every frame`, { timeout: 90_000 }, async () => {
    const s = await createStream();
    const pid = s.playbackIds[0]!.id;
    const relay = await LossyUdpRelay.start({ targetHost: '127.0.0.1', targetPort: srv.ports.srt, lossRate, delayMs: 50, seed });
    const dir = mkdtempSync(join(tmpdir(), 'onair-srt-loss-'));
    try {
      // latency 500 ms: libsrt has time for several retransmissions at 100 ms round trips.
      srtPublish(srtUrl(s.streamId, s.srtSecret, '&latency=500000', relay.port));
      await waitFor('active through the lossy relay', async () => (await status(s.streamId)) === 'active' || undefined, 20_000);
      // Collect 4 complete segments after the first two (the first may start mid-GOP of the looped clip).
      const first = await waitFor('first segment', async () => msns(await mediaPlaylist(pid))[0], 20_000);
      const wanted = [first + 2, first + 3, first + 4, first + 5];
      await waitFor('segments under loss', async () => msns(await mediaPlaylist(pid)).includes(wanted.at(-1)!) || undefined, 30_000);
      const playlist = await mediaPlaylist(pid);
      const init = playlist.match(/#EXT-X-MAP:URI="([^"]+)"/)![1]!;
      const parts = [Buffer.from(await (await fetch(hlsUrl(pid, `/${init}`))).arrayBuffer())];
      for (const msn of wanted) parts.push(Buffer.from(await (await fetch(hlsUrl(pid, `/seg-${msn}.m4s`))).arrayBuffer()));
      const file = join(dir, 'window.mp4');
      writeFileSync(file, Buffer.concat(parts));
      const { stdout, stderr } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
        '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
      assert.equal(stderr.trim(), '', 'decodes without errors');
      // The source is 30 fps with a keyframe every 30 frames: four 1 s segments hold 120 frames when none is lost.
      assert.equal(Number(stdout.trim()), 120, `frames in 4 segments at ${lossRate * 100} % loss`);
      assert.ok(relay.stats.dropped > 0, 'the relay dropped packets');
    } finally {
      await relay.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
