/**
 * Polls each stream's playlist every few seconds and tells which ones are live (segments advancing). It shares the
 * machine with the server it measures (max-streams benches), so a poll is cheap: a keep-alive connection from a
 * small pool per origin (lite-http.ts, no fetch machinery) and one scan of the playlist's text for its progress (no
 * URL objects per segment and part). With fetch and parseMediaPlaylist it cost 19 % of a core at 840 streams.
 */
import { firstVariantUrl } from './hls-playlist.js';
import { LiteHttpConnection } from './lite-http.js';
import { sleep } from './wait.js';

/**
 * The progress of a media playlist: EXT-X-MEDIA-SEQUENCE plus the number of full segments (URI lines), growing by
 * one per new segment; undefined when `text` is not a playlist.
 */
export function playlistProgress(text: string): number | undefined {
  if (!text.startsWith('#EXTM3U')) return undefined;
  let sequence = 0;
  let segments = 0;
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const c = text.charCodeAt(at);
    if (c === 35 /* # */) {
      if (text.startsWith('#EXT-X-MEDIA-SEQUENCE:', at)) sequence = Number.parseInt(text.slice(at + 22, end), 10) || 0;
    } else if (end - at > 1 || (end - at === 1 && c !== 13)) {
      segments++;
    }
    at = end + 1;
  }
  return sequence + segments;
}

/** Keep-alive connections per origin, taken for one GET and given back. */
class ConnectionPool {
  private readonly idle = new Map<string, LiteHttpConnection[]>();
  private readonly all: LiteHttpConnection[] = [];

  async get(url: URL, timeoutMs: number): Promise<{ status: number; text: string }> {
    const key = url.host;
    const free = this.idle.get(key) ?? [];
    this.idle.set(key, free);
    let conn = free.pop();
    if (!conn) {
      conn = new LiteHttpConnection(url.hostname, Number(url.port || 80));
      this.all.push(conn);
    }
    try {
      const answer = await conn.get(url.pathname + url.search, timeoutMs);
      free.push(conn);
      return { status: answer.status, text: answer.body.toString('utf8') };
    } catch (err) {
      conn.close(); // reopens on its next GET, or stays out of the pool
      throw err;
    }
  }

  close(): void {
    for (const c of this.all) c.close();
    this.all.length = 0;
    this.idle.clear();
  }
}

interface Watched {
  url: string;
  /** the media playlist `url` led to (a multivariant playlist is read once, as a player does; nginx's URL is one already) */
  mediaUrl: string | undefined;
  progress: number;
  lastAdvanceAt: number;
  /** Set when the gap since the last advance exceeded stallMs since the last window start. */
  stalledInWindow: boolean;
  lastError: string;
}

export interface MonitorReport {
  total: number;
  /** Playlist seen and advanced within stallMs. */
  live: number;
  /** Streams that stalled (or never came up) at some point since markWindow(). */
  failedInWindow: number;
  failures: string[];
}

export class PlaylistMonitor {
  private readonly watched: Watched[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly pool = new ConnectionPool();

  constructor(readonly pollMs = 2000, readonly stallMs = 6000) {}

  add(url: string): void {
    this.watched.push({ url, mediaUrl: undefined, progress: -1, lastAdvanceAt: Date.now(), stalledInWindow: false, lastError: '' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Starts a measurement window: stall flags reset. */
  markWindow(): void {
    for (const w of this.watched) w.stalledInWindow = false;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      const batch = [...this.watched];
      // Spread the polls over the period so the server sees a steady trickle, not bursts.
      const gap = batch.length > 0 ? this.pollMs / batch.length : this.pollMs;
      const polls: Promise<void>[] = [];
      for (const w of batch) {
        if (!this.running) break;
        polls.push(this.poll(w));
        await sleep(gap);
      }
      await Promise.all(polls);
      const rest = this.pollMs - (Date.now() - started);
      if (rest > 0 && this.running) await sleep(rest);
    }
  }

  private async poll(w: Watched): Promise<void> {
    const now = Date.now();
    try {
      const progress = await this.fetchProgress(w);
      if (progress > w.progress) {
        w.progress = progress;
        w.lastAdvanceAt = now;
      }
      w.lastError = '';
    } catch (err) {
      w.lastError = err instanceof Error ? err.message : String(err);
      w.mediaUrl = undefined; // start from the stream's URL again (a new session may list other variants)
    }
    if (Date.now() - w.lastAdvanceAt > this.stallMs) w.stalledInWindow = true;
  }

  /** GETs the stream's media playlist (following a multivariant playlist once, as a player does) and its progress. */
  private async fetchProgress(w: Watched): Promise<number> {
    const timeoutMs = Math.min(4000, this.stallMs);
    let url = w.mediaUrl ?? w.url;
    for (let hop = 0; hop < 2; hop++) {
      const { status, text } = await this.pool.get(new URL(url), timeoutMs);
      if (status !== 200) throw new Error(`HTTP ${status} for ${url}`);
      const variant = text.includes('#EXT-X-STREAM-INF') ? firstVariantUrl(text, url) : undefined;
      if (variant === undefined) {
        const progress = playlistProgress(text);
        if (progress === undefined) throw new Error(`not a playlist: ${url}`);
        w.mediaUrl = url;
        return progress;
      }
      url = variant;
    }
    throw new Error(`multivariant playlist nested too deep: ${w.url}`);
  }

  isLive(w: Watched, now = Date.now()): boolean {
    return w.progress >= 0 && now - w.lastAdvanceAt <= this.stallMs;
  }

  report(): MonitorReport {
    const now = Date.now();
    const failures: string[] = [];
    let live = 0;
    let failedInWindow = 0;
    for (const w of this.watched) {
      if (this.isLive(w, now)) live++;
      if (w.stalledInWindow || w.progress < 0) {
        failedInWindow++;
        if (failures.length < 3) failures.push(`${w.url}: ${w.lastError || 'stalled'}`);
      }
    }
    return { total: this.watched.length, live, failedInWindow, failures };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.pool.close();
  }
}
