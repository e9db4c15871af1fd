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

  /**
   * The viewers of `streamId` seen within the window as 32-bit hashes of their keys (little-endian, 4 bytes each):
   * what a node of a cluster shares so that any node counts a viewer seen by several nodes once.
   */
  viewerHashes(streamId: string): Buffer {
    const viewers = this.streams.get(streamId);
    if (!viewers) return EMPTY;
    const since = this.now() - this.windowMs;
    const out = Buffer.allocUnsafe(viewers.size * 4);
    let n = 0;
    for (const [key, seen] of viewers) if (seen > since) out.writeUInt32LE(viewerHash(key), 4 * n++);
    return out.subarray(0, 4 * n);
  }

  /** The streams with a viewer remembered (some may have none left within the window). */
  streamIds(): string[] {
    return [...this.streams.keys()];
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

const EMPTY = Buffer.alloc(0);

/** The header an edge node sets on the requests it forwards to a stream's owner (the owner does not count them). */
export const EDGE_HEADER = 'x-onair-edge';

/** FNV-1a (32 bits) of a viewer key: distinct viewers of one stream collide rarely enough for a count. */
export function viewerHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Distinct viewers in the union of our hashes (a viewerHashes buffer) and the other nodes'. */
export function unionCount(local: Buffer, others: ReadonlySet<number> | undefined): number {
  const ours = new Set<number>();
  for (let i = 0; i + 4 <= local.length; i += 4) {
    const h = local.readUInt32LE(i);
    if (!others?.has(h)) ours.add(h);
  }
  return ours.size + (others?.size ?? 0);
}
