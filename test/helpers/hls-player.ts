/**
 * A real viewer: hls.js (lowLatencyMode) in Debian's Chromium, driven by playwright-core.
 * The page is served from a tiny local server; the stream comes from onair's playback listener (CORS).
 */
import type { Page, Request } from 'playwright-core';
import { openHlsPage, type HlsPage } from './chromium.js';

const PAGE = (src: string): string => `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.js"></script><script>
const s = window.__state = { errors: [], fatal: null, live: null, parts: 0, lowLatency: null, latency: null, time: 0, width: 0, seekStart: null, seekEnd: null, buffered: '', frags: [] };
window.__seek = (t) => { video.currentTime = t; };
const video = document.getElementById('v');
// hls.js's own log (not debug level), the last 400 lines with the player's clock: failure messages show what it decided
const logLines = window.__log = [];
const keep = (...a) => { logLines.push((performance.now() / 1000).toFixed(2) + ' ' + a.map(String).join(' ')); if (logLines.length > 400) logLines.shift(); };
const hls = window.__hls = new Hls({ lowLatencyMode: true, debug: { log: keep, info: keep, warn: keep, error: keep, debug: () => {}, trace: () => {} } });
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
  /** the page's requests (playlists, parts, segments), the last 2000 */
  private readonly log: { at: number; ms: number; path: string; outcome: string }[] = [];
  private readonly t0 = Date.now();

  private constructor(private readonly view: HlsPage) {
    const started = new Map<Request, number>();
    const note = (r: Request, outcome: string) => {
      const at = started.get(r) ?? Date.now();
      started.delete(r);
      const u = new URL(r.url());
      this.log.push({ at: at - this.t0, ms: Date.now() - at, path: `${u.pathname.split('/').slice(2).join('/')}${u.search}`, outcome });
      if (this.log.length > 2000) this.log.shift();
    };
    this.page.on('request', (r) => {
      if (r.url().endsWith('/hls.js') || !/^https?:/.test(r.url())) return;
      started.set(r, Date.now());
    });
    this.page.on('requestfinished', (r) => {
      if (!started.has(r)) return;
      void r.response().then((res) => note(r, String(res?.status() ?? '?')), () => note(r, '?'));
    });
    this.page.on('requestfailed', (r) => {
      if (started.has(r)) note(r, `failed(${r.failure()?.errorText ?? '?'})`);
    });
  }

  private get page(): Page {
    return this.view.page;
  }

  /** ms since the player opened (to mark a moment for requests()) */
  now(): number {
    return Date.now() - this.t0;
  }

  /**
   * The page's requests that started at or after `fromMs` (player time, see now()), for failure messages:
   * "path?query status start+duration", the first `max` of them.
   */
  requests(fromMs = 0, max = 60): string[] {
    return this.log.filter((e) => e.at >= fromMs).slice(0, max).map((e) => `${e.path} ${e.outcome} ${e.at}+${e.ms}`);
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

  /** the page's clock (s), to mark a moment for hlsLog() */
  pageClock(): Promise<number> {
    return this.page.evaluate(() => performance.now() / 1000);
  }

  /** hls.js's log lines (warn/info/log) from page clock `from` on, the first `max`, and its stream controller's state */
  async hlsLog(from = 0, max = 120): Promise<string[]> {
    return this.page.evaluate(([f, m]) => {
      const w = window as unknown as { __log: string[]; __hls: { streamController?: { state?: string } } };
      return [...w.__log.filter((l) => Number(l.slice(0, l.indexOf(' '))) >= f!).slice(0, m), `stream controller state: ${w.__hls.streamController?.state}`];
    }, [from, max]);
  }

  /** Seek the video element (DVR, VOD). */
  async seek(t: number): Promise<void> {
    await this.page.evaluate((x) => (window as unknown as { __seek: (t: number) => void }).__seek(x), t);
  }

  close(): Promise<void> {
    return this.view.close();
  }
}
