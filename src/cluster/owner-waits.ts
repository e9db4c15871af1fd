/**
 * Where a live stream's playlist requests go while its owner changes (a node died, the encoder is reconnecting
 * through another node): an edge node holds the viewer's playlist request and polls for the next owner instead of
 * failing it, so a player that was playing goes on without a reload. One poll per (stream, failed origin) however
 * many requests wait.
 */
export type NextOrigin = string | 'local' | undefined;

export interface OwnerWaitsOptions {
  /** the stream's current owner (fresh from the database), or undefined while none holds a lease */
  ownerOf(streamId: string): Promise<{ url: string; self: boolean } | undefined>;
  /** this node now holds the session and plays it itself */
  isLocal(streamId: string): boolean;
  /** the stream may still come back (its status says live: a session may continue somewhere) */
  mayContinue(streamId: string): Promise<boolean>;
  /** poll period (default 250 ms) */
  pollMs?: number;
  /** an origin that failed is tried again after this long if it is still the owner (default 1 s) */
  retrySameMs?: number;
}

export class OwnerWaits {
  private readonly polls = new Map<string, Promise<NextOrigin>>();
  private readonly liveCache = new Map<string, { at: number; live: boolean }>();
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();

  constructor(private readonly opts: OwnerWaitsOptions) {}

  /**
   * The origin to try after `failed` could not answer (or none was known), waiting until `deadline` (epoch ms):
   * another node's URL, 'local', or undefined (nobody took the session: give up).
   */
  next(streamId: string, failed: string | undefined, deadline: number): Promise<NextOrigin> {
    const key = `${streamId}|${failed ?? ''}`;
    let p = this.polls.get(key);
    if (!p) {
      p = this.poll(streamId, failed, deadline).finally(() => this.polls.delete(key));
      this.polls.set(key, p);
    }
    return p;
  }

  /** Whether a stream with no owner right now may still continue (cached for a second: viewers poll idle streams). */
  async mayContinue(streamId: string): Promise<boolean> {
    const now = Date.now();
    const hit = this.liveCache.get(streamId);
    if (hit && now - hit.at < 1000) return hit.live;
    const live = await this.opts.mayContinue(streamId).catch(() => false);
    this.liveCache.set(streamId, { at: now, live });
    if (this.liveCache.size > 10_000) this.liveCache.delete(this.liveCache.keys().next().value!);
    return live;
  }

  private async poll(streamId: string, failed: string | undefined, deadline: number): Promise<NextOrigin> {
    const pollMs = this.opts.pollMs ?? 250;
    const sameAt = Date.now() + (this.opts.retrySameMs ?? 1000);
    while (!this.stopped && Date.now() < deadline) {
      await this.wait(Math.min(pollMs, Math.max(0, deadline - Date.now())));
      if (this.stopped) break;
      if (this.opts.isLocal(streamId)) return 'local';
      const owner = await this.opts.ownerOf(streamId).catch(() => undefined);
      if (owner) {
        if (owner.self) continue; // our own session is starting: its packager appears in a moment
        if (owner.url !== failed || Date.now() >= sameAt) return owner.url;
      } else if (!(await this.mayContinue(streamId))) {
        return undefined;
      }
    }
    return undefined;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.timers.delete(t);
        this.wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.timers.add(t);
      this.wakers.add(wake);
    });
  }

  /** Stop waiting: every held request gets its answer now (undefined). */
  close(): void {
    this.stopped = true;
    for (const wake of [...this.wakers]) wake();
    this.liveCache.clear();
  }
}
