/**
 * Issue 10, end to end: a 1080p30 RTMP source on a stream with maxResolution 720p is transcoded by one
 * ffmpeg child into 720p, 480p and 360p (no 1080p); ffprobe decodes each; segments line up across the
 * renditions (same MSNs, durations and EXT-X-PROGRAM-DATE-TIME); the player parameters filter and order the
 * multivariant playlist; hls.js in Chromium switches renditions without a stall; killing the ffmpeg child
 * keeps the source playing, drops the rungs from the multivariant playlist and the ladder comes back.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { openHlsPage, type HlsPage } from '../helpers/chromium.js';
import { variants } from '../helpers/multivariant.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/ports.js';
import { probe, publish, type Publisher } from '../helpers/media-tools.js';

const run = promisify(execFile);
let srv: TestServer;
let clip: string;
const publishers: Publisher[] = [];

/** 1080p30 H.264 (ultrafast, 1 s GOP) + AAC, looped by the publisher: the encoder's CPU stays out of the way. */
async function clip1080p(seconds = 6): Promise<string> {
  const dir = join(process.cwd(), '.tmp', 'clips');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `testsrc-1080p30-ultrafast-${seconds}s.flv`);
  if (!existsSync(file)) {
    await run('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '6M', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
      '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-shortest', `${file}.part.flv`,
    ]);
    await run('mv', [`${file}.part.flv`, file]);
  }
  return file;
}

before(async () => {
  clip = await clip1080p();
  srv = await startTestServer({ env: { ONAIR_MAX_TRANSCODES: '1', ONAIR_ENDED_LINGER_MS: '1000', ONAIR_LOG_LEVEL: 'info' } });
});

after(async () => {
  for (const p of publishers) await p.stop();
  await srv?.stop();
});

interface Stream { streamId: string; streamKey: string; playbackIds: { id: string }[] }

async function createStream(maxResolution: string): Promise<Stream> {
  const res = await srv.request('POST', '/v1/live/streams', {
    playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { maxResolution, reconnectWindow: 60 },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.data as Stream;
}

const play = (pid: string, path = '.m3u8') => `http://127.0.0.1:${srv.ports.playback}/${pid}${path}`;

async function get(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
}

/** msn -> { EXTINF, PROGRAM-DATE-TIME } of the complete segments of a media playlist. */
function segmentsOf(playlist: string): Map<number, { extinf: string; pdt: string }> {
  const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)![1]);
  const out = new Map<number, { extinf: string; pdt: string }>();
  let msn = seq;
  let pdt = '';
  for (const line of playlist.split('\n')) {
    if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pdt = line.slice(25);
    else if (line.startsWith('#EXTINF:')) out.set(msn, { extinf: line.slice(8), pdt });
    else if (line.startsWith('seg-')) {
      assert.equal(line.split('?')[0], `seg-${msn}.m4s`, 'segment names follow the media sequence');
      msn++;
    }
  }
  return out;
}

async function ladderPid(streamId: string, notPid?: number): Promise<number> {
  return waitFor('the ladder ffmpeg pid in the logs', () => {
    let pid: number | undefined;
    for (const line of srv.logs().split('\n')) {
      if (!line.includes('ladder: ffmpeg started') || !line.includes(streamId)) continue;
      const p = (JSON.parse(line) as { pid?: number }).pid;
      if (p !== undefined && p !== notPid) pid = p;
    }
    return pid;
  }, 30_000, 200);
}

let stream: Stream;
let pid: string;

