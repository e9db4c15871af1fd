/** Headless Chromium + hls.js (lowLatencyMode) playing a stream and decoding the clock of every presented frame. */
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CLOCK_DECODER_JS, FRAME_WIDTH, FRAME_HEIGHT } from './frame-clock.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
];

/** The page script: plays `src` with hls.js and records Date.now() - encoded time per presented frame. */
const PAGE_SCRIPT = `
${CLOCK_DECODER_JS}
window.__bench = { samples: [], bad: 0, frames: 0, errors: [] };
window.__startPlayer = function (src) {
  var B = window.__bench;
  var video = document.createElement('video');
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  var hls = new Hls({ lowLatencyMode: true, backBufferLength: 5 });
  hls.on(Hls.Events.ERROR, function (_e, data) { if (B.errors.length < 20) B.errors.push(data.type + ':' + data.details + (data.fatal ? ' (fatal)' : '')); });
  hls.loadSource(src);
  hls.attachMedia(video);
  video.play().catch(function (e) { B.errors.push('play: ' + e); });
  var canvas = document.createElement('canvas');
  var ctx = canvas.getContext('2d', { willReadFrequently: true });
  function onFrame() {
    var shownAt = Date.now();
    var w = video.videoWidth, h = video.videoHeight;
    if (w > 0 && h > 0) {
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      var sx = w / ${FRAME_WIDTH}, sy = h / ${FRAME_HEIGHT};
      var rw = Math.min(w, Math.ceil(300 * sx)), rh = Math.min(h, Math.ceil(120 * sy));
      ctx.drawImage(video, 0, 0, w, h);
      var data = ctx.getImageData(0, 0, rw, rh).data;
      var luma = function (x, y) { var i = (y * rw + x) * 4; return 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]; };
      var ms = decodeClock(luma, sx, sy);
      B.frames++;
      if (ms > 0) B.samples.push(shownAt - ms); else B.bad++;
    }
    video.requestVideoFrameCallback(onFrame);
  }
  video.requestVideoFrameCallback(onFrame);
};
`;

export interface PlayerStats {
  samples: number[];
  bad: number;
  frames: number;
  errors: string[];
}

export class LatencyPlayer {
  private browser: Browser | undefined;
  private page: Page | undefined;

  /** Opens a blank page on the playback origin (same origin as the playlists: no CORS needed) and starts playing. */
  async start(origin: string, playUrl: string): Promise<void> {
    this.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    const page = await this.browser.newPage();
    this.page = page;
    const pageUrl = `${origin}/__onair_bench_player.html`;
    // Only the page itself is served by the route; unrouting right after keeps every media request un-intercepted.
    await page.route(pageUrl, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html><body></body></html>' }));
    await page.goto(pageUrl, { timeout: 15_000 });
    await page.unroute(pageUrl);
    const require = createRequire(import.meta.url);
    await page.addScriptTag({ path: require.resolve('hls.js/dist/hls.min.js') });
    await page.addScriptTag({ content: PAGE_SCRIPT });
    await page.evaluate((src) => (window as unknown as { __startPlayer: (s: string) => void }).__startPlayer(src), playUrl);
  }

  async stats(): Promise<PlayerStats> {
    if (!this.page) return { samples: [], bad: 0, frames: 0, errors: ['no page'] };
    return this.page.evaluate(() => {
      const b = (window as unknown as { __bench: PlayerStats }).__bench;
      return { samples: b.samples.slice(), bad: b.bad, frames: b.frames, errors: b.errors.slice() };
    });
  }

  /** Forgets the samples so far (the first seconds of playback are start-up, not steady state). */
  async resetSamples(): Promise<void> {
    await this.page?.evaluate(() => {
      const b = (window as unknown as { __bench: PlayerStats }).__bench;
      b.samples = [];
      b.bad = 0;
      b.frames = 0;
    });
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
  }
}
