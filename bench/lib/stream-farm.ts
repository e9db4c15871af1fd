/** A set of live streams on one server: publishers looping the clip plus a playlist monitor watching them. */
import type { MediaServer, StreamEndpoints } from '../peers/media-server.js';
import { PlaylistMonitor } from './playlist-monitor.js';
import { Publisher, type PublisherLike } from './publisher.js';
import { sleep, waitFor } from './wait.js';

export interface FarmHealth {
  streams: number;
  live: number;
  failedInWindow: number;
  /** Publishers whose recent rate fell under minRate or that exited. */
  slowPublishers: number;
  minRate: number | undefined;
  detail: string;
}

export class StreamFarm {
  readonly publishers: PublisherLike[] = [];
  readonly endpoints: StreamEndpoints[] = [];
  readonly monitor: PlaylistMonitor;

  /**
   * `ingest: 'srt'` publishes MPEG-TS to each stream's srtPublishUrl instead of FLV over RTMP. `publish` starts the
   * publisher of one stream (default: one ffmpeg per stream; the fan-out publisher's `add` for cheap load).
   */
  constructor(
    readonly server: MediaServer,
    readonly clipPath: string,
    readonly maxSeconds: number,
    pollMs = 2000,
    stallMs = 6000,
    readonly ingest: 'rtmp' | 'srt' = 'rtmp',
    private readonly publish: (url: string) => PublisherLike = (url) => new Publisher(clipPath, url, maxSeconds),
  ) {
    this.monitor = new PlaylistMonitor(pollMs, stallMs);
    this.monitor.start();
  }

  get size(): number {
    return this.publishers.length;
  }

  /** Adds `count` streams, staggering publisher starts so the server sees a ramp, not a burst. */
  async add(count: number, staggerMs = 100): Promise<void> {
    for (let i = 0; i < count; i++) {
      const endpoints = await this.server.createStream(this.endpoints.length);
      this.endpoints.push(endpoints);
      const url = this.ingest === 'srt' ? endpoints.srtPublishUrl : endpoints.publishUrl;
      if (url === undefined) throw new Error(`${this.server.name} gave no SRT publish URL`);
      this.publishers.push(this.publish(url));
      this.monitor.add(endpoints.playUrl);
      await sleep(staggerMs);
    }
  }

  /** Waits (bounded) until every stream's playlist is live; throws with a sample of failures if not. */
  async waitAllLive(timeoutMs: number): Promise<void> {
    await waitFor(`${this.size} live playlists on ${this.server.name}`, () => {
      const report = this.monitor.report();
      if (report.live === report.total) return true;
      const exited = this.publishers.find((p) => p.exited);
      if (exited) throw new Error(`publisher exited: ${exited.lastError || 'no message'}`);
      return undefined;
    }, timeoutMs, 500).catch((err: unknown) => {
      const report = this.monitor.report();
      const exited = this.publishers.filter((p) => p.exited).length;
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`${report.live}/${report.total} playlists live, ${exited} publishers exited (${report.failures[0] ?? why})`);
    });
  }

  health(minRate = 0.95, rateWindowMs = 8000): FarmHealth {
    const report = this.monitor.report();
    let slow = 0;
    let minSeen: number | undefined;
    for (const publisher of this.publishers) {
      const rate = publisher.recentRate(rateWindowMs);
      if (rate !== undefined) minSeen = minSeen === undefined ? rate : Math.min(minSeen, rate);
      if (publisher.exited || (rate !== undefined && rate < minRate)) slow++;
    }
    const detail = report.failures[0] ?? this.publishers.find((p) => p.exited)?.lastError ?? '';
    return { streams: this.size, live: report.live, failedInWindow: report.failedInWindow, slowPublishers: slow, minRate: minSeen, detail };
  }

  async stop(): Promise<void> {
    await this.monitor.stop();
    await Promise.all(this.publishers.map((p) => p.stop()));
  }
}