test('a 1080p source capped at 720p plays as 720p, 480p and 360p renditions that ffprobe decodes', { timeout: 120_000 }, async () => {
  stream = await createStream('720p');
  pid = stream.playbackIds[0]!.id;
  publishers.push(publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${stream.streamKey}`));
  const mv = await waitFor('three renditions in the multivariant playlist', async () => {
    const r = await get(play(pid));
    return r.status === 200 && variants(r.text).length === 3 ? r.text : undefined;
  }, 60_000, 250);
  const vs = variants(mv);
  assert.deepEqual(vs.map((v) => v.resolution), ['1280x720', '854x480', '640x360'], mv);
  assert.deepEqual(vs.map((v) => v.uri), [`${pid}/720p/media.m3u8`, `${pid}/480p/media.m3u8`, `${pid}/360p/media.m3u8`]);
  for (const v of vs) {
    assert.match(v.attrs, /BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=\d+x\d+,FRAME-RATE=(29\.9|30\.0)\d\d/);
  }
  const bandwidths = vs.map((v) => Number(/AVERAGE-BANDWIDTH=(\d+)/.exec(v.attrs)![1]));
  assert.ok(bandwidths[0]! > bandwidths[1]! && bandwidths[1]! > bandwidths[2]!, `bitrates fall with the rungs: ${bandwidths.join(' ')}`);
  assert.ok(!mv.includes('1920x1080'), 'the 1080p source is above maxResolution: not listed');

  for (const [name, w, h] of [['720p', 1280, 720], ['480p', 854, 480], ['360p', 640, 360]] as const) {
    const p = await probe(play(pid, `/${name}/media.m3u8`), 2);
    const v = p.streams.find((s) => s.codec_type === 'video');
    assert.equal(v?.codec_name, 'h264');
    assert.equal(v?.width, w);
    assert.equal(v?.height, h);
    assert.ok(Number(v?.nb_read_frames) >= 30, `${name}: decoded ${v?.nb_read_frames} frames`);
    assert.ok(p.streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac'), `${name} carries the source audio`);
  }
});

test('segments line up across renditions: same MSNs, durations and PROGRAM-DATE-TIME', { timeout: 60_000 }, async () => {
  const names = ['720p', '480p', '360p'];
  // let each playlist hold a few common segments, then compare every msn they share
  await waitFor('three common segments', async () => {
    const lists = await Promise.all(names.map(async (n) => segmentsOf((await get(play(pid, `/${n}/media.m3u8`))).text)));
    const common = [...lists[0]!.keys()].filter((m) => lists.every((l) => l.has(m)));
    return common.length >= 3 ? true : undefined;
  }, 30_000, 300);
  const texts = await Promise.all([...names.map((n) => get(play(pid, `/${n}/media.m3u8`))), get(play(pid, '/media.m3u8'))]);
  const lists = texts.map((t) => segmentsOf(t.text));
  const common = [...lists[0]!.keys()].filter((m) => lists.every((l) => l.has(m)));
  assert.ok(common.length >= 3, `segments common to the three rungs and the source: ${common.length}`);
  for (const msn of common) {
    const ref = lists[3]!.get(msn)!; // the source rendition
    for (const [i, l] of lists.entries()) assert.deepEqual(l.get(msn), ref, `segment ${msn} of ${names[i] ?? 'source'}`);
  }
  // and the media of a common segment start at the same time (tfdt) in every rendition: ffprobe its first packet
  const msn = common[common.length - 1]!;
  const starts = await Promise.all(names.map(async (n) => {
    const init = /#EXT-X-MAP:URI="([^"?]+)/.exec(texts[names.indexOf(n)]!.text)![1];
    const [a, b] = await Promise.all([fetch(play(pid, `/${n}/${init}`)), fetch(play(pid, `/${n}/seg-${msn}.m4s`))]);
    const bytes = Buffer.concat([Buffer.from(await a.arrayBuffer()), Buffer.from(await b.arrayBuffer())]);
    const { stdout } = await runWithInput('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-read_intervals', '%+#1', '-of', 'csv=p=0', '-i', 'pipe:0'], bytes);
    return stdout.trim().split('\n')[0];
  }));
  assert.ok(starts[0] && starts.every((s) => s === starts[0]), `first video pts of segment ${msn}: ${starts.join(' ')}`);
});

test('player parameters filter and order the renditions; bad values get 400 in FastPix\'s error shape', { timeout: 30_000 }, async () => {
  const r480 = await get(play(pid, '.m3u8?maxResolution=480p'));
  assert.deepEqual(variants(r480.text).map((v) => v.resolution), ['854x480', '640x360']);
  const asc = await get(play(pid, '.m3u8?renditionOrder=asc'));
  assert.deepEqual(variants(asc.text).map((v) => v.resolution), ['640x360', '854x480', '1280x720']);
  const min = await get(play(pid, '.m3u8?minResolution=480p&renditionOrder=desc'));
  assert.deepEqual(variants(min.text).map((v) => v.resolution), ['1280x720', '854x480']);
  const one = await get(play(pid, '.m3u8?resolution=480p'));
  assert.deepEqual(variants(one.text).map((v) => v.resolution), ['854x480']);
  const bad = await get(play(pid, '.m3u8?maxResolution=big'));
  assert.equal(bad.status, 400);
  const body = JSON.parse(bad.text) as { success: boolean; error: { code: number; message: string; description: string } };
  assert.equal(body.success, false);
  assert.equal(body.error.code, 400);
  assert.match(body.error.description, /maxResolution/);
  const order = await get(play(pid, '.m3u8?renditionOrder=sideways'));
  assert.equal(order.status, 400);
  const missing = await get(play(pid, '/1080p/media.m3u8'));
  assert.equal(missing.status, 404, 'no 1080p rendition above the cap');
});

test('hls.js switches renditions when its level is capped, without a stall', { timeout: 90_000 }, async () => {
  const player = await Player.open(play(pid));
  try {
    await player.until('playing at 720p', (s) => s.time > 1 && s.width === 1280, 30_000);
    const before = await player.state();
    await player.cap(640); // autoLevelCapping: the 360p level (hls.js sorts levels lowest first)
    const s = await player.until('switched down to 360p', (x) => x.width === 640 && x.time > before.time + 2, 30_000);
    assert.ok(s.switches.includes(640), `level switches (widths): ${s.switches.join(',')}`);
    await player.uncap();
    await player.setLevel(1280);
    const up = await player.until('back up to 720p', (x) => x.width === 1280 && x.time > s.time + 2, 30_000);
    assert.equal(up.fatal, null);
    assert.deepEqual(up.errors.filter((e) => /stall|gap/i.test(e)), [], `no stall while switching: ${up.errors.join(', ')}`);
    assert.ok(up.maxFreezeMs < 1500, `the picture never froze for long: longest ${up.maxFreezeMs} ms`);
  } finally {
    await player.close();
  }
});

test('killing the ffmpeg child keeps the source playing; the rungs leave the multivariant playlist and come back', { timeout: 120_000 }, async () => {
  const first = await ladderPid(stream.streamId);
  const sourceMsn = async () => Math.max(...segmentsOf((await get(play(pid, '/media.m3u8'))).text).keys());
  const msnBefore = await sourceMsn();
  process.kill(first, 'SIGKILL');
  // the source keeps advancing, the rungs leave the multivariant playlist while ffmpeg is down
  let sawDropped = false;
  let lastSourceMsn = msnBefore;
  let lastAdvance = Date.now();
  let longestStallMs = 0;
  const second = await waitFor('a new ffmpeg child and all three renditions back', async () => {
    const [mv, msn] = await Promise.all([get(play(pid)), sourceMsn()]);
    if (msn > lastSourceMsn) {
      longestStallMs = Math.max(longestStallMs, Date.now() - lastAdvance);
      lastSourceMsn = msn;
      lastAdvance = Date.now();
    }
    const res = variants(mv.text).map((v) => v.resolution);
    if (!res.includes('1280x720')) sawDropped = true;
    if (!sawDropped || res.length !== 3 || !res.includes('1280x720')) return undefined;
    const pidNow = await ladderPid(stream.streamId, first).catch(() => undefined);
    return pidNow;
  }, 60_000, 100);
  assert.notEqual(second, first);
  assert.ok(sawDropped, 'the rungs were left out while ffmpeg was down');
  assert.ok(lastSourceMsn > msnBefore + 1, `the source advanced: ${msnBefore} -> ${lastSourceMsn}`);
  assert.ok(longestStallMs < 2500, `the source's segments kept coming (longest gap ${longestStallMs} ms)`);
  const p = await probe(play(pid, '/720p/media.m3u8'), 2);
  assert.ok(Number(p.streams.find((s) => s.codec_type === 'video')?.nb_read_frames) >= 30, 'the 720p rung decodes again');
  const metrics = await (await fetch(`http://127.0.0.1:${srv.ports.api}/metrics`)).text();
  assert.match(metrics, new RegExp(`onair_transcoder_restarts_total\\{stream="${stream.streamId}",reason="exit"\\} 1`));
  assert.match(metrics, new RegExp(`onair_transcoder_speed\\{stream="${stream.streamId}"\\} \\d`));
  assert.match(srv.logs(), /ladder: ffmpeg stopped; the source keeps playing/);
});

test('beyond --max-transcodes a stream is served as passthrough, logged and counted', { timeout: 60_000 }, async () => {
  const other = await createStream('1080p');
  const opid = other.playbackIds[0]!.id;
  publishers.push(publish(clip, `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${other.streamKey}`));
  const mv = await waitFor('the second stream plays', async () => {
    const r = await get(play(opid));
    return r.status === 200 ? r.text : undefined;
  }, 30_000, 250);
  assert.deepEqual(variants(mv).map((v) => v.resolution), ['1920x1080'], 'the source alone');
  assert.match(srv.logs(), /ladder refused: --max-transcodes/);
  const metrics = await (await fetch(`http://127.0.0.1:${srv.ports.api}/metrics`)).text();
  assert.match(metrics, /onair_ladders_refused_total 1/);
  assert.match(metrics, /onair_transcoders 1/);
});

function runWithInput(cmd: string, args: string[], input: Buffer): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve({ stdout })));
    // ffprobe may stop reading once it has what it asked for (-read_intervals): a closed pipe is not an error here
    child.stdin!.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE') reject(err); });
    child.stdin!.end(input);
  });
}

