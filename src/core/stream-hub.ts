/** The fan-out hub: one per process; each live stream's frames go from its publisher to every output. */
import type { LiveHub, LiveSubscriber } from './contracts.js';
import type { MediaFrame, TrackConfig } from '../media/frame.js';

interface Subscription {
  subscriber: LiveSubscriber;
  /** a video subscriber starts at a keyframe, so a decoder never sees a broken GOP */
  waitingForKey: boolean;
}

class Channel {
  readonly configs = new Map<string, TrackConfig>();
  readonly subs = new Set<Subscription>();
  live = false;
}

export class StreamHub implements LiveHub {
  private readonly channels = new Map<string, Channel>();

  private channel(streamId: string): Channel {
    let ch = this.channels.get(streamId);
    if (!ch) {
      ch = new Channel();
      this.channels.set(streamId, ch);
    }
    return ch;
  }

  subscribe(streamId: string, subscriber: LiveSubscriber): () => void {
    const ch = this.channel(streamId);
    const sub: Subscription = { subscriber, waitingForKey: ch.configs.has('video') };
    for (const cfg of ch.configs.values()) subscriber.onConfig(cfg);
    ch.subs.add(sub);
    return () => {
      ch.subs.delete(sub);
      if (!ch.live && ch.subs.size === 0 && this.channels.get(streamId) === ch) this.channels.delete(streamId);
    };
  }

  isLive(streamId: string): boolean {
    return this.channels.get(streamId)?.live ?? false;
  }

  /** Called by core when a session starts (first publisher of a session). */
  open(streamId: string): void {
    this.channel(streamId).live = true;
  }

  config(streamId: string, cfg: TrackConfig): void {
    const ch = this.channel(streamId);
    ch.configs.set(cfg.track, cfg);
    for (const sub of ch.subs) {
      if (cfg.track === 'video') sub.waitingForKey = true;
      sub.subscriber.onConfig(cfg);
    }
  }

  frame(streamId: string, frame: MediaFrame): void {
    const ch = this.channels.get(streamId);
    if (!ch) return;
    for (const sub of ch.subs) {
      if (sub.waitingForKey) {
        // Outputs start on a video keyframe (audio before it is held back so A/V start together).
        if (frame.track !== 'video' || !frame.keyframe) continue;
        sub.waitingForKey = false;
      }
      sub.subscriber.onFrame(frame);
    }
  }

  discontinuity(streamId: string): void {
    const ch = this.channels.get(streamId);
    if (!ch) return;
    for (const sub of ch.subs) sub.subscriber.onDiscontinuity?.();
  }

  /** The session is over for good: outputs are told, configs are forgotten. */
  close(streamId: string): void {
    const ch = this.channels.get(streamId);
    if (!ch) return;
    ch.live = false;
    ch.configs.clear();
    for (const sub of ch.subs) sub.subscriber.onEnd?.();
    if (ch.subs.size === 0) this.channels.delete(streamId);
  }
}
