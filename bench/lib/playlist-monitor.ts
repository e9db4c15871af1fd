/** Polls each stream's playlist every few seconds and tells which ones are live (segments advancing). */
import { fetchMediaPlaylist } from './hls-playlist.js';
import { sleep } from './wait.js';

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
      const info = await fetchMediaPlaylist(w.mediaUrl ?? w.url, Math.min(4000, this.stallMs));
      w.mediaUrl = info.url;
      if (info.progress > w.progress) {
        w.progress = info.progress;
        w.lastAdvanceAt = now;
      }
      w.lastError = '';
    } catch (err) {
      w.lastError = err instanceof Error ? err.message : String(err);
      w.mediaUrl = undefined; // start from the stream's URL again (a new session may list other variants)
    }
    if (Date.now() - w.lastAdvanceAt > this.stallMs) w.stalledInWindow = true;
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
  }
}