// ---- a player with access to hls.js levels (the shared helper does not expose them) ----


interface LadderPlayerState {
  errors: string[];
  fatal: string | null;
  time: number;
  width: number;
  switches: number[];
  maxFreezeMs: number;
}

const PAGE = (src: string): string => `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.js"></script><script>
const s = window.__state = { errors: [], fatal: null, time: 0, width: 0, switches: [], maxFreezeMs: 0 };
const video = document.getElementById('v');
const hls = window.__hls = new Hls({ lowLatencyMode: true, startLevel: 0, capLevelToPlayerSize: false });
hls.on(Hls.Events.ERROR, (_, d) => { s.errors.push(d.details); if (d.fatal) s.fatal = d.details; });
hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => s.switches.push(hls.levels[d.level].width));
window.__levelOfWidth = (w) => hls.levels.findIndex((l) => l.width === w);
let lastT = 0, lastChange = performance.now();
setInterval(() => {
  const now = performance.now();
  if (video.currentTime !== lastT) { lastT = video.currentTime; lastChange = now; }
  else if (s.time > 0) s.maxFreezeMs = Math.max(s.maxFreezeMs, Math.round(now - lastChange));
  s.time = video.currentTime; s.width = video.videoWidth;
}, 50);
hls.loadSource(${JSON.stringify(src)});
hls.attachMedia(video);
video.play().catch((e) => s.errors.push(String(e)));
</script></body></html>`;

