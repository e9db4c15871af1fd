/** Chromium + hls.js (lowLatencyMode) plays a stream fed in real time through LivePackager and PlaybackServer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LivePackager } from '../../../src/media/packager/index.js';
import { PlaybackServer } from '../../../src/playback/index.js';
import { makeClip } from '../packager/media-fixture.js';
import { openHlsPage } from '../../helpers/chromium.js';


const PAGE = (src: string): string => `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.js"></script><script>
const s = window.__state = { errors: [], fatal: null, live: null, parts: 0, blocking: null, lowLatency: null, latency: null, supported: MediaSource.isTypeSupported('video/mp4; codecs="avc1.42c00d,mp4a.40.2"') };
const video = document.getElementById('v');
const hls = new Hls({ lowLatencyMode: true, enableWorker: false });
s.lowLatency = hls.config.lowLatencyMode;
hls.on(Hls.Events.ERROR, (_, d) => { s.errors.push(d.details); if (d.fatal) s.fatal = d.details; });
hls.on(Hls.Events.LEVEL_UPDATED, (_, d) => {
  s.live = d.details.live; s.parts = (d.details.partList || []).length; s.blocking = d.details.canBlockReload;
});
setInterval(() => { s.latency = hls.latency; s.time = video.currentTime; }, 100);
hls.loadSource(${JSON.stringify(src)});
hls.attachMedia(video);
video.play().catch((e) => s.errors.push(String(e)));
</script></body></html>`;

test('hls.js in Chromium plays the live stream in low-latency mode', { timeout: 40_000 }, async () => {
  const clip = makeClip({ seconds: 12 });
  const packager = new LivePackager();
  for (const c of clip.configs) packager.onConfig(c);
  const playback = new PlaybackServer({
    port: 0,
    host: '127.0.0.1',
    resolve: (id) => (id === 'pid' ? { streamId: 's', accessPolicy: 'public' } : undefined),
    packagerFor: () => packager,
    verifyToken: async () => false,
  });
  const { port } = await playback.listen();
  const src = `http://127.0.0.1:${port}/pid.m3u8`;

  // Feed frames in real time: a frame goes in when the wall clock reaches its dts.
  const t0 = Date.now();
  let next = 0;
  const feeder = setInterval(() => {
    const due = (Date.now() - t0) * 90;
    while (next < clip.frames.length && clip.frames[next]!.dts <= due) packager.onFrame(clip.frames[next++]!);
  }, 5);
  const view = await openHlsPage(PAGE(src));
  try {
    const page = view.page;
    type State = { errors: string[]; fatal: string | null; live: boolean | null; parts: number; blocking: boolean | null; lowLatency: boolean; latency: number | null; time?: number; supported: boolean };
    const state = async (): Promise<State> => page.evaluate(() => (window as unknown as { __state: State }).__state);
    assert.equal((await state()).supported, true, 'Chromium can play H.264/AAC in MSE');
    let s = await state();
    let firstTime: number | undefined;
    const deadline = Date.now() + 12_000;
    while (Date.now() < deadline) {
      s = await state();
      assert.equal(s.fatal, null, `fatal hls.js error: ${s.fatal} (${s.errors.join(', ')})`);
      if (s.time !== undefined && s.time > 0 && firstTime === undefined) firstTime = s.time;
      if (firstTime !== undefined && s.time! - firstTime > 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(firstTime !== undefined && s.time! - firstTime > 2, `currentTime advanced: ${firstTime} -> ${s.time}; errors: ${s.errors.join(', ')}`);
    assert.equal(s.live, true);
    assert.equal(s.lowLatency, true);
    assert.equal(s.blocking, true, 'CAN-BLOCK-RELOAD seen by hls.js');
    assert.ok(s.parts > 0, 'hls.js sees the parts');
    assert.ok(s.latency !== null && s.latency < 3, `latency to the live edge ${s.latency}s`);
    console.log(`# hls.js latency to live edge: ${s.latency?.toFixed(2)} s, non-fatal errors: ${s.errors.length}`);
  } finally {
    clearInterval(feeder);
    await view.close();
    await playback.close();
  }
});
