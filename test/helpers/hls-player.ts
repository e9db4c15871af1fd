/**
 * A real viewer: hls.js (lowLatencyMode) in Debian's Chromium, driven by playwright-core.
 * The page is served from a tiny local server; the stream comes from onair's playback listener (CORS).
 */
import type { Page } from 'playwright-core';
import { openHlsPage, type HlsPage } from './chromium.js';

const PAGE = (src: string): string => `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.js"></script><script>
const s = window.__state = { errors: [], fatal: null, live: null, parts: 0, lowLatency: null, latency: null, time: 0, width: 0, seekStart: null, seekEnd: null, buffered: '', frags: [] };
window.__seek = (t) => { video.currentTime = t; };
const video = document.getElementById('v');
const hls = new Hls({ lowLatencyMode: true });
s.lowLatency = hls.config.lowLatencyMode;
hls.on(Hls.Events.ERROR, (_, d) => { s.errors.push(d.details); if (d.fatal) s.fatal = d.details; });
hls.on(Hls.Events.FRAG_BUFFERED, (_, d) => { s.frags.push(d.frag.sn + '/' + d.frag.cc + '@' + d.frag.start.toFixed(2)); if (s.frags.length > 12) s.frags.shift(); });
hls.on(Hls.Events.LEVEL_UPDATED, (_, d) => { s.live = d.details.live; s.parts = (d.details.partList || []).length; });
setInterval(() => { s.latency = hls.latency; s.time = video.currentTime; s.width = video.videoWidth; const b = video.buffered; s.buffered = Array.from({ length: b.length }, (_, i) => b.start(i).toFixed(2) + '-' + b.end(i).toFixed(2)).join(' '); const r = video.seekable; s.seekStart = r.length ? r.start(0) : null; s.seekEnd = r.length ? r.end(r.length - 1) : null; }, 100);
hls.loadSource(${JSON.stringify(src)});
hls.attachMedia(video);
video.play().catch((e) => s.errors.push(String(e)));
</script></body></html>`;

export interface PlayerState {
  errors: string[];
  /** the video element's buffered ranges ("0.00-4.10 5.00-9.20"), for failure messages */
  buffered: string;
  /** the last fragments hls.js buffered: "sn/cc@start" */
  frags: string[];
  fatal: string | null;
  live: boolean | null;
  parts: number;
  lowLatency: boolean;
  latency: number | null;
  time: number;
  width: number;
  /** the video element's seekable range (DVR: from the session's first segment) */
  seekStart: number | null;
  seekEnd: number | null;
}

export class HlsPlayer {
  private constructor(private readonly view: HlsPage) {}

  private get page(): Page {
    return this.view.page;
  }

  static async open(src: string): Promise<HlsPlayer> {
    return new HlsPlayer(await openHlsPage(PAGE(src)));
  }

  state(): Promise<PlayerState> {
    return this.page.evaluate(() => (window as unknown as { __state: PlayerState }).__state);
  }

  /** Waits until currentTime has advanced by `seconds` of playback; fails fast on a fatal hls.js error. */
  async playFor(seconds: number, timeoutMs = 25_000): Promise<PlayerState & { advanced: number }> {
    const deadline = Date.now() + timeoutMs;
    let first: number | undefined;
    let s = await this.state();
    while (Date.now() < deadline) {
      s = await this.state();
      if (s.fatal) throw new Error(`fatal hls.js error ${s.fatal} (${s.errors.join(', ')})`);
      if (s.time > 0 && first === undefined) first = s.time;
      if (first !== undefined && s.time - first >= seconds) return { ...s, advanced: s.time - first };
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`playback did not advance ${seconds}s in ${timeoutMs} ms: first=${first} now=${s.time} errors=${s.errors.join(', ')}`);
  }

  /** Seek the video element (DVR, VOD). */
  async seek(t: number): Promise<void> {
    await this.page.evaluate((x) => (window as unknown as { __seek: (t: number) => void }).__seek(x), t);
  }

  close(): Promise<void> {
    return this.view.close();
  }
}