class Player {
  private constructor(private readonly view: HlsPage) {}

  private get page(): Page {
    return this.view.page;
  }

  static async open(src: string): Promise<Player> {
    return new Player(await openHlsPage(PAGE(src)));
  }

  state(): Promise<LadderPlayerState> {
    return this.page.evaluate(() => (window as unknown as { __state: LadderPlayerState }).__state);
  }

  /** Cap hls.js's automatic level choice at the level of this width. */
  async cap(width: number): Promise<void> {
    await this.page.evaluate((w) => {
      const win = window as unknown as { __hls: { autoLevelCapping: number }; __levelOfWidth: (w: number) => number };
      win.__hls.autoLevelCapping = win.__levelOfWidth(w);
    }, width);
  }

  async uncap(): Promise<void> {
    await this.page.evaluate(() => { (window as unknown as { __hls: { autoLevelCapping: number } }).__hls.autoLevelCapping = -1; });
  }

  /** Ask for the level of this width next. */
  async setLevel(width: number): Promise<void> {
    await this.page.evaluate((w) => {
      const win = window as unknown as { __hls: { nextLevel: number }; __levelOfWidth: (w: number) => number };
      win.__hls.nextLevel = win.__levelOfWidth(w);
    }, width);
  }

  async until(what: string, ok: (s: LadderPlayerState) => boolean, timeoutMs: number): Promise<LadderPlayerState> {
    const deadline = Date.now() + timeoutMs;
    let s = await this.state();
    while (Date.now() < deadline) {
      s = await this.state();
      if (s.fatal) throw new Error(`fatal hls.js error ${s.fatal} (${s.errors.join(', ')})`);
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what}: not reached in ${timeoutMs} ms (time ${s.time}, width ${s.width}, switches ${s.switches.join(',')}, errors ${s.errors.join(', ')})`);
  }

  async close(): Promise<void> {
    await this.view.close();
  }
}

test('--transcode off: the source alone, no ffmpeg', { timeout: 60_000 }, async () => {
  const off = await startTestServer({ args: ['--transcode', 'off'], env: { ONAIR_LOG_LEVEL: 'info' } });
  const pub: Publisher[] = [];
  try {
    const res = await off.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'public' }, inputMediaSettings: { maxResolution: '720p' } });
    assert.equal(res.status, 201, res.text);
    const s = res.body.data as Stream;
    pub.push(publish(clip, `rtmp://127.0.0.1:${off.ports.rtmp}/live/${s.streamKey}`));
    const url = `http://127.0.0.1:${off.ports.playback}/${s.playbackIds[0]!.id}`;
    const mv = await waitFor('the stream plays', async () => {
      const r = await get(`${url}.m3u8`);
      return r.status === 200 ? r.text : undefined;
    }, 30_000, 250);
    // a few segments later there is still only the source
    await waitFor('three segments', async () => (segmentsOf((await get(`${url}/media.m3u8`)).text).size >= 3 ? true : undefined), 30_000, 250);
    assert.deepEqual(variants((await get(`${url}.m3u8`)).text).map((v) => v.resolution), ['1920x1080']);
    assert.deepEqual(variants(mv).map((v) => v.resolution), ['1920x1080']);
    assert.equal((await get(`${url}/720p/media.m3u8`)).status, 404);
    assert.doesNotMatch(off.logs(), /ladder: ffmpeg started/);
  } finally {
    for (const p of pub) await p.stop();
    await off.stop();
  }
});
