/** Distinct viewers per stream over a sliding window, keyed by a viewer key (client IP + User-Agent). */

export interface ViewerCounterOptions {
  /** a viewer counts while it made a request within this window (default 30 s) */
  windowMs?: number;
  /** memory bound: distinct keys remembered per stream (default 50 000); beyond it new viewers are not counted */
  maxPerStream?: number;
  now?: () => number;
}

export class ViewerCounter {
  private readonly windowMs: number;
  private readonly maxPerStream: number;
  private readonly now: () => number;
  /** stream id -> viewer key -> last seen (ms) */
  private readonly streams = new Map<string, Map<string, number>>();
  private lastPrune = 0;

  constructor(opts: ViewerCounterOptions = {}) {
    this.windowMs = opts.windowMs ?? 30_000;
    this.maxPerStream = opts.maxPerStream ?? 50_000;
    this.now = opts.now ?? Date.now;
  }

  touch(streamId: string, viewerKey: string): void {
    const t = this.now();
    this.maybePrune(t);
    let viewers = this.streams.get(streamId);
    if (!viewers) {
      viewers = new Map();
      this.streams.set(streamId, viewers);
    }
    if (viewers.has(viewerKey) || viewers.size < this.maxPerStream) viewers.set(viewerKey, t);
  }

  viewerCount(streamId: string): number {
    const viewers = this.streams.get(streamId);
    if (!viewers) return 0;
    const since = this.now() - this.windowMs;
    let n = 0;
    for (const seen of viewers.values()) if (seen > since) n++;
    return n;
  }

  /** Drop viewers not seen within the window, at most once per window (amortised O(1) per touch). */
  private maybePrune(t: number): void {
    if (t - this.lastPrune < this.windowMs) return;
    this.lastPrune = t;
    const since = t - this.windowMs;
    for (const [id, viewers] of this.streams) {
      for (const [key, seen] of viewers) if (seen <= since) viewers.delete(key);
      if (viewers.size === 0) this.streams.delete(id);
    }
  }
}
